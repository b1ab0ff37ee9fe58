"""The all-done screen: counts, and a way back to skipped items."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_annotate.core.models import Progress
from tui_annotate.tui.action_views import bindings
from tui_annotate.tui.actions import DONE


class AllDoneScreen(Screen[str]):
    """Dismissed with 'revisit' (r), 'back' (p) or 'quit' (q)."""

    BINDINGS = bindings(DONE)

    def __init__(self, progress: Progress, rubric: str, annotator: str) -> None:
        super().__init__()
        self.progress = progress
        self.rubric = rubric
        self.annotator = annotator

    def compose(self) -> ComposeResult:
        p = self.progress
        lines = [
            Content.styled("All done", "bold $success"),
            Content(""),
            Content(f"Nothing left in {self.annotator}'s queue for {self.rubric}."),
            Content(f"{p.done} rated · {p.skipped} skipped"),
            Content(""),
            Content.styled(
                "Every label is saved. r revisits skipped items, p goes back, q quits.", "dim"
            ),
        ]
        with Center(), Vertical(id="done-box"):
            yield Static(Content("\n").join(lines), id="done-text")
        yield Footer()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
