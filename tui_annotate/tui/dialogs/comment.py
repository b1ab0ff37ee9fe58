"""The comment editor: a modal text area whose text belongs to the item's label."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from tui_annotate.tui.action_views import bindings, spoken_keys
from tui_annotate.tui.actions import COMMENT


class CommentScreen(ModalScreen[str]):
    """Returns the edited comment. Escape saves too: nothing typed is thrown away.

    Typed ahead is typed too: over SSH a burst can hold `c`, the comment and
    Ctrl+S at once. Keys that reach the screen before its text area has focus
    are handed to it, and saving waits for the keys already on their way.
    """

    #: Its actions: the bindings, and the palette's entries while it is open.
    ACTIONS = COMMENT
    BINDINGS = bindings(ACTIONS)
    #: What the hint line calls saving ("keep" for the note).
    VERB = "save"
    #: The rest of the hint line: what saving means here.
    HINT = "clear the text to remove the comment"

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield TextArea(self.text, id="comment-text", soft_wrap=True, show_line_numbers=False)
            yield Static(Content.styled(self.hint(), "dim"))

    def hint(self) -> str:
        """'Ctrl+S or Esc save · …': the keys the user's keymap gives the two actions."""
        keys = [k for action in COMMENT for k in spoken_keys(self.app, action)]
        return f"{' or '.join(keys)} {self.VERB} · {self.HINT}"

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "comment"
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_key(self, event: events.Key) -> None:
        # The text area stops every printable key it gets; one here was sent to the screen
        # because nothing had focus yet (the screen was still opening).
        if event.is_printable and event.character is not None:
            event.stop()
            self.query_one(TextArea).post_message(events.Key(event.key, event.character))

    def action_save(self) -> None:
        # Priority bindings run as the key arrives: the keys typed before it may still be
        # queued for this screen and then for the text area. Save behind both queues.
        if not self._saving:
            self._saving = True
            self.call_later(lambda: self.query_one(TextArea).call_later(self._save))

    def _save(self) -> None:
        self.dismiss(self.text_now())

    def text_now(self) -> str:
        """What the editor holds now, as it would be saved."""
        return self.query_one(TextArea).text.strip()
