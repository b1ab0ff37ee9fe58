"""The Decide screen's help: every key (as the user's keymap has it) and how to read the numbers."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_annotate.tui.action_views import bindings, spoken_keys
from tui_annotate.tui.actions import HELP

READING = (
    "Every rate shows its interval (Wilson, 95 %) and PASS/n; — means undefined (n = 0).",
    "A bar is green when its interval lies wholly above the threshold │, red when wholly",
    "below it, yellow when it straddles it: too little data to tell.",
    "Compare pairs the two versions on the same cases; Δ is candidate − baseline.",
)


class DecideHelpScreen(ModalScreen[None]):
    """A modal listing the keys; Escape, q or ? closes it (help.close, remappable)."""

    ACTIONS = HELP
    BINDINGS = bindings(ACTIONS)

    def __init__(self, rows: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        lines = [Content.styled("Keys", "bold")]
        for key, text in self.rows:
            lines.append(Content.assemble(Content.styled(f"  {key:<15} ", "bold $accent"), text))
        lines.append(Content(""))
        lines.append(Content.styled("Reading the numbers", "bold"))
        lines += [Content(f"  {line}") for line in READING]
        with VerticalScroll(id="dialog"):
            yield Static(Content("\n").join(lines))

    def on_mount(self) -> None:
        box = self.query_one("#dialog")
        box.border_title = "help — decide"
        first, *_ = spoken_keys(self.app, HELP[0])
        box.border_subtitle = f"{first} closes this help"

    def action_close(self) -> None:
        self.dismiss(None)
