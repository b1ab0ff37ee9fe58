"""The comment editor: a modal text area whose text belongs to the item's label."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea


class CommentScreen(ModalScreen[str]):
    """Returns the edited comment. Escape saves too: nothing typed is thrown away."""

    BINDINGS = [
        Binding("ctrl+s", "save", "save", id="comment.save", priority=True),
        Binding("escape", "save", "save", id="comment.close", priority=True),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield TextArea(self.text, id="comment-text", soft_wrap=True, show_line_numbers=False)
            yield Static(
                Content.styled("Ctrl+S or Esc save · clear the text to remove the comment", "dim")
            )

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "comment"
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text.strip())
