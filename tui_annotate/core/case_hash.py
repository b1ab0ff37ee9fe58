"""An item's case as a 64-bit integer, stored with the item so deciding never reads the text.

Comparing versions pairs the items of one case (the `case` field, else the
input text). Reading a million case texts to code them took a third of
`prompt_table`'s time; import writes this hash in `items_all.case_hash`
(migration m011) and the table is coded from integers. The text is fetched
only for the cases a screen or report names.

Stored, so it must never change: BLAKE2b with an 8-byte digest of the UTF-8
text, read as a little-endian signed integer (SQLite's INTEGER). Two distinct
cases with one hash (odds about 1e-8 at a million cases) would be counted as
one case.
"""

from __future__ import annotations

from hashlib import blake2b


def case_text(case_key: str, input_text: str) -> str:
    """What names an item's case: its `case` field, else its input text."""
    return case_key if case_key != "" else input_text


def case_hash(text: str) -> int:
    """The stored hash of a case text (see the module docstring; never change it)."""
    digest = blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)
