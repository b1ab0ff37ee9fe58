"""Keys typed ahead in one burst (as they arrive over a jittery SSH link) all land where meant.

`c`, a comment and Ctrl+S in a single write: the comment editor opens, gets
every character, and saves all of them; nothing leaks to the annotation
screen, where a digit would rate the item.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import SAMPLE
from tests.e2e.conftest import TIMEOUT, Spawn
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
#: Holds rating digits: had they reached the annotation screen, they would have rated.
COMMENT = "3 of 5 facts wrong"


def draft_comment(db: Path) -> str | None:
    with Repository.open(db, readonly=True) as repo:
        row = repo.conn.execute("SELECT comment FROM drafts").fetchone()
    return None if row is None else str(row[0])


def test_a_comment_typed_in_one_burst_is_kept_whole(tmp_path: Path, spawn: Spawn) -> None:
    db = tmp_path / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
    app = spawn(db, "kim")
    first = app.wait_for_item(TIMEOUT)

    app.send(f"c{COMMENT}\x13")  # one write: the keys arrive together
    deadline = time.monotonic() + TIMEOUT
    while draft_comment(db) != COMMENT:
        assert time.monotonic() < deadline, f"draft is {draft_comment(db)!r}, not {COMMENT!r}"
        app.pump(0.05)
    with Repository.open(db, readonly=True) as repo:
        assert repo.events() == []  # no digit rated anything

    mark = len(app.output)
    app.send("4")
    app.wait_for_new_item(first, TIMEOUT, start=mark)
    with Repository.open(db, readonly=True) as repo:
        (label,) = repo.current_labels(RUBRIC)
    assert (label.score, label.comment) == (4, COMMENT)
