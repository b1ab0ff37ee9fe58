"""The results screen and the review app, on a real round: three annotators, labels, close."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from tests.tui.helpers import plain, screen_lines
from tui_annotate.core import calibration
from tui_annotate.core.models import Round, Rubric
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository
from tui_annotate.tui.dialogs.comment import CommentScreen
from tui_annotate.tui.results_app import ResultsApp
from tui_annotate.tui.review_app import ReviewApp
from tui_annotate.tui.screens.review import ReviewScreen
from tui_annotate.tui.widgets.alpha_bar import AlphaBar

NAMES = ("ana", "ben", "cy")
SIZE = (120, 40)
SMALL = (80, 24)

#: Scores by the item's position in the round, one per annotator in NAMES order.
DISPUTED = {0: (5, 5, 4), 1: (4, 4, 4), 2: (3, 2, 3), 3: (2, 2, 1), 4: (1, 1, 1), 5: (5, 3, 5)}
#: Everyone agrees and nobody varies: alpha is undefined.
UNANIMOUS = dict.fromkeys(range(6), (4, 4, 4))
#: Text an annotator typed; it looks like Rich markup and must be shown as typed.
MARKUP = "[bold]x[/] is not [red]markup[/]"
#: (annotator, position) -> (tags, comment)
NOTES = {
    ("ben", 2): (("wrong-number",), MARKUP),
    ("cy", 5): ((), "the promise is not in the data"),
}


def closed_round(
    repo: Repository,
    rubric: Rubric,
    scores: Mapping[int, Sequence[int]],
    notes: Mapping[tuple[str, int], tuple[tuple[str, ...], str]] | None = None,
    *,
    bootstrap: int = 200,
) -> Round:
    """A six-item round labelled through the annotators' own sessions, then closed."""
    started = calibration.start_round(repo, rubric, NAMES, items=6, seed=1, created_by="lead")
    items = repo.rounds.item_ids(started.id)
    for i, name in enumerate(NAMES):
        session = AnnotationSession(repo, rubric, name)
        session.start()
        for _ in items:
            # Round items come first for round annotators, whatever order they come in.
            assert session.current_id in items
            pos = items.index(session.current_id)
            tags, comment = (notes or {}).get((name, pos), ((), ""))
            if tags:
                session.set_tags(tags)
            if comment:
                session.set_comment(comment)
            session.rate(scores[pos][i])
    calibration.close_round(repo, started, rubric, bootstrap=bootstrap)
    closed = repo.rounds.get(started.id)
    assert closed is not None and not closed.is_open
    return closed


def review_app(repo: Repository, rubric: Rubric, round_: Round) -> ReviewApp:
    items = calibration.review_items(repo, round_, rubric)
    return ReviewApp(repo=repo, round_=round_, rubric=rubric, items=items, adjudicator="lead")


def review_screen(app: ReviewApp) -> ReviewScreen:
    screen = app.screen
    assert isinstance(screen, ReviewScreen), f"expected the review screen, got {screen!r}"
    return screen


def golden_rows(repo: Repository, item_id: int) -> list[tuple[int, str]]:
    return [
        (r[0], r[1])
        for r in repo.conn.execute(
            "SELECT score, note FROM golden WHERE item_id = ? ORDER BY id", (item_id,)
        )
    ]


def errors(app: Any) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == "error"]


@pytest.fixture
def disputed_round(sample_repo: Repository, faithfulness: Rubric) -> Round:
    return closed_round(sample_repo, faithfulness, DISPUTED, NOTES)


# -- results ------------------------------------------------------------------


async def test_results_show_alpha_verdict_annotators_and_disputed_items(
    disputed_round: Round,
) -> None:
    result = disputed_round.result
    assert result["alpha"] is not None and result["disputed"]
    app = ResultsApp(result)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert f"{result['alpha']:.3f}" in text
        lo, hi = result["ci"]
        assert f"[{lo:.3f}, {hi:.3f}]" in text
        assert f" {result['verdict'].upper()} " in text
        assert f"P(alpha < 0.800) = {result['p_below_threshold']:.2f}" in text
        for name in NAMES:
            assert name in text
        for entry in result["disputed"]:
            assert entry["item"] in text
        assert app.screen.query_one(AlphaBar).display
        await pilot.press("q")
    assert not app.is_running


async def test_results_at_80x24_scroll_to_the_disputed_items(disputed_round: Round) -> None:
    result = disputed_round.result
    first = result["disputed"][0]["item"]
    app = ResultsApp(result)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert f"{result['alpha']:.3f}" in "\n".join(screen_lines(app))
        assert "most disputed" not in "\n".join(screen_lines(app))
        await pilot.press("end")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "most disputed" in text and first in text
        await pilot.press("escape")
    assert not app.is_running


async def test_undefined_alpha_says_why_and_shows_no_number(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = closed_round(sample_repo, faithfulness, UNANIMOUS)
    result = round_.result
    assert result["alpha"] is None and result["verdict"] == "undefined"
    app = ResultsApp(result)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert f"undefined: {result['reason']}" in text
        assert "UNDEFINED" in text
        # No alpha, no interval, no probability: nothing that could pass for a measurement.
        assert not re.search(r"\d\.\d{3}", text), text
        assert "P(alpha" not in text
        assert not app.screen.query_one(AlphaBar).display


def test_alpha_bar_marks_the_thresholds_and_the_interval() -> None:
    bar = AlphaBar(0.81, [0.2, 0.95], pass_at=0.8, tentative_at=0.667)
    names, axis, interval, ticks = (row.plain for row in bar.rows(101))
    assert axis.index("┃") == 67 and axis.rindex("┃") == 80
    assert interval.index("├") == 20 and interval.index("┤") == 95
    assert interval.index("●") == 81
    assert "0.667" in ticks and "0.800" in ticks and ticks.startswith("0")
    assert names.startswith("fail") and "tentative" in names and "pass" in names
    # A negative alpha widens the axis instead of hiding the dot at the edge.
    low = AlphaBar(-0.25, [-0.4, 0.1], pass_at=0.8, tentative_at=0.667)
    assert low.low == -0.4
    assert low.rows(60)[3].plain.startswith("-0.4")


# -- review -------------------------------------------------------------------


async def test_a_scale_key_stores_the_golden_label_with_the_note_and_moves_on(
    sample_repo: Repository, faithfulness: Rubric, disputed_round: Round
) -> None:
    app = review_app(sample_repo, faithfulness, disputed_round)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = review_screen(app)
        first = screen.items[0].item_id
        total = len(screen.items)
        assert (
            f"item 1 / {total} · round {disputed_round.id} · faithfulness" in screen_lines(app)[0]
        )
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CommentScreen)
        await pilot.press(*"the data says delivered", "ctrl+s")
        await pilot.pause()
        assert "note: the data says delivered" in "\n".join(screen_lines(app))
        await pilot.press("2")
        await pilot.pause()
        gold = sample_repo.rounds.golden("faithfulness")[first]
        assert (gold.score, gold.note) == (2, "the data says delivered")
        assert (gold.adjudicator, gold.round_id) == ("lead", disputed_round.id)
        assert screen.pos == 1
        assert f"item 2 / {total}" in screen_lines(app)[0]
        assert f"1 of {total} adjudicated" in screen_lines(app)[0]
        # p goes back, and the screen shows the golden label just set.
        await pilot.press("p")
        await pilot.pause()
        assert screen.pos == 0
        assert "golden: 2 Mostly misaligned" in "\n".join(screen_lines(app))


async def test_readjudicating_appends_and_the_latest_wins(
    sample_repo: Repository, faithfulness: Rubric, disputed_round: Round
) -> None:
    app = review_app(sample_repo, faithfulness, disputed_round)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = review_screen(app).items[0].item_id
        await pilot.press("c", *"first reason", "ctrl+s", "4", "p")
        await pilot.pause()
        # The reason already given stays with a correction unless a new one is written.
        assert "note: first reason" in "\n".join(screen_lines(app))
        await pilot.press("3")
        await pilot.pause()
        assert golden_rows(sample_repo, first) == [(4, "first reason"), (3, "first reason")]
        assert sample_repo.rounds.golden("faithfulness")[first].score == 3
        await pilot.press("p", "c", "ctrl+u", *"changed my mind", "ctrl+s", "5")
        await pilot.pause()
        assert golden_rows(sample_repo, first)[-1] == (5, "changed my mind")
        assert sample_repo.rounds.golden("faithfulness")[first].score == 5


async def test_a_note_is_kept_per_item_until_its_score_is_set(
    sample_repo: Repository, faithfulness: Rubric, disputed_round: Round
) -> None:
    app = review_app(sample_repo, faithfulness, disputed_round)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = review_screen(app)
        first, second = screen.items[0].item_id, screen.items[1].item_id
        await pilot.press("c", *"maybe a 3", "ctrl+s", "n")
        await pilot.pause()
        assert "note: (none" in "\n".join(screen_lines(app))
        await pilot.press("p")
        await pilot.pause()
        assert "note: maybe a 3" in "\n".join(screen_lines(app))
        assert sample_repo.rounds.golden("faithfulness") == {}
        await pilot.press("3", "1")
        await pilot.pause()
        gold = sample_repo.rounds.golden("faithfulness")
        assert (gold[first].score, gold[first].note) == (3, "maybe a 3")
        assert (gold[second].score, gold[second].note) == (1, "")


async def test_every_score_tag_and_comment_is_shown_literally(
    sample_repo: Repository, faithfulness: Rubric, disputed_round: Round
) -> None:
    app = review_app(sample_repo, faithfulness, disputed_round)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = review_screen(app)
        target = sample_repo.rounds.item_ids(disputed_round.id)[2]
        steps = [r.item_id for r in screen.items].index(target)
        await pilot.press(*["n"] * steps)
        await pilot.pause()
        labels = plain(screen.query_one("#round-labels-text"))
        assert MARKUP in labels
        assert "wrong-number" in labels
        for name, score in zip(NAMES, DISPUTED[2], strict=True):
            level = faithfulness.level_for(score)
            assert level is not None
            assert re.search(rf"{name}\s+{score} {level.label}", labels), labels
        assert MARKUP in "\n".join(screen_lines(app))


async def test_after_the_last_item_review_is_done_and_q_quits(
    sample_repo: Repository, faithfulness: Rubric, disputed_round: Round
) -> None:
    app = review_app(sample_repo, faithfulness, disputed_round)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = review_screen(app)
        total = len(screen.items)
        assert total >= 3
        await pilot.press("4", "n", *["5"] * (total - 2))
        await pilot.pause()
        assert screen.done
        text = "\n".join(screen_lines(app))
        assert f"review done: {total - 1} of {total} adjudicated" in text
        # Scale keys do nothing at the end; p goes back to the last item.
        await pilot.press("3")
        await pilot.pause()
        assert len(sample_repo.rounds.golden("faithfulness")) == total - 1
        await pilot.press("p")
        await pilot.pause()
        assert screen.pos == total - 1
        await pilot.press("n", "q")
    assert not app.is_running


async def test_a_store_failure_is_a_notification_not_a_crash(
    sample_repo: Repository, faithfulness: Rubric, disputed_round: Round
) -> None:
    app = review_app(sample_repo, faithfulness, disputed_round)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = review_screen(app)
        sample_repo.conn.execute("PRAGMA query_only = ON")
        try:
            await pilot.press("c", *"kept", "ctrl+s", "4")
            await pilot.pause()
        finally:
            sample_repo.conn.execute("PRAGMA query_only = OFF")
        assert app.is_running
        assert screen.pos == 0
        assert errors(app) and "golden label not saved" in errors(app)[-1]
        assert sample_repo.rounds.golden("faithfulness") == {}
        # Nothing typed is lost: the note is still there for the next try.
        await pilot.press("4")
        await pilot.pause()
        gold = sample_repo.rounds.golden("faithfulness")[screen.items[0].item_id]
        assert (gold.score, gold.note) == (4, "kept")
