"""Every action is in the command palette, named "verb: object", and runs from there."""

from __future__ import annotations

from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from tests.tui.helpers import ANNOTATOR, RUBRIC, SIZE, MakeApp, annotate_screen, settle
from tui_annotate.store.repository import Repository
from tui_annotate.tui.dialogs.help import HelpScreen
from tui_annotate.tui.dialogs.tags import TagPickerScreen

EXPECTED = [
    "Rate: 5 Aligned",
    "Rate: 4 Mostly aligned",
    "Rate: 3 Partially aligned",
    "Rate: 2 Mostly misaligned",
    "Rate: 1 Misaligned",
    "Tags: pick",
    "Comment: edit",
    "Label: undo",
    "Item: skip",
    "Item: flag",
    "Item: next",
    "Item: previous",
    "Examples: toggle",
    "Markdown: toggle",
    "Help: show",
    "Results: show",
    "App: quit",
]


async def run_from_palette(pilot: Pilot[Any], search: str, expect: str) -> None:
    """Open the palette, type SEARCH, wait until EXPECT is the highlighted hit, press Enter."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    await pilot.press(*search)
    hits = palette.query_one(CommandList)
    for _ in range(200):
        await pilot.pause()
        if hits.option_count and hits.highlighted is not None:
            break
    assert hits.option_count, f"no command matches {search!r}"
    top = str(hits.get_option_at_index(hits.highlighted or 0).prompt)
    assert expect in top, f"{search!r} highlights {top!r}, not {expect!r}"
    await pilot.press("enter")
    await pilot.pause()


async def test_the_palette_lists_every_action_by_name(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in EXPECTED:
            assert title in titles
        ours = titles[: len(EXPECTED)]
        assert ours == EXPECTED
        for title in ours:
            verb, _, obj = title.partition(": ")
            assert verb and obj, f"{title!r} is not 'verb: object'"


async def test_every_palette_command_has_help_text(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for command in app.get_system_commands(app.screen):
            assert command.help, f"{command.title!r} has no help text"


async def test_the_palette_offers_one_quit_not_two(make_app: MakeApp) -> None:
    """The app replaces Textual's own quit with "App: quit"; the built-in one must be gone."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        quits = [t for t in titles if "quit" in t.lower()]
        assert quits == ["App: quit"]


async def test_undo_from_the_palette(make_app: MakeApp, sample_repo: Repository) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        await pilot.press("4")
        await pilot.pause()
        assert app.session.current_id != first
        await run_from_palette(pilot, "undo", "Label: undo")
        annotate_screen(app)
        assert app.session.current_id == first
        assert sample_repo.current_label(first, RUBRIC, ANNOTATOR) is None  # type: ignore[arg-type]
        assert [e.kind for e in sample_repo.events()] == ["rate", "retract"]


async def test_rate_skip_flag_tags_and_help_from_the_palette(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        assert first is not None
        await run_from_palette(pilot, "Rate: 5", "Rate: 5 Aligned")
        label = sample_repo.current_label(first, RUBRIC, ANNOTATOR)
        assert label is not None and label.score == 5

        second = app.session.current_id
        assert second is not None and second != first
        await run_from_palette(pilot, "Item: flag", "Item: flag")
        assert sample_repo.is_flagged(second, RUBRIC, ANNOTATOR)
        await run_from_palette(pilot, "Item: skip", "Item: skip")
        assert [e.kind for e in sample_repo.events() if e.item_id == second] == ["flag", "skip"]

        await run_from_palette(pilot, "Tags: pick", "Tags: pick")
        assert isinstance(app.screen, TagPickerScreen)
        await pilot.press("escape")
        await pilot.pause()
        await run_from_palette(pilot, "Help: show", "Help: show")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        annotate_screen(app)


async def test_quit_from_the_palette(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_from_palette(pilot, "App: quit", "App: quit")
        assert not app.is_running
