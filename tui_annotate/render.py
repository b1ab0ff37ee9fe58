"""Plain-text pictures shared by the CLI and the app (no UI library needed)."""

from __future__ import annotations


def alpha_scale(
    alpha: float | None,
    ci: tuple[float, float] | list[float] | None,
    *,
    pass_at: float,
    tentative_at: float,
    width: int = 50,
) -> list[str]:
    """Alpha and its interval on a 0..1 axis, with the thresholds marked.

        0 ······················|·····|···· 1
                        ├───────●───┤
                               0.667 0.800
    Values below 0 are clamped to the left edge (and said so in the label).
    """
    width = max(20, width)

    def col(value: float) -> int:
        return round(min(1.0, max(0.0, value)) * (width - 1))

    axis = ["·"] * width
    for mark in (tentative_at, pass_at):
        axis[col(mark)] = "┆"
    line = [" "] * width
    if ci is not None:
        low, high = col(ci[0]), col(ci[1])
        for i in range(low, high + 1):
            line[i] = "─"
        line[low], line[high] = "├", "┤"
    if alpha is not None:
        line[col(alpha)] = "●"
    labels = [" "] * (width + 6)
    for mark in (tentative_at, pass_at):
        text = f"{mark:.3f}"
        start = min(col(mark), width + 6 - len(text))
        if all(c == " " for c in labels[start : start + len(text)]):
            labels[start : start + len(text)] = text
    below = " (below 0)" if alpha is not None and alpha < 0 else ""
    return [
        "0 " + "".join(axis) + " 1",
        "  " + "".join(line) + below,
        "  " + "".join(labels).rstrip(),
    ]


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for a table, or 'undefined' (never a made-up 0)."""
    return "undefined" if value is None else f"{value:.{digits}f}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 item', '2 items', '0 items' (MANY for irregular words: 'entry', 'entries')."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
