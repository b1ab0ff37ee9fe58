"""How the screens look, at named sizes, with seeded data and a stopped clock (so they never drift).

Regenerate after an intended change with
`pytest tests/snapshots --snapshot-update`, then look at the SVGs in
`__snapshots__/` before committing them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.helpers import open_app
from tui_annotate.core import ingest, snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.annotate_app import AnnotateApp
from tui_annotate.tui.dialogs.help import HelpScreen
from tui_annotate.tui.dialogs.tags import TagPickerScreen
from tui_annotate.tui.screens.done import AllDoneScreen

SMALL = (80, 24)
LARGE = (120, 40)

SnapCompare = Callable[..., bool]

TWO_ITEMS = [
    {
        "id": "tiny-1",
        "input": "Where is order NW-1?",
        "context": '{"order_id": "NW-1", "status": "delivered"}',
        "output": "Order NW-1 was delivered.",
    },
    {
        "id": "tiny-2",
        "input": "Refund for NW-2?",
        "context": '{"order_id": "NW-2", "refund_amount": 12.5}',
        "output": "We refunded $12.50 for NW-2.",
    },
]


def still_app(repo: Repository, rubric: Rubric) -> AnnotateApp:
    """The app for annotator "ana" with the session clock stopped: the timer reads 0:00, no pace."""
    app = open_app(repo, rubric, "ana")
    app.session.clock = lambda: 0.0
    return app


async def settled(pilot: Pilot[None]) -> None:
    """Before any key: the background progress count has landed in the header."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def two_item_repo(repo: Repository, faithfulness: Rubric, tmp_path: Path) -> Repository:
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in TWO_ITEMS), encoding="utf-8")
    ingest.import_items(repo, path)
    snapshot.register(repo, faithfulness)
    return repo


def test_main_screen_80x24(
    snap_compare: SnapCompare, sample_repo: Repository, faithfulness: Rubric
) -> None:
    """Compact: the rubric is a strip of labels, no examples, the footer's keys fit."""
    app = still_app(sample_repo, faithfulness)

    async def narrow(pilot: Pilot[None]) -> None:
        await settled(pilot)
        assert pilot.app.screen.has_class("narrow")

    assert snap_compare(app, terminal_size=SMALL, run_before=narrow)


def test_main_screen_120x40(
    snap_compare: SnapCompare, sample_repo: Repository, faithfulness: Rubric
) -> None:
    """Roomy: the rubric with every anchor's description, and the examples panel."""
    app = still_app(sample_repo, faithfulness)
    assert snap_compare(app, terminal_size=LARGE, run_before=settled)


def test_help_screen_120x40(
    snap_compare: SnapCompare, sample_repo: Repository, faithfulness: Rubric
) -> None:
    """`?`: every key and the rubric's scale with PASS/FAIL per point."""
    app = still_app(sample_repo, faithfulness)

    async def open_help(pilot: Pilot[None]) -> None:
        await settled(pilot)
        await pilot.press("?")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)

    assert snap_compare(app, terminal_size=LARGE, run_before=open_help)


def test_tag_picker_120x40(
    snap_compare: SnapCompare, sample_repo: Repository, faithfulness: Rubric
) -> None:
    """`t`, then `h`: the picker over the item, one tag ticked."""
    app = still_app(sample_repo, faithfulness)

    async def open_tags(pilot: Pilot[None]) -> None:
        await settled(pilot)
        await pilot.press("t", "h")
        await pilot.pause()
        assert isinstance(pilot.app.screen, TagPickerScreen)

    assert snap_compare(app, terminal_size=LARGE, run_before=open_tags)


def test_all_done_screen_80x24(
    snap_compare: SnapCompare, two_item_repo: Repository, faithfulness: Rubric
) -> None:
    """Both items of a two-item project rated: the all-done screen with its counts."""
    app = still_app(two_item_repo, faithfulness)

    async def rate_both(pilot: Pilot[None]) -> None:
        await settled(pilot)
        await pilot.press("5", "2")
        await pilot.pause()
        assert isinstance(pilot.app.screen, AllDoneScreen)
        # Guard the baseline: the counts must be painted, not only composed.
        painted = "\n".join(strip.text for strip in pilot.app.screen._compositor.render_strips())
        assert "All done" in painted and "2 rated · 0 skipped" in painted, painted

    assert snap_compare(app, terminal_size=SMALL, run_before=rate_both)
    assert len(two_item_repo.current_labels("faithfulness")) == 2
