"""Every action is defined once and reachable three ways: its key, the help screen, the palette.

And a user's [keymap] moves a key everywhere it shows: the binding, the footer, help, palette.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Static

from tests.tui.helpers import (
    SIZE,
    MakeApp,
    annotate_screen,
    open_app,
    plain,
    press_until,
    screen_lines,
    settle,
)
from tests.tui.test_calibration_screens import DISPUTED, closed_round, review_app, review_screen
from tui_annotate.config import KeyChoice, Settings
from tui_annotate.core import calibration
from tui_annotate.core.models import Rubric
from tui_annotate.core.rubric import RESERVED_KEYS
from tui_annotate.store.repository import Repository
from tui_annotate.tui.action_views import help_line
from tui_annotate.tui.actions import (
    ANNOTATE,
    COMMENT,
    DONE,
    HELP,
    RESULTS,
    REVIEW,
    TABLES,
    TAGS,
    Action,
)
from tui_annotate.tui.dialogs.comment import CommentScreen
from tui_annotate.tui.dialogs.help import HelpScreen
from tui_annotate.tui.dialogs.note import NoteScreen
from tui_annotate.tui.dialogs.tags import TagPickerScreen
from tui_annotate.tui.keymap import normalize
from tui_annotate.tui.results_app import ResultsApp
from tui_annotate.tui.review_app import ReviewApp
from tui_annotate.tui.screens.done import AllDoneScreen


def bound_ids(app: App[Any]) -> dict[str, set[str]]:
    """Binding id -> the keys that run it on the current screen (Textual's public view)."""
    out: dict[str, set[str]] = {}
    for key, active in app.screen.active_bindings.items():
        if active.binding.id:
            out.setdefault(active.binding.id, set()).add(key)
    return out


def titles(app: App[Any]) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


def check_keys_and_palette(app: App[Any], table: tuple[Action, ...]) -> None:
    bound = bound_ids(app)
    shown = titles(app)
    for action in table:
        assert action.title in shown, f"{action.id} is not in the palette"
        if action.key:
            assert bound.get(action.id) == set(normalize(action.key)), action.id


async def help_text(pilot: Any, key: str = "question_mark") -> str:
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, HelpScreen)
    return plain(pilot.app.screen.query_one(Static))


async def test_every_annotate_action_has_its_key_a_help_line_and_a_palette_entry(
    make_app: MakeApp, faithfulness: Rubric
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        check_keys_and_palette(app, ANNOTATE)
        bound = bound_ids(app)
        shown = titles(app)
        for level in faithfulness.scale:
            assert bound[f"rate.{level.value}"] == {level.key}
            assert f"Rate: {level.value} {level.label}" in shown
        text = await help_text(pilot)
        for action in ANNOTATE:
            if action.key:
                line = help_line(app, action)
                assert line and line in text, f"{action.id} is not in the help"
        assert "(each tag has a key; Enter confirms)" in text


async def test_the_review_and_results_screens_bind_and_list_their_tables(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = closed_round(sample_repo, faithfulness, DISPUTED, bootstrap=0)
    app = review_app(sample_repo, faithfulness, round_)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        check_keys_and_palette(app, REVIEW)
        assert bound_ids(app)["review.adjudicate.3"] == {"3"}
    results = ResultsApp(round_.result)
    async with results.run_test(size=SIZE) as pilot:
        await pilot.pause()
        check_keys_and_palette(results, RESULTS)


async def test_the_all_done_screen_binds_and_lists_its_table(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_until(pilot, "5", lambda: isinstance(app.screen, AllDoneScreen))
        check_keys_and_palette(app, DONE)
        assert titles(app).count("App: quit") == 1


async def test_a_remapped_review_key_moves_through_the_disputed_items(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = closed_round(sample_repo, faithfulness, DISPUTED, bootstrap=0)
    items = calibration.review_items(sample_repo, round_, faithfulness)
    app = ReviewApp(
        repo=sample_repo,
        round_=round_,
        rubric=faithfulness,
        items=items,
        adjudicator="lead",
        keymap={"review.next": "j"},
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert review_screen(app).pos == 0
        await pilot.press("j")
        await pilot.pause()
        assert review_screen(app).pos == 1
        assert "j next" in screen_lines(app)[-1]


def test_the_rubric_check_reserves_exactly_the_annotate_screens_keys() -> None:
    """core/rubric.py can't import the TUI; this keeps its copy of the keys honest."""
    defaults = {k for a in ANNOTATE for k in a.key.split(",") if a.key}
    as_typed = {"?" if k == "question_mark" else k for k in defaults}
    assert set(RESERVED_KEYS) == as_typed


def remap(*pairs: tuple[str, str]) -> Settings:
    return Settings(keymap=tuple(KeyChoice(a, k, "tui-annotate.toml", "project") for a, k in pairs))


async def test_a_remapped_key_runs_its_action_and_shows_in_footer_help_and_palette(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    app = open_app(sample_repo, faithfulness, settings=remap(("skip", "x"), ("help", "f1")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        await pilot.press("s")  # the old key does nothing now
        await pilot.pause()
        assert app.session.current_id == first
        assert [e.kind for e in sample_repo.events()] == []
        await pilot.press("x")
        await pilot.pause()
        assert app.session.current_id != first
        assert [(e.kind, e.item_id) for e in sample_repo.events()] == [("skip", first)]

        keys = {b.binding.key: b.binding.id for b in app.screen.active_bindings.values()}
        assert keys.get("x") == "skip" and "s" not in keys
        footer = screen_lines(app)[-1]
        assert "x skip" in footer and "s skip" not in footer
        palette = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert palette["Item: skip"].endswith("(x)")

        text = await help_text(pilot, "f1")
        assert any(line.strip().startswith("x ") and "skip:" in line for line in text.splitlines())
        assert any(
            line.strip().startswith("f1 ") and "this help" in line for line in text.splitlines()
        )
        await pilot.press("escape")
        await pilot.pause()
        annotate_screen(app)


# -- the dialogs: their keys, their hint line (their help) and the palette while open ----------


async def open_dialog(pilot: Any, key: str, kind: type[Any]) -> str:
    """Press KEY, check that dialog KIND opened; what the screen shows then."""
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, kind), f"{key} opened {pilot.app.screen!r}"
    return "\n".join(screen_lines(pilot.app))


def test_every_dialog_has_a_table_and_every_table_is_listed() -> None:
    assert (CommentScreen.ACTIONS, TagPickerScreen.ACTIONS, HelpScreen.ACTIONS) == (
        COMMENT,
        TAGS,
        HELP,
    )
    assert {TABLES[name] for name in ("comment", "tags", "help")} == {COMMENT, TAGS, HELP}
    for table in (COMMENT, TAGS, HELP):
        ids = [a.id for a in table]
        assert all(a.key for a in table) and len(set(ids)) == len(ids)


async def test_every_dialog_action_has_its_key_its_hint_and_a_palette_entry(
    make_app: MakeApp,
) -> None:
    app = make_app()
    dialogs = (
        ("c", CommentScreen, COMMENT, "Ctrl+S or Esc save · clear the text"),
        ("t", TagPickerScreen, TAGS, "toggle · Enter confirm · Esc cancel"),
        ("question_mark", HelpScreen, HELP, "Esc closes this help (or q, ?)"),
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, kind, table, hint in dialogs:
            shown = await open_dialog(pilot, key, kind)
            check_keys_and_palette(app, table)
            assert hint in shown
            assert "App: quit" in titles(app)  # the app's own entries stay
            await pilot.press("escape")
            await pilot.pause()
            annotate_screen(app)


async def test_the_note_editor_has_the_comment_editors_keys(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    round_ = closed_round(sample_repo, faithfulness, DISPUTED, bootstrap=0)
    app = review_app(sample_repo, faithfulness, round_)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = await open_dialog(pilot, "c", NoteScreen)
        check_keys_and_palette(app, COMMENT)
        assert "Ctrl+S or Esc keep · saved with the golden label" in shown


async def test_remapped_dialog_keys_run_their_actions_and_show_in_the_hints(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    settings = remap(("comment.save", "ctrl+k"), ("tags.confirm", "ctrl+y"), ("help.close", "f2"))
    app = open_app(sample_repo, faithfulness, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = await open_dialog(pilot, "c", CommentScreen)
        assert "Ctrl+K or Esc save" in shown
        await pilot.press(*"off by one", "ctrl+s")  # the old key saves no more
        await pilot.pause()
        assert isinstance(app.screen, CommentScreen)
        await pilot.press("ctrl+k")
        await pilot.pause()
        annotate_screen(app)
        assert app.session.draft.comment == "off by one"
        palette = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert "Comment: save" not in palette  # a dialog's entries only while it is open

        shown = await open_dialog(pilot, "t", TagPickerScreen)
        assert "Ctrl+Y confirm · Esc cancel" in shown
        await pilot.press("h", "enter")  # enter confirms no more
        await pilot.pause()
        assert isinstance(app.screen, TagPickerScreen)
        palette = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert palette["Tags: confirm"].endswith("(ctrl+y)")
        await pilot.press("ctrl+y")
        await pilot.pause()
        annotate_screen(app)
        assert app.session.draft.tags == ("hallucinated-fact",)

        shown = await open_dialog(pilot, "question_mark", HelpScreen)
        assert "F2 closes this help" in shown and "(or q, ?)" not in shown
        # The annotate screen's line for the tag picker names the remapped key too.
        assert "each tag has a key; Ctrl+Y confirms" in shown and "Enter confirms" not in shown
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f2")
        await pilot.pause()
        annotate_screen(app)
