"""Very long item text, drawn a screen at a time: a 5 MB output shows and goes in well under a second.

A Static lays out its whole text, every wrapped line of it, before the first
frame: for megabytes that took minutes and gigabytes. This widget splits the
text into rows once (a few C-speed passes over the string), knows how many
rows there are (its height, so the box around it scrolls as usual), and
makes each row's Strip only when that row is on screen (Textual's line API).
The text is passed through the visible-text filter first, as everywhere.
Only text over WINDOWED_CHARS uses it; shorter items keep the Static, its
line-diff repaints and their snapshots.
"""

from __future__ import annotations

from bisect import bisect_right

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from textual.events import Resize
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from tui_annotate.core.textsafe import visible

#: Text longer than this (in characters) is shown windowed.
WINDOWED_CHARS = 100_000
#: A non-ASCII line longer than this is cut every width // 2 characters (a character is at
#: most two cells wide) instead of measured cell by cell.
MEASURED_CHARS = 20_000


class WindowedText(Widget):
    """Plain text, wrapped to the widget's width, of which only the visible rows are drawn."""

    DEFAULT_CSS = """
    WindowedText {
        height: auto;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lines: list[str] = []
        #: _starts[i]: the first row of line i; one more entry, the row count.
        self._starts: list[int] = [0]
        #: Per line, how it is cut: None to measure cells, else characters per row.
        self._step: list[int | None] = []
        self._width = 0
        self._chops: dict[int, list[str]] = {}

    @property
    def rows(self) -> int:
        return self._starts[-1]

    def show_text(self, text: str) -> None:
        self._lines = visible(text).split("\n")
        self._width = 0  # wrapped when the width is known (now, or at layout)
        if self.size.width > 0:
            self._wrap(self.size.width)
        self.refresh(layout=True)

    def clear(self) -> None:
        self._lines, self._starts, self._step = [], [0], []
        self._chops.clear()
        self.refresh(layout=True)

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._width:
            self._wrap(event.size.width)
            self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width:
            self._wrap(width)
        return max(1, self.rows)

    def _wrap(self, width: int) -> None:
        self._width = width = max(width, 1)
        starts, steps = [0], []
        row = 0
        half = max(width // 2, 1)
        self._chops.clear()
        for index, line in enumerate(self._lines):
            if line.isascii() or cell_len(line) == len(line):  # one cell per character
                step: int | None = width
                count = -(-len(line) // width) or 1
            elif len(line) > MEASURED_CHARS:
                step = half
                count = -(-len(line) // half) or 1
            else:
                step = None
                count = len(self._chopped(index, line, width))
            row += count
            starts.append(row)
            steps.append(step)
        self._starts, self._step = starts, steps

    def row_text(self, y: int) -> str:
        """The text of row Y (empty past the end)."""
        if not 0 <= y < self.rows:
            return ""
        index = bisect_right(self._starts, y) - 1
        line, step, k = self._lines[index], self._step[index], y - self._starts[index]
        if step is not None:
            return line[k * step : (k + 1) * step]
        parts = self._chopped(index, line, self._width)
        return parts[k] if k < len(parts) else ""

    def _chopped(self, index: int, line: str, width: int) -> list[str]:
        """LINE cut into rows of at most WIDTH cells (kept for the rows drawn next)."""
        parts = self._chops.get(index)
        if parts is None:
            if len(self._chops) > 256:
                self._chops.clear()
            parts = self._chops[index] = chop_cells(line, width) or [""]
        return parts

    def render_line(self, y: int) -> Strip:
        style = self.rich_style
        text = self.row_text(y)
        return Strip([Segment(text, style)]).extend_cell_length(self.size.width, style)
