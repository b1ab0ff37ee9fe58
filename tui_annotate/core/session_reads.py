"""What an annotation session has read about each item, kept until the session writes to it.

Only this annotator changes their own labels and flags, so what the session read about an
item stays true until the session itself writes: the item, its current label, its flag and its
calibration round are cached per item and dropped on every write, which keeps a key press to a
few queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_annotate.core.models import CurrentLabel, Item

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


@dataclass
class ItemReads:
    """One annotator's reads on one rubric, per item id."""

    repo: Repository
    rubric: str
    annotator: str
    _items: dict[int, Item] = field(default_factory=dict)
    _labels: dict[int, CurrentLabel | None] = field(default_factory=dict)
    _flags: dict[int, bool] = field(default_factory=dict)
    #: The open calibration round each item belongs to for this annotator (or None).
    _rounds: dict[int, int | None] = field(default_factory=dict)

    def item(self, item_id: int) -> Item:
        if item_id not in self._items:
            self._items[item_id] = self.repo.get_item(item_id)
        return self._items[item_id]

    def label(self, item_id: int) -> CurrentLabel | None:
        if item_id not in self._labels:
            self._labels[item_id] = self.repo.current_label(item_id, self.rubric, self.annotator)
        return self._labels[item_id]

    def round_of(self, item_id: int) -> int | None:
        if item_id not in self._rounds:
            self._rounds[item_id] = self.repo.rounds.round_of_item(
                self.rubric, self.annotator, item_id
            )
        return self._rounds[item_id]

    def flagged(self, item_id: int) -> bool:
        if item_id not in self._flags:
            self._flags[item_id] = self.repo.is_flagged(item_id, self.rubric, self.annotator)
        return self._flags[item_id]

    def wrote(self, item_id: int) -> None:
        """The session wrote to ITEM_ID: its label and flag must be read again."""
        self._labels.pop(item_id, None)
        self._flags.pop(item_id, None)
