"""The adjudication note: the comment editor, titled for the note a golden label carries."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static, TextArea

from tui_annotate.tui.dialogs.comment import CommentScreen


class NoteScreen(CommentScreen):
    """The comment editor, titled for an adjudication note."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield TextArea(self.text, id="comment-text", soft_wrap=True, show_line_numbers=False)
            yield Static(
                Content.styled(
                    "Ctrl+S or Esc keep · saved with the golden label when you press a score", "dim"
                )
            )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#dialog").border_title = "adjudication note"
