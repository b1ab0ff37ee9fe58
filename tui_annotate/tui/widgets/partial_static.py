"""A Static that repaints only the lines that changed: over SSH every byte on the wire counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from rich.cells import get_character_cell_size
from rich.style import Style
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual
from textual.widgets import Static

#: Marks the widget dirty without painting a cell (what it shows did not change on screen).
NOWHERE = Region(0, 0, 0, 0)

Cell = tuple[str, Style | None]


def _cells(strip: Strip) -> list[Cell]:
    """One entry per terminal cell (a wide character's second cell is an empty string)."""
    cells: list[Cell] = []
    for text, style, _ in strip:
        if text.isascii():
            cells.extend((ch, style) for ch in text)
            continue
        for ch in text:
            cells.append((ch, style))
            cells.extend(("", style) for _ in range(get_character_cell_size(ch) - 1))
    return cells


def cells_text(strip: Strip, start: int, end: int) -> str:
    """The characters in cells [start, end) of STRIP."""
    return "".join(ch for ch, _ in _cells(strip)[start:end])


@dataclass(frozen=True)
class LineChange:
    """Where one line's old and new renderings differ."""

    y: int
    #: The first and one past the last cell that differ.
    start: int
    end: int
    #: One past the last cell of text, old or new (blank beyond it in both).
    text_end: int

    @property
    def region(self) -> Region:
        # To the end of the text, not of the change: a changed line goes out as
        # whole words, for anything that reads the terminal's byte stream.
        return Region(self.start, self.y, self.text_end - self.start, 1)


def line_change(y: int, old: Strip, new: Strip) -> LineChange | None:
    if old == new:
        return None
    a, b = _cells(old), _cells(new)
    size = max(len(a), len(b))
    a += [("", None)] * (size - len(a))
    b += [("", None)] * (size - len(b))
    differ = [i for i in range(size) if a[i] != b[i]]
    return LineChange(y, differ[0], differ[-1] + 1, size) if differ else None


class PartialStatic(Static):
    """A Static whose `show` repaints only the lines that changed, and no blank cells after them.

    Textual repaints a refreshed widget's whole region: every line, and every
    blank cell out to its right edge, changed or not. When new content wraps
    to as many lines at the same width (so no layout can move), `show`
    refreshes just the changed lines, each as far as the end of its text.
    (Textual starts each painted run at the left edge of the widget, wherever
    the change starts.) Anything else (another height or width, a first
    show, a text selection) takes Static's ordinary full update.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The lines as last shown, and the width they were wrapped to.
        self._strips: list[Strip] | None = None
        self._strips_width = -1
        self._only: tuple[Region, ...] | None = None

    @property
    def shown_lines(self) -> list[Strip] | None:
        """The lines as last shown (None if unknown: hidden, not laid out yet)."""
        return self._strips

    def _wrap(self, content: Content, width: int) -> list[Strip] | None:
        if width <= 0 or not self.display:
            return None
        return Visual.to_strips(self, content, width, None, self.visual_style)

    def changes(self, content: Content) -> list[LineChange] | None:
        """How CONTENT differs from what is shown; None if it needs a full update (and layout).

        Remembers CONTENT's lines as the ones shown: call `update` or
        `update_cells` with it next.
        """
        width = self.size.width
        # What is shown, as last remembered or else drawn again (the width may have changed).
        if self._strips_width == width:
            old = self._strips
        else:
            old = self._wrap(self.visual, width) if isinstance(self.visual, Content) else None
        new = self._wrap(content, width)
        self._strips, self._strips_width = new, width
        if old is None or new is None or len(old) != len(new) or self.text_selection is not None:
            return None
        auto_width = self.styles.width is not None and self.styles.width.is_auto
        if auto_width and max((s.cell_length for s in new), default=0) != width:
            return None  # it has to grow or shrink to fit
        found = (line_change(y, a, b) for y, (a, b) in enumerate(zip(old, new, strict=True)))
        return [change for change in found if change is not None]

    def show(self, content: Content) -> None:
        """Show CONTENT, repainting only what changed when its size stays the same."""
        changes = self.changes(content)
        if changes is None:
            self.update(content)
        else:
            self.update_cells(content, [change.region for change in changes])

    def update_cells(self, content: Content, regions: list[Region]) -> None:
        """Show CONTENT, repainting only REGIONS (none: the screen already shows it)."""
        self._only = tuple(regions) or (NOWHERE,)
        try:
            self.update(content, layout=False)
        finally:
            self._only = None

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        # Static.update() asks for a whole-widget refresh; narrow it to the changed cells.
        if self._only is not None and not regions:
            regions, self._only = self._only, None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
