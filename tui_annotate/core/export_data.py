"""What the store streams to the export: an item's text and labels, and what was left out.

Kept apart from core/export.py, which resolves and writes rows and names the
repository, so that the store can build these without importing back the
module that imports it (no import cycle, type-checking imports included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class ExportLabel(NamedTuple):
    """One annotator's current label on an item, as the store streams it."""

    annotator: str
    score: int
    event_id: int
    tags: tuple[str, ...]
    comment: str
    rubric_version: str


class Golden(NamedTuple):
    """The item's current adjudicated label (the latest per item and rubric)."""

    score: int
    rubric_version: str
    adjudicator: str
    note: str


class ItemLabels(NamedTuple):
    """An item's text and every label on it that export may use, grouped by the store."""

    external_id: str
    input: str
    output: str
    context: str
    prompt: str
    prompt_version: str
    golden: Golden | None
    #: People's current labels, by annotator.
    humans: tuple[ExportLabel, ...]
    #: Judges' current labels (`judge:MODEL`), by annotator; only when they were asked for.
    judges: tuple[ExportLabel, ...]


@dataclass(slots=True)
class LeftOut:
    """What the export did not write, and why; filled in while the rows stream."""

    #: Current labels hidden because their calibration round is still open, per round id.
    round_labels: dict[int, int] = field(default_factory=dict)
    #: Items left out entirely: their only labels were those hidden ones.
    items: int = 0

    def notice(self) -> str | None:
        """One sentence for stderr, or None when nothing was left out."""
        if not self.round_labels:
            return None
        total = sum(self.round_labels.values())
        if len(self.round_labels) == 1:
            [round_id] = self.round_labels
            which = f"round {round_id}"
            closes = f"it closes (calibrate close {round_id})"
        else:
            which = "rounds " + ", ".join(
                f"{r} ({n})" for r, n in sorted(self.round_labels.items())
            )
            closes = (
                "they close (calibrate close "
                + " / ".join(map(str, sorted(self.round_labels)))
                + ")"
            )
        text = (
            f"left out {total} label{'s' if total != 1 else ''} of open calibration {which}:"
            f" a round's labels stay blind until {closes}"
        )
        if self.items:
            text += (
                f"; {self.items} item{'s' if self.items != 1 else ''} had no other label and"
                f" {'are' if self.items != 1 else 'is'} not exported"
            )
        return text
