"""The item under review: input, context and output, each shown literally and scrollable."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content

from tui_annotate.core.models import Item
from tui_annotate.core.textsafe import readable_json, visible
from tui_annotate.tui.widgets.partial_static import PartialStatic
from tui_annotate.tui.widgets.windowed_text import WINDOWED_CHARS, WindowedText


class ItemSection(PartialStatic):
    """One block of item text; the text is data, never markup.

    Only the lines that differ from the last item are sent to the terminal
    when the new text wraps to as many lines (see PartialStatic).
    """

    def show_text(self, text: str) -> None:
        self.show(Content(visible(text)))


class SectionBox(VerticalScroll):
    """A titled, separately scrollable box, so a long context never hides the output."""


class ItemView(Vertical):
    """Input and context (capped in height) above the output, which takes the rest.

    The output box has the focus, so the arrow and page keys scroll it; Tab
    moves the focus to the context and input boxes.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.markdown = False
        self._output = ""

    def compose(self) -> ComposeResult:
        with SectionBox(id="input-box", classes="section"):
            yield ItemSection(id="input")
        with SectionBox(id="context-box", classes="section"):
            yield ItemSection(id="context")
        with SectionBox(id="output-box", classes="section output"):
            yield ItemSection(id="output")

    def on_mount(self) -> None:
        self.query_one("#input-box").border_title = "input"
        self.query_one("#context-box").border_title = "context (tool data)"
        self.query_one("#output-box").border_title = "output"

    def show_item(self, item: Item) -> None:
        for name, text in (("input", item.input), ("context", readable_json(item.context))):
            box = self.query_one(f"#{name}-box", SectionBox)
            box.display = bool(text.strip())
            self._show_section(name, text)
            box.scroll_home(animate=False)
        self._output = item.output
        self._show_output()
        output = self.query_one("#output-box", SectionBox)
        output.scroll_home(animate=False)
        focused = self.screen.focused
        # focus() repaints the whole box even when it already has the focus.
        if focused is not output and (focused is None or focused in list(self.query(SectionBox))):
            output.focus(scroll_visible=False)

    def toggle_markdown(self) -> bool:
        self.markdown = not self.markdown
        self._show_output()
        return self.markdown

    def _show_output(self) -> None:
        plain = self.query_one("#output", ItemSection)
        box = self.query_one("#output-box", SectionBox)
        huge = len(self._output) > WINDOWED_CHARS  # shown windowed, as plain text
        title = "output (markdown)" if self.markdown and not huge else "output"
        if box.border_title != title:  # setting it repaints the whole box, border and all
            box.border_title = title
        rendered = box.query("#output-md").first() if box.query("#output-md") else None
        if self.markdown and not huge:
            # Markdown syntax is honoured here, but control characters still are not.
            text = visible(self._output)
            plain.display = False
            if rendered is None:
                # Made on first use: the Markdown parser is not loaded before the first frame.
                from textual.widgets import Markdown

                box.mount(Markdown(text, id="output-md"))
            else:
                rendered.display = True
                rendered.update(text)  # type: ignore[attr-defined]
        else:
            if rendered is not None:
                rendered.display = False
            self._show_section("output", self._output)

    def _show_section(self, name: str, text: str) -> None:
        """TEXT in section NAME: in its Static, or windowed when very long (windowed_text.py)."""
        plain = self.query_one(f"#{name}", ItemSection)
        box = self.query_one(f"#{name}-box", SectionBox)
        found = box.query(f"#{name}-long")
        windowed = found.first(WindowedText) if found else None
        if len(text) > WINDOWED_CHARS:
            if windowed is None:
                windowed = WindowedText(id=f"{name}-long")
                box.mount(windowed)
            plain.show_text("")
            plain.display = False
            windowed.show_text(text)
            windowed.display = True
            return
        if windowed is not None and windowed.display:
            windowed.clear()
            windowed.display = False
        plain.show_text(text)
        plain.display = True
