"""What pilot tests share: the app's names, waiting for it, and reading what it shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.segment import Segment
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from tui_annotate.config import Settings
from tui_annotate.core import ingest
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.annotate_app import AnnotateApp
from tui_annotate.tui.factory import make_annotate_app
from tui_annotate.tui.screens.annotate import AnnotateScreen

RUBRIC = "faithfulness"
ANNOTATOR = "ana"
SIZE = (120, 40)

#: make_app(repo=None, **open_app options) -> AnnotateApp (the fixture in conftest.py)
MakeApp = Callable[..., AnnotateApp]


def open_app(
    repo: Repository,
    rubric: Rubric,
    annotator: str = ANNOTATOR,
    *,
    settings: Settings | None = None,
    **options: Any,
) -> AnnotateApp:
    """The app as `annotate` builds it (tui/factory.py): the gate, the keymap and the rest."""
    return make_annotate_app(
        settings or Settings(), repo=repo, rubric=rubric, annotator=annotator, **options
    )


def import_jsonl(repo: Repository, path: Path, rows: list[dict[str, Any]]) -> None:
    """Write ROWS as a JSONL file and import it (the same path the CLI takes)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ingest.import_items(repo, path)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until the progress count has landed and the screen has caught up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def annotate_screen(app: App[Any]) -> AnnotateScreen:
    screen = app.screen
    assert isinstance(screen, AnnotateScreen), f"expected the annotate screen, got {screen!r}"
    return screen


def plain(widget: Widget) -> str:
    """The text a Static shows (its visual, as built by update())."""
    assert isinstance(widget, Static)
    return widget.visual.plain  # type: ignore[attr-defined]


def rendered_segments(widget: Widget) -> list[Segment]:
    """Every segment the widget paints, border included: what reaches the terminal."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    return [seg for strip in widget.render_lines(region) for seg in strip]


def rendered_text(widget: Widget) -> str:
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    return "\n".join(strip.text for strip in widget.render_lines(region))


def screen_lines(app: App[Any]) -> list[str]:
    """The composed screen as lines of text: what the annotator actually sees."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def press_until(
    pilot: Pilot[Any], key: str, done: Callable[[], bool], *, limit: int = 60
) -> None:
    """Press KEY until DONE() holds (bounded, so a broken queue fails instead of hanging)."""
    for _ in range(limit):
        if done():
            return
        await pilot.press(key)
        await pilot.pause()
    assert done(), f"pressed {key!r} {limit} times and the condition never held"
