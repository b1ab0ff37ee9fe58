"""The layout adapts: compact at 80×24, roomy at 120×40, and the rubric's anchors always visible."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.helpers import (
    ANNOTATOR,
    MakeApp,
    annotate_screen,
    import_jsonl,
    open_app,
    plain,
    rendered_text,
    screen_lines,
    settle,
)
from tui_annotate.core import snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.annotate_app import AnnotateApp
from tui_annotate.tui.screens.done import AllDoneScreen
from tui_annotate.tui.widgets.examples_panel import ExamplesPanel
from tui_annotate.tui.widgets.rubric_panel import RubricPanel

SMALL = (80, 24)
LARGE = (120, 40)


def assert_all_anchors_visible(app: object, *, descriptions: bool) -> None:
    screen = annotate_screen(app)  # type: ignore[arg-type]
    panel = screen.query_one(RubricPanel)
    content = plain(panel)
    painted = rendered_text(panel)
    on_screen = "\n".join(screen_lines(app))  # type: ignore[arg-type]
    for level in screen.session.rubric.scale:
        head = f"{level.key} {level.label}"
        assert head in content, f"{head!r} missing from the rubric panel"
        # Painted by the panel and not clipped by the layout around it.
        assert head in painted, f"{head!r} cut off inside the rubric panel"
        assert head in on_screen, f"{head!r} not visible on screen"
        if descriptions:
            assert level.description in content


async def test_small_terminal_is_narrow_and_hides_the_examples(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        assert screen.has_class("narrow")
        assert not screen.query_one(ExamplesPanel).display
        assert_all_anchors_visible(app, descriptions=False)
        # e still shows them on demand.
        await pilot.press("e")
        await pilot.pause()
        assert screen.query_one(ExamplesPanel).display


async def test_large_terminal_shows_the_examples_and_full_anchors(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        assert not screen.has_class("narrow")
        assert screen.query_one(ExamplesPanel).display
        assert_all_anchors_visible(app, descriptions=True)
        assert app.session.rubric.question in plain(screen.query_one(RubricPanel))


async def test_wide_but_short_terminal_hides_the_examples(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        assert not screen.has_class("narrow")
        assert not screen.query_one(ExamplesPanel).display
        assert_all_anchors_visible(app, descriptions=True)


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_anchors_stay_visible_with_tags_and_a_comment_pending(
    make_app: MakeApp, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("t", "h", "c", "i", "n", "o", "enter")
        await pilot.press("c", *"a long comment that goes on", "enter", *"and on", "ctrl+s")
        await pilot.pause()
        assert_all_anchors_visible(app, descriptions=size == LARGE)
        on_screen = "\n".join(screen_lines(app))
        assert "tags:" in on_screen


async def test_resizing_switches_the_layout_both_ways(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        await pilot.resize_terminal(*SMALL)
        await pilot.pause()
        assert screen.has_class("narrow")
        assert not screen.query_one(ExamplesPanel).display
        assert_all_anchors_visible(app, descriptions=False)
        await pilot.resize_terminal(*LARGE)
        await pilot.pause()
        assert not screen.has_class("narrow")
        assert screen.query_one(ExamplesPanel).display
        assert_all_anchors_visible(app, descriptions=True)


async def test_the_examples_choice_survives_a_resize(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        await pilot.press("e")
        await pilot.pause()
        await pilot.resize_terminal(*SMALL)
        await pilot.resize_terminal(*LARGE)
        await pilot.pause()
        assert not screen.query_one(ExamplesPanel).display


async def test_the_output_is_on_screen_at_80x24(make_app: MakeApp) -> None:
    """The output is what is being judged: at the smallest supported size some of it shows."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        on_screen = "\n".join(screen_lines(app))
        assert "output" in on_screen
        first_words = app.session.current_item().output.split("\n")[0][:20]  # type: ignore[union-attr]
        assert first_words in on_screen


async def test_a_long_context_does_not_push_the_output_off_screen(
    tmp_path: Path, faithfulness: Rubric
) -> None:
    """Input, context and output are each scrollable (spec), so a 200-line tool dump can't hide the output."""
    with Repository.open(tmp_path / "long.db") as repo:
        snapshot.register(repo, faithfulness)
        context = "\n".join(f'"event_{i}": "scan at hub {i}",' for i in range(200))
        import_jsonl(
            repo,
            tmp_path / "long.jsonl",
            [
                {
                    "id": "long-1",
                    "input": "Where is it?",
                    "context": context,
                    "output": "THE-OUTPUT-UNDER-REVIEW is here.",
                }
            ],
        )
        app = open_app(repo, faithfulness)
        async with app.run_test(size=LARGE) as pilot:
            await settle(pilot)
            assert "THE-OUTPUT-UNDER-REVIEW" in "\n".join(screen_lines(app))


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_the_all_done_screen_shows_its_counts(
    tmp_path: Path, faithfulness: Rubric, size: tuple[int, int]
) -> None:
    """The counts are not only in the widget: they are painted where the annotator can read them."""
    with Repository.open(tmp_path / "two.db") as repo:
        snapshot.register(repo, faithfulness)
        import_jsonl(
            repo,
            tmp_path / "two.jsonl",
            [{"id": "a", "output": "first answer"}, {"id": "b", "output": "second answer"}],
        )
        app = open_app(repo, faithfulness)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("5", "s")
            await pilot.pause()
            assert isinstance(app.screen, AllDoneScreen)
            assert "1 rated · 1 skipped" in plain(app.screen.query_one("#done-text"))
            on_screen = "\n".join(screen_lines(app))
            assert "All done" in on_screen
            assert "1 rated · 1 skipped" in on_screen


async def test_the_flag_is_visible_in_the_header_at_80x24(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert "flagged" in plain(annotate_screen(app).query_one("#header"))
        assert "flagged" in screen_lines(app)[0], screen_lines(app)[0]


TINY = (40, 10)


def labels_in(app: AnnotateApp) -> int:
    return len(app.session.repo.events(annotator=ANNOTATOR))


async def test_a_terminal_too_small_says_so_and_rates_nothing(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=TINY) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        assert screen.has_class("too-small")
        on_screen = "\n".join(screen_lines(app))
        assert "terminal too small: 40×10" in on_screen
        assert "the app needs at least 80×24" in on_screen
        first = app.session.current_id
        # rating, skipping, flagging, moving: all ignored, and nothing reaches the database
        await pilot.press("3", "s", "f", "n", "u")
        await pilot.pause()
        assert labels_in(app) == 0 and app.session.current_id == first
        assert not app.session.repo.is_flagged(first, "faithfulness", ANNOTATOR)  # type: ignore[arg-type]
        assert "undo ignored: terminal too small (needs 80×24); nothing saved" in plain(
            screen.query_one("#too-small")
        )
        # tags and comment open nothing either (a dialog would save on close)
        await pilot.press("t")
        await pilot.pause()
        assert app.screen is screen
        # back to a size that fits: the item is shown and the keys rate again
        await pilot.resize_terminal(*SMALL)
        await pilot.pause()
        assert not screen.has_class("too-small")
        assert "terminal too small" not in "\n".join(screen_lines(app))
        first_words = app.session.current_item().output.split("\n")[0][:20]  # type: ignore[union-attr]
        assert first_words in "\n".join(screen_lines(app))
        await pilot.press("3")
        await pilot.pause()
        assert labels_in(app) == 1 and app.session.current_id != first


async def test_shrinking_below_the_minimum_stops_rating_until_it_fits(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        assert not screen.has_class("too-small")
        assert not screen.query_one("#too-small").display
        await pilot.press("4")
        await pilot.pause()
        assert labels_in(app) == 1
        for size in ((79, 24), (80, 23)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert screen.has_class("too-small"), size
            await pilot.press("4")
            await pilot.pause()
            assert labels_in(app) == 1, size
        await pilot.resize_terminal(*LARGE)
        await pilot.pause()
        await pilot.press("4")
        await pilot.pause()
        assert labels_in(app) == 2
