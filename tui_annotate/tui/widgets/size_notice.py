"""The notice shown instead of the item when the terminal is too small to rate in.

Below the minimum the output box has no height and the rubric's anchors are
cut off, yet the rating keys would still save labels: an annotator would rate
what they cannot see. The screen hides the item, shows this, and ignores the
keys that save until the terminal fits again.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class SizeNotice(Static):
    """'terminal too small: W×H; the app needs at least MIN_W×MIN_H', and the last key ignored."""

    def show_size(self, width: int, height: int, need: tuple[int, int], ignored: str = "") -> None:
        text = (
            f"terminal too small: {width}×{height}\n"
            f"the app needs at least {need[0]}×{need[1]}\n"
            "enlarge it to go on rating; q quits (every label is saved)"
        )
        if ignored:
            text += f"\n{ignored}"
        self.update(Content(text))
