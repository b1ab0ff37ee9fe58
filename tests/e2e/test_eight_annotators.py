"""Eight annotator processes on one database at once, each rating as fast as its screen moves on.

Nothing is lost, nothing is locked, and `--overlap N` holds exactly: every item
ends with N labels from N different people, and nobody sees an item twice.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import TIMEOUT, Spawn
from tests.e2e.ptyapp import PtyApp, PtyTimeout, pump_any
from tests.e2e.raters import Rater
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

ITEMS = 80
ANNOTATORS = [f"a{n}" for n in range(1, 9)]
RUBRIC = "faithfulness"
#: What an app shows when a write failed ("rating not saved", "database is locked").
TROUBLE = (b"locked", b"not saved", b"traceback")
#: Another seed explores other timings: E2E_SEED=n pytest … (every failure names the seed).
SEED = int(os.environ.get("E2E_SEED", "20260811"))


def write_items(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(1, n + 1):
            item = {
                "id": f"it-{i:03d}",
                "input": f"Where is order {1000 + i}?",
                "output": f"Order {1000 + i} ships on day {i % 28 + 1}.",
            }
            f.write(json.dumps(item) + "\n")
    return path


def keys(seed: int, name: str) -> Callable[[], str]:
    rng = random.Random(f"{seed}:{name}")
    return lambda: rng.choice("12345")


def all_done(rated: int) -> Callable[[PtyApp], bool]:
    """The all-done screen, with this annotator's count ("12 rated · 0 skipped")."""
    count = re.compile(rf"(?<!\d){rated} rated · 0 skipped")

    def shown(app: PtyApp) -> bool:
        text = app.text()
        return "All done" in text and count.search(text) is not None

    return shown


@pytest.mark.parametrize("overlap", [1, 2])
def test_eight_annotators_share_the_items_by_the_overlap(
    tmp_path: Path, spawn: Spawn, overlap: int
) -> None:
    seed = SEED + overlap
    db = tmp_path / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, write_items(tmp_path / "items.jsonl", ITEMS))
        assert repo.count_items() == ITEMS
        ext: dict[int, str] = dict(repo.conn.execute("SELECT id, external_id FROM items"))
    assert sorted(ext.values()) == [f"it-{i:03d}" for i in range(1, ITEMS + 1)]

    apps = {name: spawn(db, name, "--overlap", str(overlap)) for name in ANNOTATORS}
    # Each annotator's keys are its own seeded sequence, whatever the interleaving.
    ids = set(ext.values())
    raters = {name: Rater(app, keys(seed, name), ids) for name, app in apps.items()}
    for r in raters.values():
        r.press()

    # Eight Textual apps on two cores: give the whole run room, but never wait blind.
    deadline = time.monotonic() + 8 * TIMEOUT
    scanned = dict.fromkeys(raters, 0)
    while not all(r.done for r in raters.values()):
        if time.monotonic() > deadline:
            state = {n: (len(r.shown), r.done) for n, r in raters.items()}
            stuck = [r.app._why(n) for n, r in raters.items() if not r.done]
            raise PtyTimeout(f"seed {seed}: not all done: {state}\n" + "\n".join(stuck))
        pump_any([r.app for r in raters.values()], 0.5)
        for name, r in raters.items():
            # A refused rating never moves on: say so now rather than at the deadline.
            news = bytes(r.app.output[max(0, scanned[name] - 16) :]).lower()
            scanned[name] = len(r.app.output)
            assert not any(bad in news for bad in TROUBLE), r.app._why(f"seed {seed}: {name}")
            if r.mark >= 0 and not r.done and r.acknowledged():
                r.mark = -1
                if not r.done:
                    r.press()
            assert r.app.proc.poll() is None, r.app._why(f"seed {seed}: {name} exited early")

    # Each app's all-done screen, and everything it wrote, says nothing went wrong.
    for name, r in raters.items():
        r.app.wait_for(all_done(len(r.shown)), TIMEOUT)
        r.app.wait_quiet(0.2, TIMEOUT)
        raw, text = bytes(r.app.output).lower(), r.app.text().lower()
        for bad in TROUBLE:
            assert bad not in raw, r.app._why(f"seed {seed}: {name} wrote {bad!r}")
            assert bad.decode() not in text, r.app._why(f"seed {seed}: {name} wrote {bad!r}")

    with Repository.open(db, readonly=True) as repo:
        labels = repo.current_labels(RUBRIC)
        events = repo.events(rubric=RUBRIC)
        holders = Counter(
            item
            for (item,) in repo.conn.execute(
                "SELECT item_id FROM assignments WHERE rubric = ?", (RUBRIC,)
            )
        )
    context = f"seed {seed}, overlap {overlap}"

    # Every key press the screen acknowledged is one label event, and nothing else is.
    assert {e.kind for e in events} == {"rate"}, context
    per_annotator = Counter(e.annotator for e in events)
    for name, r in raters.items():
        assert len(r.shown) == len(set(r.shown)), f"{context}: {name} saw an item twice"
        assert len(r.pressed) == len(r.shown), f"{context}: {name}"
        assert per_annotator[name] == len(r.shown), (
            f"{context}: {name} had {len(r.shown)} items acknowledged, "
            f"{per_annotator[name]} labels in the database"
        )
        mine = {ext[lab.item_id]: lab.score for lab in labels if lab.annotator == name}
        assert mine == {item: int(key) for item, key in zip(r.shown, r.pressed, strict=True)}, (
            f"{context}: {name}'s stored scores differ from the keys pressed"
        )
    assert set(per_annotator) <= set(ANNOTATORS), context

    # Exactly OVERLAP different annotators on every item: covered, never over the limit.
    by_item: dict[int, list[str]] = defaultdict(list)
    for lab in labels:
        by_item[lab.item_id].append(lab.annotator)
    over = {ext[i]: who for i, who in by_item.items() if len(set(who)) > overlap}
    assert not over, f"{context}: items with more annotators than the overlap: {over}"
    short = {ext[i]: by_item.get(i, []) for i in ext if len(by_item.get(i, [])) != overlap}
    assert not short, f"{context}: items without exactly {overlap} labels: {short}"
    assert all(len(set(who)) == len(who) for who in by_item.values()), context
    assert len(labels) == len(events) == ITEMS * overlap, context
    assert holders == dict.fromkeys(ext, overlap), f"{context}: claims {holders}"

    # q on the all-done screen quits cleanly.
    for r in raters.values():
        r.app.send("q")
    for name, r in raters.items():
        assert r.app.wait_exit(TIMEOUT) == 0, r.app._why(f"seed {seed}: {name} quit failed")
