"""Help: every key, what it does (as the user's keymap has it), and the rubric's scale."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_annotate.core.models import Rubric
from tui_annotate.tui.action_views import bindings, spoken_keys
from tui_annotate.tui.actions import HELP


class HelpScreen(ModalScreen[None]):
    """A modal listing keys; any of Escape, q or ? closes it (help.close, remappable)."""

    #: Its actions: the bindings, and the palette's entries while it is open.
    ACTIONS = HELP
    BINDINGS = bindings(ACTIONS)

    def __init__(self, rubric: Rubric, rows: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.rubric = rubric
        #: (keys, what they do), generated from the screen's action table (tui/actions.py).
        self.rows = rows

    def compose(self) -> ComposeResult:
        lines = [Content.styled("Rating keys", "bold")]
        for level in self.rubric.scale:
            verdict = self.rubric.verdict(level.value)
            lines.append(
                Content.assemble(
                    Content.styled(f"  {level.key:<7}", "bold $accent"),
                    f"{level.value} {level.label} ({verdict}): ",
                    Content.styled(level.description, "dim"),
                )
            )
        lines.append(Content(""))
        lines.append(Content.styled("Other keys", "bold"))
        for key, text in self.rows:
            lines.append(Content.assemble(Content.styled(f"  {key:<7}", "bold $accent"), text))
        lines.append(Content(""))
        lines.append(
            Content.styled(
                "Rating moves on at once and is saved before the next item shows. "
                "Rating an item you already rated adds a correction; nothing is overwritten.",
                "italic",
            )
        )
        with VerticalScroll(id="dialog"):
            yield Static(Content("\n").join(lines))

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = f"help — {self.rubric.title}"
        first, *more = spoken_keys(self.app, HELP[0])
        also = f" (or {', '.join(more)})" if more else ""
        self.query_one("#dialog").border_subtitle = f"{first} closes this help{also}"

    def action_close(self) -> None:
        self.dismiss(None)
