"""Time an annotator spends on each item (stored with the label) and their pace this session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class ItemTimer:
    """Seconds per item add up over visits: leaving an item and coming back keeps counting."""

    clock: Callable[[], float]
    started_at: float = 0.0
    shown_at: float = 0.0
    seconds: dict[int, float] = field(default_factory=dict)

    def start(self) -> None:
        self.started_at = self.clock()

    def show(self) -> None:
        """An item (or the all-done screen) has just been put on screen."""
        self.shown_at = self.clock()

    def on(self, item_id: int | None) -> float:
        """Seconds spent on ITEM_ID so far, counting this visit (0 when nothing is shown)."""
        if item_id is None:
            return 0.0
        return self.seconds.get(item_id, 0.0) + (self.clock() - self.shown_at)

    def leave(self, item_id: int | None) -> None:
        if item_id is not None:
            self.seconds[item_id] = self.on(item_id)

    def pace(self, rated: int) -> float | None:
        """Labels per hour this session; None until there is something to measure."""
        elapsed = self.clock() - self.started_at
        if rated == 0 or elapsed <= 0:
            return None
        return rated * 3600.0 / elapsed
