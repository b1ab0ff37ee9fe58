"""How the pairwise screen looks: stacked at 80×24, side by side at 120×40 (seeded data).

Regenerate after an intended change with
`pytest tests/snapshots/test_pairwise_screens.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.pairwise_data import PROMPT, make_project
from tui_annotate.config import Settings
from tui_annotate.core.pairwise import tasks
from tui_annotate.store.repository import Repository
from tui_annotate.tui.pairwise_app import PairwiseApp, make_pairwise_app

SnapCompare = Callable[..., bool]


def pairwise_app(db: Path) -> PairwiseApp:
    make_project(db, 4)
    repo = Repository.open(db)
    task_id, _ = tasks.start(repo, prompt=PROMPT, versions=["1.0.0", "1.1.0"], seed=0)
    task = tasks.find(repo, task_id)
    return make_pairwise_app(Settings(), repo=repo, task=task, annotator="ana", rubric=None)


def test_pairwise_80x24_stacked(snap_compare: SnapCompare, db_path: Path) -> None:
    app = pairwise_app(db_path)

    async def stacked(pilot: Pilot[None]) -> None:
        await pilot.pause()
        assert pilot.app.screen.has_class("narrow")

    assert snap_compare(app, terminal_size=(80, 24), run_before=stacked)


def test_pairwise_120x40_side_by_side(snap_compare: SnapCompare, db_path: Path) -> None:
    app = pairwise_app(db_path)

    async def wide(pilot: Pilot[None]) -> None:
        await pilot.pause()
        assert not pilot.app.screen.has_class("narrow")

    assert snap_compare(app, terminal_size=(120, 40), run_before=wide)
