"""Text drawings of intervals and series, shared by the CLI tables and the Decide screen.

Both front ends must draw the same picture of the same numbers, so the drawing
is plain strings here (no rich, no textual): a fixed-width interval bar for a
forest plot and a sparkline for a trend. Undefined numbers (None or NaN) draw
nothing at all — a blank bar, a gap in the sparkline — never a point at 0,
which would read as a measured zero. `ascii=True` swaps every glyph for a
7-bit character, for logs, CI consoles and fonts without box drawing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: Sparkline levels, lowest first.
SPARK = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-:=+*#"


@dataclass(frozen=True, slots=True)
class _Glyphs:
    whisker: str
    lo_end: str
    hi_end: str
    dot: str
    mark: str  # threshold off the whisker
    mark_on: str  # threshold on the whisker


_UNICODE = _Glyphs(whisker="─", lo_end="├", hi_end="┤", dot="●", mark="│", mark_on="┼")
_ASCII = _Glyphs(whisker="-", lo_end="[", hi_end="]", dot="o", mark="|", mark_on="+")


def _defined(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


def _column(x: float, width: int, lo_axis: float, hi_axis: float) -> int:
    """The column of X on an axis from LO_AXIS (column 0) to HI_AXIS (the last column)."""
    span = hi_axis - lo_axis
    share = (x - lo_axis) / span if span > 0 else 0.0
    # Values outside the axis pin to its edge rather than vanish: the bar still shows a side.
    return min(width - 1, max(0, round(min(1.0, max(0.0, share)) * (width - 1))))


def interval_bar(
    lo: float | None,
    hi: float | None,
    value: float | None,
    width: int,
    *,
    lo_axis: float = 0.0,
    hi_axis: float = 1.0,
    threshold: float | None = None,
    ascii: bool = False,
) -> str:
    """A bar exactly WIDTH characters wide: a whisker from LO to HI, a dot at VALUE.

    ``├──●───┤`` with the threshold marked ``│`` off the whisker (``┼`` on it).
    The dot wins over an end of the whisker and the mark where they share a
    column, since the estimate is what the reader looks for first. A missing
    interval or value draws only the threshold mark (or nothing).
    """
    if width <= 0:
        return ""
    g = _ASCII if ascii else _UNICODE
    cells = [" "] * width
    if _defined(lo) and _defined(hi):
        assert lo is not None and hi is not None
        a = _column(min(lo, hi), width, lo_axis, hi_axis)
        b = _column(max(lo, hi), width, lo_axis, hi_axis)
        for col in range(a, b + 1):
            cells[col] = g.whisker
        if a != b:
            cells[a], cells[b] = g.lo_end, g.hi_end
    if _defined(threshold):
        assert threshold is not None
        col = _column(threshold, width, lo_axis, hi_axis)
        cells[col] = g.mark if cells[col] == " " else g.mark_on
    if _defined(value):
        assert value is not None
        cells[_column(value, width, lo_axis, hi_axis)] = g.dot
    return "".join(cells)


def sparkline(
    values: Iterable[float | None],
    *,
    ascii: bool = False,
    lo: float | None = 0.0,
    hi: float | None = 1.0,
) -> str:
    """One character per value, its height the value's place between LO and HI.

    The default axis is 0..1 (rates), so two rubrics' sparklines compare by
    eye; pass ``lo=None``/``hi=None`` to scale to the data instead. None or
    NaN leaves a gap (a space): a period with no labels is not a low period.
    """
    levels = SPARK_ASCII if ascii else SPARK
    items = [v if _defined(v) else None for v in values]
    known = [v for v in items if v is not None]
    if not known:
        return " " * len(items)
    bottom = min(known) if lo is None else lo
    top = max(known) if hi is None else hi
    span = top - bottom
    out = []
    for v in items:
        if v is None:
            out.append(" ")
            continue
        share = (v - bottom) / span if span > 0 else 0.5
        out.append(levels[min(len(levels) - 1, max(0, math.floor(share * len(levels))))])
    return "".join(out)
