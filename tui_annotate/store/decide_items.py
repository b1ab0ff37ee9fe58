"""A prompt's items as columns, read in one aggregate query: the rows of every decision table.

`group_concat` strings a column of the whole prompt together in SQLite's C
loop and numpy (or one `str.split`) parses it in one call: fetching a
million rows as tuples takes about a second, this a fraction of it. Text
columns are joined with NUL, which import refuses in every field; all the
aggregates of one query step through the same rows, so their parts line up
row for row whatever order SQLite visits them in. Anything not in the form
import writes (a NUL in a text, a time in another form: rows written by
hand) sends the read down a slower path a row at a time, never to a wrong
column.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path

import numpy as np

from tui_annotate.store.db import connect

# The prompt's items, each column one string: the id and the version's code packed in one
# number (id × versions + code), the external id, the case (the `case` field, else the
# input text) and when it happened (`timestamp`, else imported_at: both UTC, both start
# "YYYY-MM-DDTHH:MM:SS", so their first 19 characters, run together, parse as columns).
_ITEMS = """
SELECT count(*), group_concat(id * :versions + CASE prompt_version {codes} END),
       group_concat(external_id, char(0)),
       group_concat(CASE WHEN case_key != '' THEN case_key ELSE input END, char(0)),
       group_concat(substr(logged_at || imported_at, 1, 19), '')
FROM items_all {access}
WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state)
"""

# The same a row per item: when a text holds a NUL or a time is not in the stored form
# (rows written by hand, not by import).
_ITEM_ROWS = """
SELECT id, prompt_version, external_id,
       CASE WHEN case_key != '' THEN case_key ELSE input END,
       CASE WHEN logged_at != '' THEN logged_at ELSE imported_at END
FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state)
"""

# Are a third of the visible items the prompt's? Then a scan of the table in rowid order
# beats a seek per item from items_by_prompt (stops counting at LIMIT).
_MANY = """
SELECT count(*) FROM (SELECT 1 FROM items_all INDEXED BY items_by_prompt
    WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state) LIMIT :limit)
"""


def read_items(conn: sqlite3.Connection, prompt: str, versions: tuple[str, ...]) -> Items:
    """The prompt's items as columns, rows in item id order (see the module docstring)."""
    if not versions:
        return Items.empty()
    codes = " ".join(f"WHEN :v{n} THEN {n}" for n in range(len(versions)))
    args: dict[str, object] = {f"v{n}": v for n, v in enumerate(versions)}
    args.update(prompt=prompt, versions=len(versions))
    visible = watermark(conn)
    limit = max(1, visible // 3)
    many = conn.execute(_MANY, {"prompt": prompt, "limit": limit}).fetchone()[0]
    access = "NOT INDEXED" if many >= limit else "INDEXED BY items_by_prompt"
    count, packed, ext_text, case_text, time_text = conn.execute(
        _ITEMS.format(codes=codes, access=access), args
    ).fetchone()
    external = split_texts(ext_text, count)
    cases = split_texts(case_text, count)
    times = parse_times(time_text, count)
    if external is None or cases is None or times is None:
        return _item_rows(conn, prompt, versions)
    both = parse_ints(packed, count)
    ids, version_codes = np.divmod(both, len(versions))
    # Rows in item id order: labels are found by a binary search of the ids.
    order = np.argsort(ids, kind="stable")
    if not np.array_equal(order, np.arange(count)):
        external = [external[i] for i in order]
        cases = [cases[i] for i in order]
        ids, version_codes, times = ids[order], version_codes[order], times[order]
    case_codes, case_names = code_texts(cases)
    return Items(
        ids, version_codes.astype(np.int32), tuple(external), case_codes, case_names, times
    )


def _item_rows(conn: sqlite3.Connection, prompt: str, versions: tuple[str, ...]) -> Items:
    """The items a row at a time, parsed in Python: slow, for data written by hand."""
    rows = sorted(conn.execute(_ITEM_ROWS, {"prompt": prompt}).fetchall())
    code = {v: n for n, v in enumerate(versions)}
    case_codes, case_names = code_texts([str(r[3]) for r in rows])
    return Items(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([code[r[1]] for r in rows], dtype=np.int32),
        tuple(str(r[2]) for r in rows),
        case_codes,
        case_names,
        np.array([parse_seconds(str(r[4])) for r in rows], dtype=np.int64).astype("datetime64[s]"),
    )


def items_on_own_connection(
    path: Path, prompt: str, versions: tuple[str, ...]
) -> tuple[int, Items]:
    """(the watermark seen, the items), read in a read-only connection's own snapshot."""
    conn = connect(path, readonly=True)
    try:
        conn.execute("BEGIN")
        return watermark(conn), read_items(conn, prompt, versions)
    finally:
        conn.close()


def watermark(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT visible_up_to FROM import_state").fetchone()[0])


class Items:
    """The prompt's items as columns, rows in item id order."""

    def __init__(
        self,
        ids: np.ndarray,
        versions: np.ndarray,
        external: tuple[str, ...],
        case_codes: np.ndarray,
        cases: tuple[str, ...],
        times: np.ndarray,
    ) -> None:
        self.ids, self.versions, self.external = ids, versions, external
        self.case_codes, self.cases, self.times = case_codes, cases, times

    @classmethod
    def empty(cls) -> Items:
        none = np.zeros(0, dtype=np.int64)
        return cls(
            none, none.astype(np.int32), (), none.astype(np.int32), (), none.astype("datetime64[s]")
        )

    def rows_of(self, wanted: np.ndarray) -> np.ndarray:
        """The row of each item id in WANTED, -1 for ids not here (another prompt's)."""
        if not self.ids.shape[0] or not wanted.shape[0]:
            return np.full(wanted.shape[0], -1, dtype=np.int64)
        pos = np.searchsorted(self.ids, wanted)
        clipped = np.minimum(pos, self.ids.shape[0] - 1)
        return np.where(self.ids[clipped] == wanted, clipped, -1)


def parse_ints(text: str | None, count: int) -> np.ndarray:
    """A group_concat of COUNT integers as an int64 array."""
    if not count or text is None:
        return np.zeros(0, dtype=np.int64)
    out = np.fromstring(text, dtype=np.int64, sep=",")
    if out.shape[0] != count:  # never for integers; a guard against a silent misparse
        raise ValueError(f"expected {count} numbers, parsed {out.shape[0]}")
    return out


def split_texts(text: str | None, count: int) -> list[str] | None:
    """A NUL-joined group_concat of COUNT texts, or None when a text held a NUL itself."""
    if not count or text is None:
        return []
    parts = text.split("\x00")
    return parts if len(parts) == count else None


# The digit positions of "YYYY-MM-DDTHH:MM:SS", and the characters between them.
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
_MARKS = {4: ord("-"), 7: ord("-"), 10: ord("T"), 13: ord(":"), 16: ord(":")}


def parse_times(text: str | None, count: int) -> np.ndarray | None:
    """COUNT run-together "YYYY-MM-DDTHH:MM:SS" (UTC) as datetime64[s]; None if any is not so.

    Parsed as a block of digits, a million in a few tens of milliseconds: numpy's own
    parser takes a second, and refuses the zone suffix the stored times carry.
    """
    if not count or text is None:
        return np.zeros(0, dtype="datetime64[s]")
    if len(text) != 19 * count or not text.isascii():
        return None
    chars = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(count, 19)
    if any((chars[:, at] != mark).any() for at, mark in _MARKS.items()):
        return None
    digits = chars[:, _DIGITS] - np.uint8(ord("0"))  # a non-digit wraps to above 9
    if (digits > 9).any():
        return None

    def number(first: int, width: int) -> np.ndarray:
        out = digits[:, first].astype(np.int64)
        for k in range(first + 1, first + width):
            out = out * 10 + digits[:, k]
        return out

    year, month, day = number(0, 4), number(4, 2), number(6, 2)
    if (month < 1).any() or (month > 12).any() or (day < 1).any() or (day > 31).any():
        return None
    # Days since 1970-01-01 from the civil date, in integer arithmetic (H. Hinnant's
    # days_from_civil): numpy's datetime64 conversions took four times as long.
    year = year - (month <= 2)
    era = year // 400
    of_era = year - era * 400
    of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    days = era * 146097 + of_era * 365 + of_era // 4 - of_era // 100 + of_year - 719468
    seconds = days * 86400 + number(8, 2) * 3600 + number(10, 2) * 60 + number(12, 2)
    return seconds.astype("datetime64[s]")


def parse_seconds(text: str) -> int:
    """Unix seconds of a stored time ("…Z" or "+00:00"); 0 when it can't be read."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def code_texts(texts: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each text's code, and the distinct texts in the order first seen.

    Coded by Python's string hash and np.unique, not a dict: a million texts in a
    tenth of the time. Two distinct texts with one 64-bit hash (odds about 1e-8 at a
    million distinct cases) would be counted as one case.
    """
    count = len(texts)
    if not count:
        return np.zeros(0, dtype=np.int32), ()
    hashes = np.fromiter(map(hash, texts), dtype=np.int64, count=count)
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # hash order changes per process; this doesn't
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    distinct = first[order].tolist()
    names = tuple(itemgetter(*distinct)(texts)) if len(distinct) > 1 else (texts[distinct[0]],)
    return rank[inverse].astype(np.int32), names
