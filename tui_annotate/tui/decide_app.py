"""The Decide app: one prompt's scorecard, comparison, trend and failure tags (`decide`).

Read-only, lead-only (the command checks), on the same base as every app of
ours. It imports neither numpy nor scipy: the numbers are computed by
`DecideData` on worker threads, so the screen draws at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import SystemCommand
from textual.screen import Screen

from tui_annotate.tui.action_views import dialog_palette, palette
from tui_annotate.tui.actions import DECIDE
from tui_annotate.tui.app_base import TerminalApp
from tui_annotate.tui.screens.decide_data import DecideData
from tui_annotate.tui.screens.decide_tabs import DecideScreen


class DecideApp(TerminalApp[None]):
    """Shows DATA's numbers; nothing here writes to the project."""

    CSS_PATH = "decide.tcss"
    TITLE = "tui-annotate"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, data: DecideData, *, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.use_keymap(keymap or {})
        self.data = data

    def on_mount(self) -> None:
        self.push_screen(DecideScreen(self.data))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if isinstance(screen, DecideScreen):
            yield from palette(self, screen, DECIDE, None)
        else:
            yield from dialog_palette(self, screen)
            yield SystemCommand("App: quit", "Close the Decide screen", self.exit)
        yield from self.system_commands_without_quit(screen)
