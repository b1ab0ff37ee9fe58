"""How the calibration results and the review look, on a seeded round with fixed annotators.

Regenerate after an intended change with
`pytest tests/snapshots/test_calibration_screens.py --snapshot-update`, then look at
the SVGs in `__snapshots__/` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.tui.test_calibration_screens import DISPUTED, NOTES, closed_round, review_app
from tui_annotate.core.models import Round, Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.results_app import ResultsApp
from tui_annotate.tui.screens.review import ReviewScreen

SMALL = (80, 24)
LARGE = (120, 40)

SnapCompare = Callable[..., bool]


@pytest.fixture
def disputed_round(sample_repo: Repository, faithfulness: Rubric) -> Round:
    """Round 1 (seed 1) on six sample items, ana, ben and cy disagreeing on four."""
    return closed_round(sample_repo, faithfulness, DISPUTED, NOTES)


def test_results_screen_120x40(snap_compare: SnapCompare, disputed_round: Round) -> None:
    """Alpha with its interval on the verdict zones, per annotator, pairwise, disputed items."""
    assert snap_compare(ResultsApp(disputed_round.result), terminal_size=LARGE)


def test_results_screen_80x24(snap_compare: SnapCompare, disputed_round: Round) -> None:
    """Narrow: the tables stack and the body scrolls; the top shows alpha and the bar."""
    assert snap_compare(ResultsApp(disputed_round.result), terminal_size=SMALL)


def test_review_screen_120x40(
    snap_compare: SnapCompare, sample_repo: Repository, faithfulness: Rubric, disputed_round: Round
) -> None:
    """The third item: a comment that looks like markup shown as typed, tags, a note typed."""
    app = review_app(sample_repo, faithfulness, disputed_round)

    async def with_note(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press("n", "n", "c", *"ben misread the amount", "ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReviewScreen)

    assert snap_compare(app, terminal_size=LARGE, run_before=with_note)


def test_review_screen_80x24(
    snap_compare: SnapCompare, sample_repo: Repository, faithfulness: Rubric, disputed_round: Round
) -> None:
    """Narrow: the item on top, the labels and a compact scale underneath."""
    app = review_app(sample_repo, faithfulness, disputed_round)
    assert snap_compare(app, terminal_size=SMALL)
