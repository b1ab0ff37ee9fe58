"""Two annotator processes on one database at once: with overlap 1 no item is labelled twice."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import SAMPLE
from tests.e2e.conftest import TIMEOUT, Spawn
from tests.e2e.ptyapp import PtyTimeout, pump_any
from tests.e2e.raters import Rater
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository


def test_two_annotators_never_share_an_item(tmp_path: Path, spawn: Spawn) -> None:
    db = tmp_path / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
        total = repo.count_items()
    assert total == 40

    ana = spawn(db, "ana")
    ben = spawn(db, "ben")
    raters = [Rater(ana, "5"), Rater(ben, "2")]
    for r in raters:
        r.press()
    deadline = time.monotonic() + 4 * TIMEOUT
    while not all(r.done for r in raters):
        if time.monotonic() > deadline:
            state = {r.app.argv[-3]: (r.shown, r.done) for r in raters}
            raise PtyTimeout(f"not both done: {state}\n{ana._why('ana')}\n{ben._why('ben')}")
        pump_any([r.app for r in raters], 0.5)
        for r in raters:
            if r.mark >= 0 and not r.done and r.acknowledged():
                r.mark = -1
                if not r.done:
                    r.press()
        for r in raters:
            assert r.app.proc.poll() is None, r.app._why("an app exited early")

    with Repository.open(db, readonly=True) as repo:
        labels = repo.current_labels("faithfulness")
    by_item: dict[int, set[str]] = {}
    for label in labels:
        by_item.setdefault(label.item_id, set()).add(label.annotator)
    shared = {item: who for item, who in by_item.items() if len(who) > 1}
    assert not shared, f"items labelled by both: {shared}"
    assert len(by_item) == total
    assert {lab.annotator for lab in labels} == {"ana", "ben"}
    assert len(labels) == total

    # What each screen showed agrees with the store (the last id is the one rated before done).
    for r, name in zip(raters, ("ana", "ben"), strict=True):
        assert len(r.shown) == len(set(r.shown)), f"{name} was shown an item twice"
        assert sum(lab.annotator == name for lab in labels) == len(r.shown)

    # The all-done screen says so, with this annotator's count.
    for r, name in zip(raters, ("ana", "ben"), strict=True):
        r.app.wait_quiet(0.2, TIMEOUT)
        text = r.app.text()
        assert "All done" in text, f"{name}'s all-done screen does not say 'All done'"
        assert f"{len(r.shown)} rated" in text

    # q on the all-done screen quits cleanly and gives the terminal back.
    for r in raters:
        r.app.send("q")
    for r in raters:
        assert r.app.wait_exit(TIMEOUT) == 0, r.app._why("quit failed")
        assert b"\x1b[?1049l" in r.app.output  # left the alternate screen
