"""How the Decide screen looks on the bundled deciding sample (`demo --decide`), at 80×24 and 120×40.

Regenerate after an intended change with
`pytest tests/snapshots/test_decide_screens.py --snapshot-update`, then look at
the SVGs in `__snapshots__/` before committing them. Every snapshot waits for
the workers, so it shows the numbers, never "computing…".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui_annotate import config
from tui_annotate.cli.context import Context
from tui_annotate.cli.decide import decide_app
from tui_annotate.core.decide import sample
from tui_annotate.store.repository import Repository
from tui_annotate.tui.decide_app import DecideApp
from tui_annotate.tui.screens.decide_case import DecideCaseScreen
from tui_annotate.tui.screens.decide_tabs import DecideScreen

SMALL = (80, 24)
LARGE = (120, 40)

SnapCompare = Callable[..., bool]


@pytest.fixture
def sample_app(db_path: Path) -> DecideApp:
    """The Decide app as `demo --decide` opens it: the sample in a fresh database."""
    with Repository.open(db_path) as repo:
        prompt = sample.load_decide_sample(repo)
    card = config.load(cwd=sample.CONFIG.parent).scorecard
    return decide_app(
        Context(str(db_path), str(sample.RUBRICS_DIR)), db_path, prompt, scorecard=card
    )


def keys(*pressed: str) -> Callable[[Pilot[None]], object]:
    """Press PRESSED, waiting for the workers after each key, so the numbers are drawn."""

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in pressed:
            await pilot.press(key)
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    return run_before


def test_scorecard_120x40(snap_compare: SnapCompare, sample_app: DecideApp) -> None:
    """Every rubric's pass rates per version against its threshold, then the composite."""
    assert snap_compare(sample_app, terminal_size=LARGE, run_before=keys())


def test_scorecard_80x24(snap_compare: SnapCompare, sample_app: DecideApp) -> None:
    """Narrow: the bars shrink, the numbers stay whole; the body scrolls."""
    assert snap_compare(sample_app, terminal_size=SMALL, run_before=keys())


def test_compare_120x40(snap_compare: SnapCompare, sample_app: DecideApp) -> None:
    """1.1.0 → 1.2.0 paired by case: counts, p-values, Δ around 0, the regressed cases."""
    assert snap_compare(sample_app, terminal_size=LARGE, run_before=keys("2"))


def test_compare_golden_baseline_80x24(snap_compare: SnapCompare, sample_app: DecideApp) -> None:
    """The baseline moved back twice, to the golden labels."""
    assert snap_compare(
        sample_app,
        terminal_size=SMALL,
        run_before=keys("2", "left_square_bracket", "left_square_bracket"),
    )


def test_trend_and_tags_120x40(snap_compare: SnapCompare, sample_app: DecideApp) -> None:
    """The trend tab: a forest plot per rubric with its sparkline."""
    assert snap_compare(sample_app, terminal_size=LARGE, run_before=keys("4", "3"))


def test_tags_80x24(snap_compare: SnapCompare, sample_app: DecideApp) -> None:
    assert snap_compare(sample_app, terminal_size=SMALL, run_before=keys("4"))


def test_regressed_case_120x40(snap_compare: SnapCompare, sample_app: DecideApp) -> None:
    """The first regressed case opened: the item and every label on it."""

    async def open_case(pilot: Pilot[None]) -> None:
        await keys("2")(pilot)  # type: ignore[misc]
        screen = pilot.app.screen
        assert isinstance(screen, DecideScreen) and screen.regressed
        await pilot.press("enter")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(pilot.app.screen, DecideCaseScreen)

    assert snap_compare(sample_app, terminal_size=LARGE, run_before=open_case)
