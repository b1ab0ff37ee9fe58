"""JSONL label files are read a block of lines at a time (core/label_file.py): the lines,
their numbers and their errors are those of reading line by line, wherever a block ends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_annotate.core.label_file import LabelRow, iter_labels
from tui_annotate.errors import InputError

BLOCK = 1 << 20  # what _text_blocks reads after the head


def row(n: int, comment: str = "") -> bytes:
    record = {"item_id": f"i{n}", "annotator": "ana", "score": n % 5 + 1, "comment": comment}
    return json.dumps(record).encode() + b"\n"


def lines_of(path: Path) -> list[tuple[int, str] | tuple[int, str, str | None]]:
    """Each row as (line, item id), each error as (line, reason, field)."""
    out: list[tuple[int, str] | tuple[int, str, str | None]] = []
    for r in iter_labels(path):
        if isinstance(r, LabelRow):
            out.append((r.line, r.item_id))
        else:
            assert isinstance(r, InputError)
            out.append((r.line or 0, r.reason, r.field))
    return out


def test_lines_across_block_ends_keep_their_numbers(tmp_path: Path) -> None:
    # Rows of ~1 KiB: several straddle each 1 MiB block end; blank lines and CRLF among them.
    parts = [b"\xef\xbb\xbf" + row(1)]
    for n in range(2, 4_000):
        if n % 97 == 0:
            parts.append(b"   \n")  # blank: skipped, still counted
        elif n % 89 == 0:
            parts.append(row(n, "x" * 1000).replace(b"\n", b"\r\n"))
        else:
            parts.append(row(n, "y" * (n % 1100)))
    parts.append(row(4_000).rstrip(b"\n"))  # the last line has no line end
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(parts))
    assert path.stat().st_size > 2 * BLOCK
    got = lines_of(path)
    want = [(n, f"i{n}") for n in range(1, 4_001) if n % 97]
    assert got == want


def test_a_bad_line_in_a_later_block_is_named_by_its_number(tmp_path: Path) -> None:
    good = [row(n, "z" * 900) for n in range(1, 2_001)]
    good[1_499] = b'{"item_id": "i1500", "annotator": "ana", "score": }\n'
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(good))
    errors = [r for r in lines_of(path) if len(r) == 3]
    assert errors == [(1_500, "invalid JSON: Expecting value", None)]


@pytest.mark.parametrize("where", [3, 1_700])
def test_bad_utf8_names_its_line_in_any_block(tmp_path: Path, where: int) -> None:
    lines = [row(n, "w" * 900) for n in range(1, 2_001)]
    lines[where - 1] = b'{"item_id": "i\xff", "annotator": "ana", "score": 1}\n'
    path = tmp_path / "bad-utf8.jsonl"
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputError) as caught:
        list(iter_labels(path))
    assert caught.value.line == where
    assert "not valid UTF-8" in str(caught.value)
