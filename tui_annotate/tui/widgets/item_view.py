"""The item under review: input, context and output, each shown literally and scrollable."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Markdown, Static

from tui_annotate.core.models import Item
from tui_annotate.core.textsafe import visible


class ItemSection(Static):
    """One titled block of item text; the text is data, never markup."""

    def show_text(self, text: str) -> None:
        self.display = bool(text.strip())
        self.update(Content(visible(text)))


class ItemView(VerticalScroll):
    """Input, context and output, top to bottom; the output can be rendered as Markdown."""

    can_focus = True

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.markdown = False
        self._output = ""

    def compose(self) -> ComposeResult:
        yield ItemSection(id="input", classes="section")
        yield ItemSection(id="context", classes="section")
        yield ItemSection(id="output", classes="section output")
        yield Markdown(id="output-md", classes="section output")

    def on_mount(self) -> None:
        self.query_one("#input", ItemSection).border_title = "input"
        self.query_one("#context", ItemSection).border_title = "context (tool data)"
        self.query_one("#output", ItemSection).border_title = "output"
        self.query_one("#output-md", Markdown).border_title = "output (markdown)"
        self.query_one("#output-md").display = False

    def show_item(self, item: Item) -> None:
        self.query_one("#input", ItemSection).show_text(item.input)
        self.query_one("#context", ItemSection).show_text(item.context)
        self._output = item.output
        self._show_output()
        self.scroll_home(animate=False)

    def toggle_markdown(self) -> bool:
        self.markdown = not self.markdown
        self._show_output()
        return self.markdown

    def _show_output(self) -> None:
        plain = self.query_one("#output", ItemSection)
        rendered = self.query_one("#output-md", Markdown)
        if self.markdown:
            plain.display = False
            rendered.display = True
            # Markdown syntax is honoured here, but control characters still are not.
            rendered.update(visible(self._output))
        else:
            rendered.display = False
            plain.show_text(self._output)
            plain.display = True
