"""The agreement report: alpha over a project, a closed round or a label file, and its context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_annotate.core.results.alpha import AlphaFields
from tui_annotate.core.results.rows import AnnotatorRow, DisputedRow, PairRow
from tui_annotate.core.results.thresholds import Thresholds


@dataclass(frozen=True, slots=True)
class LeftOut:
    """Labels held back because their rounds are still open (blind), and why."""

    labels: int = 0
    rounds: tuple[int, ...] = ()
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"labels": self.labels, "rounds": list(self.rounds), "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class Agreement(AlphaFields):
    """alpha with its diagnostics over some ratings (also inside the judge report)."""

    level: str
    units: int
    pairable_values: int
    annotators: tuple[str, ...]
    per_annotator: tuple[AnnotatorRow, ...]
    pairwise: tuple[PairRow, ...]
    disputed: tuple[DisputedRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.alpha_json(),
            "level": self.level,
            "units": self.units,
            "pairable_values": self.pairable_values,
            "annotators": list(self.annotators),
            "per_annotator": [p.to_json() for p in self.per_annotator],
            "pairwise": [p.to_json() for p in self.pairwise],
            "disputed": [d.to_json() for d in self.disputed],
        }


@dataclass(frozen=True, kw_only=True)
class AgreementReport(Agreement):
    """`agreement`: the figures, what they are over, and what was left out or missing.

    From the database, `live` and `left_out` are set and `file` is None; over a label file,
    `file` is set and the other two are None. A None among those three is not in the JSON.
    """

    rubric: str | None
    round: int | None
    file: str | None = None
    live: bool | None = None
    #: With --live --window: the window's bounds and prompt (drift's agreement, on its own).
    window: dict[str, Any] | None = None
    left_out: LeftOut | None = None
    #: Annotators asked for (--annotators) who have no labels.
    without_labels: tuple[str, ...] = ()
    thresholds: Thresholds

    @property
    def verdict(self) -> None:
        """An agreement report measures; only a round's close gives a verdict."""
        return None

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data["rubric"] = self.rubric
        if self.file is not None:
            data["file"] = self.file
        data["round"] = self.round
        if self.live is not None:
            data["live"] = self.live
        if self.window is not None:
            data["window"] = self.window
        if self.left_out is not None:
            data["left_out"] = self.left_out.to_json()
        data["without_labels"] = list(self.without_labels)
        data["thresholds"] = self.thresholds.to_json()
        return data
