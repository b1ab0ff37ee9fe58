"""The tag picker: each failure tag has a key; toggle several, Enter to confirm."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_annotate.core.models import Tag
from tui_annotate.tui.action_views import bindings, spoken_keys
from tui_annotate.tui.actions import TAGS


class TagPickerScreen(ModalScreen[tuple[str, ...] | None]):
    """Returns the chosen tag names, or None when dismissed with Escape."""

    #: Its actions: the bindings, and the palette's entries while it is open.
    ACTIONS = TAGS
    BINDINGS = bindings(ACTIONS)

    def __init__(self, tags: tuple[Tag, ...], chosen: tuple[str, ...]) -> None:
        super().__init__()
        self.tags = tags
        self.chosen = [t.name for t in tags if t.name in chosen]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(id="tag-list")
            yield Static(Content.styled(self.hint(), "dim"))

    def hint(self) -> str:
        """The keys the user's keymap gives confirm and cancel, each with its word."""
        parts = [f"{' or '.join(spoken_keys(self.app, a))} {a.description}" for a in TAGS]
        return " · ".join(["press a tag's key to toggle", *parts])

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "failure tags"
        self._render_tags()

    def _render_tags(self) -> None:
        lines = []
        for tag in self.tags:
            on = tag.name in self.chosen
            box = "[x]" if on else "[ ]"
            lines.append(
                Content.assemble(
                    Content.styled(f"{box} {tag.key} ", "bold" if on else ""),
                    Content.styled(tag.name, "bold $accent" if on else "bold"),
                    Content.styled(f"  {tag.description}", "dim"),
                )
            )
        self.query_one("#tag-list", Static).update(Content("\n").join(lines))

    def on_key(self, event: Key) -> None:
        for tag in self.tags:
            if event.character == tag.key:
                if tag.name in self.chosen:
                    self.chosen.remove(tag.name)
                else:
                    self.chosen.append(tag.name)
                event.stop()
                self._render_tags()
                return

    def action_confirm(self) -> None:
        order = [t.name for t in self.tags]
        self.dismiss(tuple(sorted(self.chosen, key=order.index)))

    def action_cancel(self) -> None:
        self.dismiss(None)
