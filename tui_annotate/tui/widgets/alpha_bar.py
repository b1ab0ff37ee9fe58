"""Alpha and its confidence interval drawn on an axis coloured by the verdict zones."""

from __future__ import annotations

import math

from textual.content import Content
from textual.widget import Widget

#: The colour of each zone of the axis, and of alpha's dot when it lands there.
VERDICT_STYLE = {
    "pass": "$success",
    "tentative": "$warning",
    "fail": "$error",
    "undefined": "$error",
}


class AlphaBar(Widget):
    """Four rows: zone names, the zones, the interval with alpha's dot, the threshold values.

        fail                                   tentative pass
        ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┃━━━━━━━━┃━━━━━━━━━━
                    ├───────────────────────────┊───●────┊──┤
        0                                   0.667 0.800          1

    The axis runs 0..1, or from the first tenth below the interval when
    alpha or its interval goes negative (alpha can, down to -1).
    """

    DEFAULT_CSS = """
    AlphaBar {
        height: 4;
        width: 1fr;
    }
    """

    def __init__(
        self,
        alpha: float | None,
        ci: tuple[float, float] | list[float] | None,
        *,
        pass_at: float,
        tentative_at: float,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.alpha = alpha
        self.ci = (float(ci[0]), float(ci[1])) if ci else None
        self.pass_at = pass_at
        self.tentative_at = tentative_at

    @property
    def low(self) -> float:
        """The left end of the axis."""
        seen = [v for v in (self.alpha, *(self.ci or ())) if v is not None]
        lowest = min([0.0, *seen])
        return 0.0 if lowest >= 0 else max(-1.0, math.floor(lowest * 10) / 10)

    def zone(self, value: float) -> str:
        if value >= self.pass_at:
            return "pass"
        if value >= self.tentative_at:
            return "tentative"
        return "fail"

    def render(self) -> Content:
        return Content("\n").join(self.rows(self.content_size.width))

    def rows(self, width: int) -> list[Content]:
        """The picture at WIDTH cells (at least 20)."""
        width = max(20, width)
        low = self.low

        def col(value: float) -> int:
            share = (min(1.0, max(low, value)) - low) / (1.0 - low)
            return round(share * (width - 1))

        marks = {col(self.tentative_at), col(self.pass_at)}
        # Each cell of the axis takes the colour of the value it stands for.
        values = [low + (1.0 - low) * i / (width - 1) for i in range(width)]
        axis = Content.assemble(
            *(
                ("┃", "bold $foreground") if i in marks else ("━", VERDICT_STYLE[self.zone(v)])
                for i, v in enumerate(values)
            )
        )
        names = _place(
            width,
            [
                (0, "fail", "$error"),
                (col(self.tentative_at), "tentative", "$warning"),
                (col(self.pass_at), "pass", "$success"),
            ],
        )
        interval = [(" ", "")] * width
        for i in marks:
            interval[i] = ("┊", "dim")
        if self.ci is not None:
            lo, hi = col(self.ci[0]), col(self.ci[1])
            for i in range(lo, hi + 1):
                interval[i] = ("─", "bold $foreground")
            interval[lo] = ("├", "bold $foreground")
            interval[hi] = ("┤", "bold $foreground")
        if self.alpha is not None:
            interval[col(self.alpha)] = ("●", f"bold {VERDICT_STYLE[self.zone(self.alpha)]}")
        tentative = f"{self.tentative_at:.3f}"
        ticks = _place(
            width,
            [
                (0, _tick(low), "dim"),
                # The tentative value ends at its mark and the pass value starts at its own,
                # so the two stay apart even on a narrow axis.
                (col(self.tentative_at) - len(tentative) + 1, tentative, "dim"),
                (col(self.pass_at), f"{self.pass_at:.3f}", "dim"),
                (width - 1, "1", "dim"),
            ],
        )
        return [names, axis, Content.assemble(*interval), ticks]


def _tick(value: float) -> str:
    return "0" if value == 0 else f"{value:.1f}"


def _place(width: int, labels: list[tuple[int, str, str]]) -> Content:
    """Labels at their columns, left to right; one that would overlap another is left out."""
    cells = [(" ", "")] * width
    taken = [False] * width
    for start, text, style in labels:
        start = max(0, min(start, width - len(text)))
        span = range(max(0, start - 1), min(width, start + len(text) + 1))
        if any(taken[i] for i in span):
            continue
        for i, ch in enumerate(text):
            cells[start + i] = (ch, style)
            taken[start + i] = True
    return Content.assemble(*cells).simplify()
