"""The annotation loop driven with keys: every key's effect is checked in the store, not in pixels."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.tui.helpers import (
    ANNOTATOR,
    RUBRIC,
    SIZE,
    MakeApp,
    annotate_screen,
    plain,
    press_until,
    settle,
)
from tui_annotate.core.models import Draft
from tui_annotate.store.repository import Repository
from tui_annotate.tui.dialogs.comment import CommentScreen
from tui_annotate.tui.dialogs.help import HelpScreen
from tui_annotate.tui.dialogs.tags import TagPickerScreen
from tui_annotate.tui.screens.done import AllDoneScreen
from tui_annotate.tui.widgets.examples_panel import ExamplesPanel
from tui_annotate.tui.widgets.item_view import ItemView
from tui_annotate.tui.widgets.progress_header import ProgressHeader
from tui_annotate.tui.widgets.rubric_panel import RubricPanel


def header_text(app: object) -> str:
    return plain(annotate_screen(app).query_one(ProgressHeader))  # type: ignore[arg-type]


def rubric_text(app: object) -> str:
    return plain(annotate_screen(app).query_one(RubricPanel))  # type: ignore[arg-type]


def rates(repo: Repository, item_id: int) -> list[int | None]:
    return [
        e.score for e in repo.events(rubric=RUBRIC) if e.item_id == item_id and e.kind == "rate"
    ]


# -- rate, move on -------------------------------------------------------------


async def test_rating_key_stores_the_score_and_time_then_moves_on(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        assert first is not None
        first_ext = sample_repo.get_item(first).external_id
        assert first_ext in header_text(app)
        assert "0 done / 40" in header_text(app)

        await pilot.press("4")
        await pilot.pause()

        label = sample_repo.current_label(first, RUBRIC, ANNOTATOR)
        assert label is not None and label.score == 4
        (event,) = sample_repo.events(rubric=RUBRIC, annotator=ANNOTATOR)
        assert (event.item_id, event.kind, event.score) == (first, "rate", 4)
        assert event.seconds >= 0
        assert event.rubric_version == app.session.rubric.version

        second = app.session.current_id
        assert second is not None and second != first
        assert sample_repo.current_label(second, RUBRIC, ANNOTATOR) is None
        header = header_text(app)
        assert sample_repo.get_item(second).external_id in header
        assert first_ext not in header
        assert "1 done / 40" in header


async def test_every_rating_key_of_the_rubric_rates(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rated = []
        for level in app.session.rubric.scale:
            item = app.session.current_id
            await pilot.press(level.key)
            await pilot.pause()
            rated.append((item, level.value))
        for item, value in rated:
            label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
            assert label is not None and label.score == value


# -- undo ----------------------------------------------------------------------


async def test_undo_goes_back_and_retracts_then_rerate_appends(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        await pilot.press("4")
        await pilot.pause()
        second = app.session.current_id
        assert second != first

        await pilot.press("u")
        await pilot.pause()
        assert app.session.current_id == first
        assert sample_repo.current_label(first, RUBRIC, ANNOTATOR) is None  # type: ignore[arg-type]
        kinds = [e.kind for e in sample_repo.events(rubric=RUBRIC)]
        assert kinds == ["rate", "retract"]
        assert "0 done / 40" in header_text(app)
        assert "▶" not in rubric_text(app)

        await pilot.press("2")
        await pilot.pause()
        events = sample_repo.events(rubric=RUBRIC)
        assert [(e.kind, e.score) for e in events] == [("rate", 4), ("retract", None), ("rate", 2)]
        label = sample_repo.current_label(first, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None and label.score == 2
        assert app.session.current_id == second


async def test_undo_with_nothing_to_undo_is_harmless(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        await pilot.press("u")
        await pilot.pause()
        assert app.session.current_id == first
        assert sample_repo.events() == []


async def test_undo_brings_back_the_tags_and_comment_as_a_draft(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        await pilot.press("t", "h", "enter", "c", *"wrong ETA", "ctrl+s", "3")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        assert app.session.current_id == first
        assert app.session.draft == Draft(("hallucinated-fact",), "wrong ETA")
        await pilot.press("3")
        await pilot.pause()
        label = sample_repo.current_label(first, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None
        assert (label.score, label.tags, label.comment) == (3, ("hallucinated-fact",), "wrong ETA")


# -- tags ----------------------------------------------------------------------


async def test_tag_picker_toggles_confirms_and_the_rating_carries_the_tags(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TagPickerScreen)
        # h on, c on, n on, n off again: a key toggles.
        await pilot.press("h", "c", "n", "n")
        await pilot.pause()
        tag_list = plain(app.screen.query_one("#tag-list"))
        assert "[x] h hallucinated-fact" in tag_list
        assert "[x] c contradicts-data" in tag_list
        assert "[ ] n wrong-number" in tag_list
        await pilot.press("enter")
        await pilot.pause()
        annotate_screen(app)
        assert app.session.draft.tags == ("hallucinated-fact", "contradicts-data")
        assert "tags: hallucinated-fact, contradicts-data" in rubric_text(app)

        await pilot.press("2")
        await pilot.pause()
        label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None
        assert label.score == 2
        assert label.tags == ("hallucinated-fact", "contradicts-data")
        # The next item starts clean.
        assert app.session.draft == Draft()
        assert "tags:" not in rubric_text(app)


async def test_tags_are_stored_in_rubric_order_whatever_the_key_order(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        await pilot.press("t", "o", "i", "h", "enter", "1")
        await pilot.pause()
        label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None
        assert label.tags == ("hallucinated-fact", "ignores-data", "outdated-policy")


async def test_escape_in_the_tag_picker_keeps_the_previous_tags(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        await pilot.press("t", "h", "enter")
        await pilot.pause()
        await pilot.press("t", "h", "c", "o", "escape")
        await pilot.pause()
        annotate_screen(app)
        assert app.session.draft.tags == ("hallucinated-fact",)
        assert sample_repo.get_draft(item, RUBRIC, ANNOTATOR) == Draft(("hallucinated-fact",), "")  # type: ignore[arg-type]
        # Reopening the picker shows what is really chosen, not what was cancelled.
        await pilot.press("t")
        await pilot.pause()
        tag_list = plain(app.screen.query_one("#tag-list"))
        assert "[x] h hallucinated-fact" in tag_list
        assert "[ ] c contradicts-data" in tag_list
        await pilot.press("escape")
        await pilot.press("5")
        await pilot.pause()
        label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None and label.tags == ("hallucinated-fact",)


async def test_keys_do_not_leak_through_the_tag_picker(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        await pilot.press("t", "4", "s", "u", "q")
        await pilot.pause()
        assert isinstance(app.screen, TagPickerScreen)
        assert app.is_running
        assert app.session.current_id == item
        assert sample_repo.events() == []


# -- comment -------------------------------------------------------------------


async def test_comment_modal_saves_with_ctrl_s_and_the_rating_carries_it(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CommentScreen)
        # Keys that are actions on the main screen are text here.
        await pilot.press(*"date is 4 days off, quit?")
        await pilot.press("ctrl+s")
        await pilot.pause()
        annotate_screen(app)
        assert app.is_running
        assert app.session.current_id == item
        assert [e.kind for e in sample_repo.events()] == []
        assert app.session.draft.comment == "date is 4 days off, quit?"
        assert "comment: date is 4 days off, quit?" in rubric_text(app)

        await pilot.press("3")
        await pilot.pause()
        label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None
        assert (label.score, label.comment) == (3, "date is 4 days off, quit?")


async def test_escape_in_the_comment_modal_saves_too(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        await pilot.press("c", *"check the refund amount", "escape")
        await pilot.pause()
        annotate_screen(app)
        assert app.session.draft.comment == "check the refund amount"
        # Reopening shows the saved text, and editing it replaces it.
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CommentScreen)
        assert app.screen.query_one("#comment-text").text == "check the refund amount"  # type: ignore[attr-defined]
        await pilot.press(*"!", "escape", "5")
        await pilot.pause()
        label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None and label.comment == "check the refund amount!"


# -- drafts survive a restart --------------------------------------------------


async def test_tags_and_comment_before_rating_are_a_draft_that_survives_a_restart(
    make_app: MakeApp, sample_repo: Repository, db_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        assert item is not None
        await pilot.press("t", "i", "n", "enter")
        await pilot.pause()
        # Saved the moment the picker closes, not at rating time.
        assert sample_repo.get_draft(item, RUBRIC, ANNOTATOR) == Draft(
            ("ignores-data", "wrong-number"), ""
        )
        await pilot.press("c", *"ignores the fee", "ctrl+s")
        await pilot.pause()
        assert sample_repo.get_draft(item, RUBRIC, ANNOTATOR) == Draft(
            ("ignores-data", "wrong-number"), "ignores the fee"
        )
        assert sample_repo.events() == []
        await pilot.press("q")
    assert not app.is_running

    with Repository.open(db_path) as reopened:
        again = make_app(repo=reopened)
        async with again.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert again.session.current_id == item
            assert again.session.draft == Draft(("ignores-data", "wrong-number"), "ignores the fee")
            text = rubric_text(again)
            assert "tags: ignores-data, wrong-number" in text
            assert "comment: ignores the fee" in text
            await pilot.press("2")
            await pilot.pause()
        label = reopened.current_label(item, RUBRIC, ANNOTATOR)
        assert label is not None
        assert (label.score, label.tags, label.comment) == (
            2,
            ("ignores-data", "wrong-number"),
            "ignores the fee",
        )
        # Rating consumes the draft.
        assert reopened.get_draft(item, RUBRIC, ANNOTATOR) is None


# -- skip, flag, navigate --------------------------------------------------------


async def test_skip_records_a_skip_and_the_item_does_not_come_back(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        skipped = app.session.current_id
        await pilot.press("s")
        await pilot.pause()
        assert [(e.item_id, e.kind) for e in sample_repo.events()] == [(skipped, "skip")]
        assert sample_repo.current_label(skipped, RUBRIC, ANNOTATOR) is None  # type: ignore[arg-type]
        assert app.session.current_id != skipped

        seen: list[int | None] = []

        def finished() -> bool:
            seen.append(app.session.current_id)
            return app.session.done

        await press_until(pilot, "5", finished, limit=45)
        assert skipped not in seen
        assert len(set(seen) - {None}) == 39
        assert isinstance(app.screen, AllDoneScreen)


async def test_flag_marks_the_item_for_review_and_flag_again_unmarks(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        assert item is not None
        await pilot.press("f")
        await pilot.pause()
        assert sample_repo.is_flagged(item, RUBRIC, ANNOTATOR)
        assert "flagged" in header_text(app)
        # Flagging is not rating: the item stays on screen, unlabeled.
        assert app.session.current_id == item
        assert sample_repo.current_label(item, RUBRIC, ANNOTATOR) is None

        await pilot.press("f")
        await pilot.pause()
        assert not sample_repo.is_flagged(item, RUBRIC, ANNOTATOR)
        assert "flagged" not in header_text(app)

        await pilot.press("f", "3")
        await pilot.pause()
        assert sample_repo.is_flagged(item, RUBRIC, ANNOTATOR)
        label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)
        assert label is not None and label.score == 3
        assert [e.kind for e in sample_repo.events()] == ["flag", "unflag", "flag", "rate"]


async def test_next_and_previous_move_without_rating(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        await pilot.press("n")
        await pilot.pause()
        second = app.session.current_id
        assert second is not None and second != first
        await pilot.press("n")
        await pilot.pause()
        third = app.session.current_id
        assert third not in (first, second)
        await pilot.press("p")
        await pilot.pause()
        assert app.session.current_id == second
        assert sample_repo.get_item(second).external_id in header_text(app)
        await pilot.press("p")
        await pilot.pause()
        assert app.session.current_id == first
        await pilot.press("n")
        await pilot.pause()
        assert app.session.current_id == second
        assert sample_repo.events() == []


async def test_items_passed_over_with_next_come_back_after_the_rest(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        passed = app.session.current_id
        await pilot.press("n")
        await pilot.pause()
        seen: list[int | None] = []

        def back_to_passed() -> bool:
            seen.append(app.session.current_id)
            return app.session.current_id == passed

        await press_until(pilot, "5", back_to_passed, limit=45)
        assert len(seen) == 40  # 39 others, then the one passed over
        await pilot.press("5")
        await pilot.pause()
        assert isinstance(app.screen, AllDoneScreen)
        assert len(sample_repo.current_labels(RUBRIC)) == 40


async def test_rating_an_item_already_rated_appends_a_correction(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        assert first is not None
        await pilot.press("4")
        await pilot.pause()
        second = app.session.current_id
        await pilot.press("p")
        await pilot.pause()
        assert app.session.current_id == first
        # The rubric panel shows the score already given.
        assert "▶4 Mostly aligned" in rubric_text(app)

        await pilot.press("2")
        await pilot.pause()
        assert rates(sample_repo, first) == [4, 2]
        label = sample_repo.current_label(first, RUBRIC, ANNOTATOR)
        assert label is not None and label.score == 2
        # A correction is not a new item done.
        assert "1 done / 40" in header_text(app)
        assert app.session.current_id == second


async def test_tagging_a_rated_item_after_previous_is_a_correction(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        assert first is not None
        await pilot.press("4", "p", "t", "n", "enter")
        await pilot.pause()
        label = sample_repo.current_label(first, RUBRIC, ANNOTATOR)
        assert label is not None
        assert (label.score, label.tags) == (4, ("wrong-number",))
        assert rates(sample_repo, first) == [4, 4]


# -- quit and resume -----------------------------------------------------------


async def test_quit_then_reopen_resumes_at_the_next_unlabeled_item(
    make_app: MakeApp, sample_repo: Repository, db_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rated = []
        for key in "543":
            rated.append(app.session.current_id)
            await pilot.press(key)
            await pilot.pause()
        waiting = app.session.current_id
        assert waiting not in rated
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0

    with Repository.open(db_path) as reopened:
        assert [lab.score for lab in reopened.current_labels(RUBRIC)] != []
        again = make_app(repo=reopened)
        async with again.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert again.session.current_id == waiting
            assert "3 done / 40" in header_text(again)
            # Undo and previous reach back across the restart.
            await pilot.press("p")
            await pilot.pause()
            assert again.session.current_id == rated[-1]
            await pilot.press("n", "u")
            await pilot.pause()
            assert again.session.current_id == rated[-1]
            assert reopened.current_label(rated[-1], RUBRIC, ANNOTATOR) is None  # type: ignore[arg-type]


async def test_a_fresh_app_resumes_where_a_session_that_rated_everything_left_off(
    make_app: MakeApp, sample_repo: Repository, db_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_until(pilot, "4", lambda: app.session.done, limit=45)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    with Repository.open(db_path) as reopened:
        again = make_app(repo=reopened)
        async with again.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert again.session.done
            assert isinstance(again.screen, AllDoneScreen)
            assert "40 rated · 0 skipped" in plain(again.screen.query_one("#done-text"))


# -- all done ------------------------------------------------------------------


async def test_rating_everything_shows_the_all_done_screen_with_counts(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_until(pilot, "5", lambda: isinstance(app.screen, AllDoneScreen), limit=45)
        text = plain(app.screen.query_one("#done-text"))
        assert "All done" in text
        assert "40 rated · 0 skipped" in text
        assert "faithfulness" in text
        assert len(sample_repo.current_labels(RUBRIC)) == 40
        # Rating keys do nothing here.
        await pilot.press("5")
        await pilot.pause()
        assert len([e for e in sample_repo.events() if e.kind == "rate"]) == 40
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_revisit_skipped_from_the_done_screen(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        skipped = app.session.current_id
        await pilot.press("s")
        await pilot.pause()
        await press_until(pilot, "5", lambda: isinstance(app.screen, AllDoneScreen), limit=45)
        assert "39 rated · 1 skipped" in plain(app.screen.query_one("#done-text"))

        await pilot.press("r")
        await pilot.pause()
        annotate_screen(app)
        assert app.session.current_id == skipped

        await pilot.press("1")
        await pilot.pause()
        label = sample_repo.current_label(skipped, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None and label.score == 1
        assert isinstance(app.screen, AllDoneScreen)
        # The stored state has no skipped item left; the screen should say so.
        assert sample_repo.progress(RUBRIC, ANNOTATOR, 1) == (40, 0, 0)
        assert "40 rated · 0 skipped" in plain(app.screen.query_one("#done-text"))


async def test_previous_from_the_done_screen_goes_back_to_the_last_item(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        last = None

        def done() -> bool:
            nonlocal last
            if not app.session.done:
                last = app.session.current_id
            return isinstance(app.screen, AllDoneScreen)

        await press_until(pilot, "5", done, limit=45)
        await pilot.press("p")
        await pilot.pause()
        annotate_screen(app)
        assert app.session.current_id == last
        await pilot.press("3")
        await pilot.pause()
        assert rates(sample_repo, last) == [5, 3]  # type: ignore[arg-type]
        assert isinstance(app.screen, AllDoneScreen)


# -- help, examples, markdown ----------------------------------------------------


async def test_help_lists_every_anchor_and_closes_with_escape(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("?")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = plain(app.screen.query_one("#dialog Static"))
        for level in app.session.rubric.scale:
            assert (
                f"{level.value} {level.label} ({app.session.rubric.verdict(level.value)})" in text
            )
            assert level.description in text
        for key in ("undo", "skip", "flag", "comment", "tags", "quit"):
            assert key in text
        await pilot.press("escape")
        await pilot.pause()
        annotate_screen(app)


async def test_help_keys_do_not_rate(make_app: MakeApp, sample_repo: Repository) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("?", "4", "?")
        await pilot.pause()
        annotate_screen(app)
        assert sample_repo.events() == []


async def test_e_toggles_the_examples_panel(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        panel = screen.query_one("#examples", ExamplesPanel)
        assert panel.display
        await pilot.press("e")
        await pilot.pause()
        assert not panel.display
        # Stays hidden across items: the choice is the annotator's, not the item's.
        await pilot.press("5")
        await pilot.pause()
        assert not panel.display
        await pilot.press("e")
        await pilot.pause()
        assert panel.display


async def test_m_toggles_markdown_rendering_of_the_output(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = annotate_screen(app).query_one(ItemView)
        raw = view.query_one("#output")
        assert raw.display and not view.query("#output-md")  # made on first use only
        await pilot.press("m")
        await pilot.pause()
        md = view.query_one("#output-md")
        assert view.markdown
        assert md.display and not raw.display
        # The setting follows the annotator to the next item.
        await pilot.press("n")
        await pilot.pause()
        assert md.display and not raw.display
        await pilot.press("m")
        await pilot.pause()
        assert not view.markdown
        assert raw.display and not md.display


async def test_undo_of_a_skip_brings_the_item_back(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        skipped = app.session.current_id
        await pilot.press("s", "u")
        await pilot.pause()
        assert app.session.current_id == skipped
        assert [e.kind for e in sample_repo.events()] == ["skip", "retract"]
        assert "0 done / 40" in header_text(app)
        await pilot.press("3")
        await pilot.pause()
        label = sample_repo.current_label(skipped, RUBRIC, ANNOTATOR)  # type: ignore[arg-type]
        assert label is not None and label.score == 3


async def test_a_slow_progress_count_does_not_wipe_out_ratings_made_meanwhile(
    make_app: MakeApp, sample_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a big queue the first count takes a while; a rating made before it lands must still count.

    The count runs on its own connection in a worker thread. Here it reads the
    database at once but reports only after the annotator has rated an item,
    which is what happens when the count is slow.
    """
    original = Repository.progress
    counted, rated = threading.Event(), threading.Event()

    def slow_progress(
        self: Repository, rubric: str, annotator: str, overlap: int, **options: object
    ) -> tuple[int, int, int]:
        counts = original(self, rubric, annotator, overlap, **options)  # type: ignore[arg-type]
        if threading.current_thread() is not threading.main_thread():
            counted.set()
            rated.wait(timeout=30)
        return counts

    monkeypatch.setattr(Repository, "progress", slow_progress)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):
            if counted.is_set():
                break
            await pilot.pause()
        assert counted.is_set(), "the progress worker never counted"
        await pilot.press("5")
        await pilot.pause()
        rated.set()
        await settle(pilot)
        assert len(sample_repo.current_labels(RUBRIC)) == 1
        assert app.session.progress.done == 1
        assert "1 done / 40" in header_text(app)
