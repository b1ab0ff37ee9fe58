"""max_item_bytes through the CLI (flag > env > file > default), and import-labels run twice."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, item_count, names_line, ok, write_jsonl
from tests.conftest import SAMPLE
from tui_annotate.config import CONFIG_FILE, load
from tui_annotate.store.repository import Repository


def dump_hash(db: Path) -> str:
    """The database's content, whatever its pages look like."""
    with closing(sqlite3.connect(db)) as conn:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Line 2 has a 2,000-byte output (1,000 two-byte characters); the others are small."""
    return write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            {"id": "small-1", "output": "fine"},
            {"id": "big", "input": "q", "output": "é" * 1_000},
            {"id": "small-2", "output": "also fine"},
        ],
    )


def test_an_item_over_the_limit_is_refused_and_nothing_changes(
    cli: Run, db_path: Path, mixed: Path
) -> None:
    ok(cli("import", str(SAMPLE)))
    before = dump_hash(db_path)
    message = bad(cli("import", str(mixed), "--max-item-bytes", "1500")).stderr
    assert names_line(message, str(mixed), 2), message
    assert "output" in message and "max_item_bytes" in message and "1,500" in message
    assert "2,001 bytes" in message  # UTF-8 bytes, input included, not characters
    assert dump_hash(db_path) == before


def test_skip_invalid_lists_the_large_item_and_imports_the_rest(
    cli: Run, db_path: Path, mixed: Path
) -> None:
    result = ok(cli("import", str(mixed), "--max-item-bytes", "1500", "--skip-invalid", "--json"))
    data = json.loads(result.stdout)
    assert (data["read"], data["inserted"]) == (2, 2)
    assert len(data["invalid"]) == 1 and "max_item_bytes" in data["invalid"][0]
    assert item_count(db_path) == 2


def test_the_flag_beats_the_environment_which_beats_the_file(
    cli: Run, db_path: Path, mixed: Path, tmp_path: Path
) -> None:
    (tmp_path / CONFIG_FILE).write_text("max_item_bytes = 100\n", "utf-8")
    assert load().max_item_bytes == 100
    assert "100" in bad(cli("import", str(mixed))).stderr  # the file's limit
    env = {"TUI_ANNOTATE_MAX_ITEM_BYTES": "1800"}
    assert load(env=env).max_item_bytes == 1800
    assert "1,800" in bad(cli("import", str(mixed), env=env)).stderr  # the environment's
    ok(cli("import", str(mixed), "--max-item-bytes", "5000", env=env))  # the flag's
    assert item_count(db_path) == 3


def test_the_default_limit_is_a_million_bytes(cli: Run, tmp_path: Path, db_path: Path) -> None:
    assert load().max_item_bytes == 1_000_000
    big = write_jsonl(tmp_path / "big.jsonl", [{"output": "x" * 1_000_001}])
    assert "1,000,000" in bad(cli("import", str(big))).stderr
    assert item_count(db_path) == 0
    ok(cli("import", str(write_jsonl(tmp_path / "ok.jsonl", [{"output": "x" * 1_000_000}]))))


def test_import_labels_twice_appends_nothing_the_second_time(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    ok(cli("import", str(SAMPLE)))
    rows = [
        {
            "item_id": "nw-001",
            "annotator": "ext1",
            "score": 5,
            "tags": ["wrong-number"],
            "comment": "fine",
        },
        {"item_id": "nw-001", "annotator": "ext2", "score": 4},
        {"item_id": "nw-002", "annotator": "ext1", "score": 2},
        {"item_id": "nw-002", "annotator": "ext1", "score": 2},  # the same label twice
    ]
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    first = ok(cli("import-labels", str(path), "--rubric", "faithfulness")).stdout
    assert "imported 3 labels" in first and "1 already present" in first
    second = ok(cli("import-labels", str(path), "--rubric", "faithfulness")).stdout
    assert "nothing new" in second and "all 4 labels are already" in second
    # A changed comment is a new label; the identical rest is still left alone.
    rows[1]["comment"] = "on second thought"
    third = ok(cli("import-labels", str(write_jsonl(path, rows)), "--rubric", "faithfulness"))
    assert "imported 1 label" in third.stdout and "3 already present" in third.stdout
    with Repository.open(db_path) as repo:
        events = repo.events(rubric="faithfulness")
        assert len(events) == 4
        current = {
            (c.item_id, c.annotator): (c.score, c.comment)
            for c in repo.current_labels("faithfulness")
        }
    assert sorted(current.values()) == [(2, ""), (4, "on second thought"), (5, "fine")]


def test_imported_labels_derive_the_same_state_as_labels_made_one_by_one(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    """import-labels derives label_state in one statement; it must match the per-row trigger."""
    ok(cli("import", str(SAMPLE)))
    rows = [
        {"item_id": f"nw-{n:03d}", "annotator": who, "score": (n + len(who)) % 5 + 1}
        for n in range(1, 21)
        for who in ("ext1", "ext22", "ext333")
    ]
    rows += [{"item_id": "nw-001", "annotator": "ext1", "score": 2}]  # a later line re-rates
    ok(
        cli(
            "import-labels",
            str(write_jsonl(tmp_path / "l.jsonl", rows)),
            "--rubric",
            "faithfulness",
        )
    )
    with Repository.open(db_path) as repo:
        state = set(
            repo.conn.execute(
                "SELECT rubric, annotator, item_id, state, score, event_id FROM label_state"
            )
        )
        latest: dict[tuple[str, str, int], tuple[str, int, int]] = {}
        for e in repo.events():
            latest[(e.rubric, e.annotator, e.item_id)] = ("rated", e.score, e.id)  # type: ignore[assignment]
        assert state == {(*key, *value) for key, value in latest.items()}
        assert (
            latest[("faithfulness", "ext1", repo.item_ids_by_external(["nw-001"])["nw-001"])][1]
            == 2
        )
        triggers = {
            r[0]
            for r in repo.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'labels_all'"
            )
        }
        assert {"labels_derive_state", "labels_derive_flag"} <= triggers  # still in place
