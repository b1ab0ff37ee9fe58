"""kill -9 loses no label the screen acknowledged: rate N items through a pty, SIGKILL, reopen."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.conftest import SAMPLE
from tests.e2e.conftest import TIMEOUT, Spawn
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

N = 7
RUBRIC = "faithfulness"


def labelled(db: Path, annotator: str) -> list[str]:
    """External ids of ANNOTATOR's current labels, in the order they were made."""
    with Repository.open(db, readonly=True) as repo:
        mine = [c for c in repo.current_labels(RUBRIC) if c.annotator == annotator]
        mine.sort(key=lambda c: c.created_at)
        counts = {
            (row[0], row[1]): row[2] for row in repo.label_counts()
        }  # (rubric, annotator, rated, …)
        assert counts.get((RUBRIC, annotator), 0) == len(mine)
        return [repo.get_item(c.item_id).external_id for c in mine]


def test_kill9_keeps_every_acknowledged_label(tmp_path: Path, spawn: Spawn) -> None:
    db = tmp_path / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)

    app = spawn(db, "kim")
    shown = [app.wait_for_item(TIMEOUT)]
    for _ in range(N):
        mark = len(app.output)
        app.send("4")
        # The acknowledgement: the header moves on to another item.
        shown.append(app.wait_for_new_item(shown[-1], TIMEOUT, start=mark))
    status = app.kill(signal.SIGKILL)
    assert status == -signal.SIGKILL, f"the app had already exited ({status})"

    rated = labelled(db, "kim")
    assert len(rated) == N
    assert sorted(rated) == sorted(shown[:N])
    assert len(set(shown)) == N + 1, f"an item came round twice: {shown}"

    again = spawn(db, "kim")
    first = again.wait_for_item(TIMEOUT)
    assert first not in rated
    # The item on screen at the kill was claimed but not rated: it comes back first.
    assert first == shown[N]
