"""Model text is data: markup, escape sequences and control characters are shown, never obeyed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual.app import App
from textual.pilot import Pilot

from tests.tui.helpers import (
    SIZE,
    MakeApp,
    annotate_screen,
    import_jsonl,
    open_app,
    plain,
    press_until,
    rendered_segments,
    screen_lines,
    settle,
)
from tui_annotate.core import snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.annotate_app import AnnotateApp
from tui_annotate.tui.widgets.progress_header import ProgressHeader

# Everything a terminal would act on: ESC (CSI/OSC), BEL, BS, CR, C1 CSI, bidi override.
RAW_CONTROLS = ("\x1b", "\x07", "\x08", "\r", "\x9b", "\u202e")

EVIL_OUTPUT = "\x1b]52;c;ZXZpbA==\x07 \x1b[2J [link=http://x]y[/link] \x08\x08 \u202e"


def screen_segments(app: App[Any]) -> list[Segment]:
    return [seg for strip in app.screen._compositor.render_strips() for seg in strip]


def assert_nothing_interpreted(segments: list[Segment]) -> None:
    """No control character reaches the terminal and no markup became a style or a link."""
    for seg in segments:
        for raw in RAW_CONTROLS:
            assert raw not in seg.text, f"{raw!r} reached the terminal in {seg.text!r}"
        if seg.style is not None:
            assert seg.style.link is None, f"a link was made from {seg.text!r}"


def styled_as(segments: list[Segment], word: str) -> list[Segment]:
    return [s for s in segments if word in s.text]


async def show(pilot: Pilot[Any], app: AnnotateApp, item_id: int) -> None:
    """Walk the queue with `n` (no labels written) until ITEM_ID is on screen."""
    await settle(pilot)
    await press_until(pilot, "n", lambda: app.session.current_id == item_id, limit=45)


def sample_id(repo: Repository, external: str) -> int:
    return repo.item_ids_by_external([external])[external]


async def test_rich_markup_in_the_output_is_shown_literally(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot, app, sample_id(sample_repo, "nw-037"))
        output = annotate_screen(app).query_one("#output")
        content = output.visual  # type: ignore[attr-defined]
        assert "[bold red]DELAYED[/]" in content.plain
        assert "[link=http://example.com]here[/link]" in content.plain
        assert "[b]June 14[/b]" in content.plain
        # Markup would have become spans; literal text has none.
        assert list(content.spans) == []

        segments = rendered_segments(output)
        painted = "".join(s.text for s in segments)
        assert "[bold red]DELAYED[/]" in painted
        for seg in styled_as(segments, "DELAYED") + styled_as(segments, "June 14"):
            assert seg.style is not None and not seg.style.bold
            assert seg.style.color is None or seg.style.color.name != "red"
        assert_nothing_interpreted(segments)
        assert any("[bold red]DELAYED[/]" in line for line in screen_lines(app))


async def test_escape_sequences_in_the_output_are_shown_as_symbols(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot, app, sample_id(sample_repo, "nw-038"))
        output = annotate_screen(app).query_one("#output")
        text = plain(output)
        assert "\x1b" not in text and "\x07" not in text
        assert "␛]0;pwned␇" in text  # the title change, printed
        assert "␛[31m2024-06-12 06:05" in text  # the colour, printed
        assert "␛[0m" in text
        segments = rendered_segments(output)
        assert "␛" in "".join(s.text for s in segments)
        for seg in styled_as(segments, "Out for delivery"):
            assert seg.style is not None
            assert seg.style.color is None or seg.style.color.name != "red"
        assert_nothing_interpreted(segments)
        assert_nothing_interpreted(screen_segments(app))


async def test_backspaces_and_carriage_returns_cannot_hide_text(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot, app, sample_id(sample_repo, "nw-039"))
        output = annotate_screen(app).query_one("#output")
        text = plain(output)
        assert "\x08" not in text and "\r" not in text
        # On a terminal, CR would let "Order …" overwrite "Checking …", and the
        # backspaces would erase "$45.00"; both must stay readable.
        assert "Checking order status..." in text
        assert "Order NW-48299: refund complete." in text
        assert "$45.00" in text and "$54.00" in text
        assert "␈␈␈␈␈␈" in text
        painted = "".join(s.text for s in rendered_segments(output))
        assert "$45.00" in painted
        assert_nothing_interpreted(rendered_segments(output))


@pytest.mark.parametrize("external", ["nw-037", "nw-038", "nw-039"])
async def test_markdown_mode_still_shows_markup_and_escapes_literally(
    make_app: MakeApp, sample_repo: Repository, external: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot, app, sample_id(sample_repo, external))
        await pilot.press("m")
        await pilot.pause()
        assert annotate_screen(app).query_one("#output-md").display
        segments = screen_segments(app)
        assert_nothing_interpreted(segments)
        screen = "\n".join(screen_lines(app))
        if external == "nw-037":
            assert "[bold red]DELAYED[/]" in screen
            for seg in styled_as(segments, "DELAYED"):
                assert seg.style is not None and not seg.style.bold
        elif external == "nw-038":
            assert "␛]0;pwned␇" in screen
        else:
            assert "$45.00" in screen


# -- an item of our own, worse than the samples ----------------------------------------


@pytest.fixture
def evil_repo(tmp_path: Path, faithfulness: Rubric) -> Iterator[Repository]:
    repo = Repository.open(tmp_path / "evil.db")
    snapshot.register(repo, faithfulness)
    import_jsonl(
        repo,
        tmp_path / "evil.jsonl",
        [
            {
                "id": "evil-[b]1[/b]",
                "input": "hi \x1b]0;title\x07 [red]there[/red]",
                "context": "\x1b[2J\x1b[H[link=http://x]ctx[/link]",
                "output": EVIL_OUTPUT,
            }
        ],
    )
    yield repo
    repo.close()


async def test_a_hostile_output_is_shown_inert(evil_repo: Repository, faithfulness: Rubric) -> None:
    app = open_app(evil_repo, faithfulness)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        output = screen.query_one("#output")
        text = plain(output)
        assert text == "␛]52;c;ZXZpbA==␇ ␛[2J [link=http://x]y[/link] ␈␈ <U+202E>"
        assert list(output.visual.spans) == []  # type: ignore[attr-defined]
        for section in ("#input", "#context"):
            shown = plain(screen.query_one(section))
            assert "␛" in shown and "\x1b" not in shown
        assert "[red]there[/red]" in plain(screen.query_one("#input"))
        assert "[link=http://x]ctx[/link]" in plain(screen.query_one("#context"))
        header = plain(screen.query_one(ProgressHeader))
        assert "evil-[b]1[/b]" in header

        segments = screen_segments(app)
        assert_nothing_interpreted(segments)
        lines = "\n".join(screen_lines(app))
        assert "␛]52;c;ZXZpbA==␇" in lines  # the clipboard write, printed
        assert "[link=http://x]y[/link]" in lines
        assert "<U+202E>" in lines

        await pilot.press("m")
        await pilot.pause()
        assert_nothing_interpreted(screen_segments(app))
        assert "␛]52;c;ZXZpbA==␇" in "\n".join(screen_lines(app))

        # Rating it works like any other item.
        await pilot.press("1")
        await pilot.pause()
        (label,) = evil_repo.current_labels("faithfulness")
        assert label.score == 1
