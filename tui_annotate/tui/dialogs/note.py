"""The adjudication note: the comment editor, titled for the note a golden label carries.

Its keys are the comment editor's (`comment.save`, `comment.close` in tui/actions.py):
one editor, remapped once.
"""

from __future__ import annotations

from tui_annotate.tui.dialogs.comment import CommentScreen


class NoteScreen(CommentScreen):
    """The comment editor, titled for an adjudication note."""

    VERB = "keep"
    HINT = "saved with the golden label when you press a score"

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#dialog").border_title = "adjudication note"
