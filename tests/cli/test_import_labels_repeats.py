"""import-labels: a label repeated in the file, with another between, is one label, at its last line.

A faster way to de-duplicate (only neighbours after one sort, say) would keep
the first copy too; this pins what a file of A, B, A' must give.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.cli.conftest import Run, ok, write_jsonl
from tests.conftest import SAMPLE


def test_a_repeat_with_another_label_between_keeps_only_the_last_copy(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    ok(cli("import", str(SAMPLE)))
    rows = [
        {"item_id": "nw-001", "annotator": "ext1", "score": 3},  # A
        {"item_id": "nw-002", "annotator": "ext1", "score": 1},
        {"item_id": "nw-001", "annotator": "ext1", "score": 5},  # B
        {"item_id": "nw-001", "annotator": "ext1", "score": 3},  # A again: the last word
    ]
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    out = ok(cli("import-labels", str(path), "--rubric", "faithfulness")).stdout
    assert "imported 3 labels" in out and "1 already present" in out
    with closing(sqlite3.connect(db_path)) as conn:
        got = conn.execute(
            "SELECT l.score, l.meta FROM labels l JOIN items i ON i.id = l.item_id"
            " WHERE i.external_id = 'nw-001' ORDER BY l.id"
        ).fetchall()
        state = conn.execute(
            "SELECT s.score, s.event_id = (SELECT max(l.id) FROM labels l WHERE l.item_id = i.id)"
            " FROM label_state s JOIN items i ON i.id = s.item_id"
            " WHERE i.external_id = 'nw-001' AND s.annotator = 'ext1'"
        ).fetchall()
    assert [(score, json.loads(meta)["line"]) for score, meta in got] == [(5, 3), (3, 4)]
    assert state == [(3, 1)]  # the current label is the file's last word on the item
