"""The planner's statistics are brought up to date after `import` and `import-labels`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.conftest import Run, ok, write_jsonl


def stats(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        found = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).fetchone()[0]
        if not found:
            return {}
        return {
            f"{t}.{i}": s for t, i, s in conn.execute("SELECT tbl, idx, stat FROM sqlite_stat1")
        }
    finally:
        conn.close()


def test_import_then_import_labels_refresh_the_statistics(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    items = write_jsonl(
        tmp_path / "items.jsonl",
        [{"id": f"x{n}", "input": f"q{n}", "output": f"answer {n}"} for n in range(30)],
    )
    ok(cli("import", str(items)))
    after_items = stats(db_path)
    assert after_items["items_all.items_rank"].startswith("30 ")

    labels = write_jsonl(
        tmp_path / "labels.jsonl",
        [
            {"item_id": f"x{n}", "annotator": who, "score": 1 + n % 5}
            for n in range(30)
            for who in ("ann", "bob")
        ],
    )
    ok(cli("import-labels", str(labels), "--rubric", "faithfulness"))
    after_labels = stats(db_path)
    assert after_labels["labels_all.labels_by_item"].startswith("60 ")
    assert after_labels["label_state.label_state_human"].startswith("60 ")
