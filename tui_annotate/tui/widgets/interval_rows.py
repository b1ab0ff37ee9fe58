"""Rows of estimates, each with its numbers and its interval drawn against a threshold.

The Decide screen's forest plot: one row per version (or week, or rubric),
the text the CLI prints beside a bar from `core/decide/draw.py`, so the screen
and `trend` draw the same picture of the same numbers. The bar takes the
width left over after the text, and is coloured by what the interval says
about the threshold: wholly above it, wholly below it, or straddling it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.widget import Widget

from tui_annotate.core.decide.draw import interval_bar
from tui_annotate.core.textsafe import one_line

#: Narrowest bar worth drawing; below it the row is the numbers alone.
MIN_BAR = 8
#: The widest the label column grows (a long version or week is cut with an ellipsis).
MAX_LABEL = 16


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One estimate: LABEL, the TEXT printed beside it, and what the bar draws."""

    label: str
    text: str
    value: float | None
    ci: tuple[float, float] | None


def zone(ci: tuple[float, float] | None, threshold: float | None) -> str:
    """'above', 'below' or 'straddles': where the interval lies against THRESHOLD."""
    if ci is None or threshold is None:
        return "none"
    if ci[0] >= threshold:
        return "above"
    if ci[1] < threshold:
        return "below"
    return "straddles"


#: A bar's colour by its zone: clear of the threshold on the good side, the bad, or unclear.
ZONE_STYLE = {
    "above": "$success",
    "below": "$error",
    "straddles": "$warning",
    "none": "$foreground",
}


class IntervalRows(Widget):
    """A small forest plot: `label  text  ├──●──┤` per row, an axis line underneath."""

    DEFAULT_CSS = """
    IntervalRows {
        height: auto;
        width: 1fr;
    }
    """

    def __init__(
        self,
        rows: Sequence[IntervalRow],
        *,
        threshold: float | None = None,
        axis: tuple[float, float] = (0.0, 1.0),
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows = list(rows)
        self.threshold = threshold
        self.axis = axis

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self.rows) + 1

    def render(self) -> Content:
        return Content("\n").join(self.lines(self.content_size.width))

    def lines(self, width: int) -> list[Content]:
        """The picture at WIDTH cells: one line per row and the axis's end values."""
        label_w = min(MAX_LABEL, max((len(r.label) for r in self.rows), default=0))
        text_w = max((len(r.text) for r in self.rows), default=0)
        bar_w = width - label_w - text_w - 4
        out: list[Content] = []
        for row in self.rows:
            label = one_line(row.label, label_w).ljust(label_w)
            parts: list[Content | str] = [
                Content.styled(label, "bold"),
                "  ",
                row.text.ljust(text_w),
            ]
            if bar_w >= MIN_BAR:
                lo, hi = row.ci if row.ci is not None else (None, None)
                bar = interval_bar(
                    lo,
                    hi,
                    row.value,
                    bar_w,
                    lo_axis=self.axis[0],
                    hi_axis=self.axis[1],
                    threshold=self.threshold,
                )
                parts += ["  ", Content.styled(bar, ZONE_STYLE[zone(row.ci, self.threshold)])]
            out.append(Content.assemble(*parts))
        out.append(self._axis(label_w + text_w + 4, bar_w))
        return out

    def _axis(self, indent: int, bar_w: int) -> Content:
        if bar_w < MIN_BAR:
            return Content("")
        lo, hi = (_tick(v) for v in self.axis)
        cells = [" "] * bar_w
        cells[: len(lo)] = lo
        cells[bar_w - len(hi) :] = hi
        if self.threshold is not None:
            t = f"{self.threshold:g}"
            span = self.axis[1] - self.axis[0]
            col = round((self.threshold - self.axis[0]) / span * (bar_w - 1)) if span else 0
            start = max(len(lo) + 1, min(col - len(t) // 2, bar_w - len(hi) - len(t) - 1))
            if start + len(t) <= bar_w - len(hi) - 1:
                cells[start : start + len(t)] = t
        return Content.styled(" " * indent + "".join(cells), "dim")


def _tick(value: float) -> str:
    return f"{value:g}"
