"""The results app: one closed round's agreement, shown by `calibrate show ROUND`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import SystemCommand
from textual.screen import Screen

from tui_annotate.tui.action_views import palette
from tui_annotate.tui.actions import RESULTS
from tui_annotate.tui.app_base import TerminalApp
from tui_annotate.tui.screens.results import ResultsScreen


class ResultsApp(TerminalApp[None]):
    """Shows a round's stored result (the dict `calibration.compute` returns); read-only."""

    CSS_PATH = "results.tcss"
    TITLE = "tui-annotate"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, result: dict[str, Any], *, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.use_keymap(keymap or {})
        self.result = result

    def on_mount(self) -> None:
        self.push_screen(ResultsScreen(self.result))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if isinstance(screen, ResultsScreen):
            yield from palette(self, screen, RESULTS, None)
        else:
            yield SystemCommand("App: quit", "Close the results", self.exit)
        yield from self.system_commands_without_quit(screen)
