"""`import` of the deciding fields: `case` (also `metadata.case`) and `timestamp` (stored UTC).

A case groups the items two prompt versions are compared on; a timestamp is
when a production log saw the item. Neither changes an item's identity.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import bad, item_count, names_line, ok, write_jsonl
from tui_annotate.store.repository import Repository


def stored(db: Path) -> dict[str, tuple[str, str]]:
    """external id -> (case_key, logged_at)."""
    with Repository.open(db) as repo:
        return {
            str(r[0]): (str(r[1]), str(r[2]))
            for r in repo.conn.execute("SELECT external_id, case_key, logged_at FROM items")
        }


def test_jsonl_case_and_timestamp_are_stored(cli, tmp_path: Path, db_path: Path) -> None:
    write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"id": "a", "output": "one", "case": "refund-1", "timestamp": "2026-03-01T10:00:00Z"},
            # An offset is converted to UTC; fractions of a second are dropped.
            {"id": "b", "output": "two", "case": 17, "timestamp": "2026-03-01T12:30:05.25+02:00"},
            # metadata.case when the top level has none; numbers become text.
            {"id": "c", "output": "three", "metadata": {"case": 42, "team": "x"}},
            # The top level wins over metadata.case.
            {"id": "d", "output": "four", "case": "top", "metadata": {"case": "inner"}},
            {"id": "e", "output": "five"},
        ],
    )
    ok(cli("import", "items.jsonl"))
    assert stored(db_path) == {
        "a": ("refund-1", "2026-03-01T10:00:00Z"),
        "b": ("17", "2026-03-01T10:30:05Z"),
        "c": ("42", ""),
        "d": ("top", ""),
        "e": ("", ""),
    }


def test_csv_case_and_timestamp_are_stored(cli, tmp_path: Path, db_path: Path) -> None:
    (tmp_path / "items.csv").write_text(
        "id,output,case,timestamp,metadata\n"
        "a,one,refund-1,2026-03-01T10:00:00-05:00,\n"
        "b,two,,,\n"
        'c,three,,2026-03-01T00:00:00Z,"{""case"": ""from-meta""}"\n',
        encoding="utf-8",
    )
    ok(cli("import", "items.csv"))
    assert stored(db_path) == {
        "a": ("refund-1", "2026-03-01T15:00:00Z"),
        "b": ("", ""),
        "c": ("from-meta", "2026-03-01T00:00:00Z"),
    }


def test_the_case_does_not_change_identity(cli, tmp_path: Path, db_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"output": "same answer", "input": "q"}])
    write_jsonl(
        tmp_path / "b.jsonl",
        [{"output": "same answer", "input": "q", "case": "c1", "timestamp": "2026-01-01T00:00Z"}],
    )
    ok(cli("import", "a.jsonl"))
    data = json.loads(ok(cli("import", "--json", "b.jsonl")).stdout)
    assert (data["inserted"], data["duplicates"]) == (0, 1)
    assert item_count(db_path) == 1


@pytest.mark.parametrize(
    ("record", "field", "words"),
    [
        ({"timestamp": "2026-03-01T10:00:00"}, "timestamp", "no time zone"),
        ({"timestamp": "2026-03-01"}, "timestamp", "no time zone"),
        ({"timestamp": "yesterday"}, "timestamp", "not an ISO 8601 time"),
        ({"timestamp": 1767225600}, "timestamp", "must be a string"),
        ({"case": ["a"]}, "case", "must be a string"),
        ({"case": True}, "case", "must be a string"),
        ({"metadata": {"case": {"id": 1}}}, "metadata.case", "must be a string"),
        ({"case": "a\u0000b"}, "case", "NUL"),
    ],
)
def test_bad_case_or_timestamp_names_file_line_and_field(
    cli, tmp_path: Path, db_path: Path, record: dict[str, object], field: str, words: str
) -> None:
    write_jsonl(tmp_path / "items.jsonl", [{"output": "fine"}, {"output": "bad", **record}])
    result = bad(cli("import", "items.jsonl"))
    assert names_line(result.stderr, "items.jsonl", 2), result.stderr
    assert field in result.stderr and words in result.stderr, result.stderr
    assert item_count(db_path) == 0


def test_bad_timestamp_in_csv_names_its_line(cli, tmp_path: Path, db_path: Path) -> None:
    (tmp_path / "items.csv").write_text(
        "output,timestamp\nfine,2026-03-01T10:00:00Z\nbad,03/01/2026 10:00\n", encoding="utf-8"
    )
    result = bad(cli("import", "items.csv"))
    assert names_line(result.stderr, "items.csv", 3), result.stderr
    assert "timestamp" in result.stderr
    assert item_count(db_path) == 0
