"""A calibration round's result (what close computes, stores and shows) and its progress."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui_annotate.core.results.alpha import AlphaFields
from tui_annotate.core.results.rows import AnnotatorRow, DisputedRow, PairRow
from tui_annotate.core.results.thresholds import Thresholds


@dataclass(frozen=True, kw_only=True)
class RoundResult(AlphaFields):
    """alpha and its diagnostics for one round, with the verdict the thresholds give it.

    Stored as `to_json()` when the round closes; `from_json` reads it back for `calibrate show`
    and the results screen, tolerating results stored before a key existed.
    """

    round: int | None
    rubric: str
    rubric_version: str
    level: str
    thresholds: Thresholds
    verdict: str | None
    units: int
    #: The round's size; None only in a result stored without it.
    items: int | None
    annotators: tuple[str, ...]
    per_annotator: tuple[AnnotatorRow, ...]
    pairwise: tuple[PairRow, ...]
    disputed: tuple[DisputedRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "rubric": self.rubric,
            "rubric_version": self.rubric_version,
            "level": self.level,
            **self.alpha_json(),
            "thresholds": self.thresholds.to_json(),
            "verdict": self.verdict,
            "units": self.units,
            "items": self.items,
            "annotators": list(self.annotators),
            "per_annotator": [p.to_json() for p in self.per_annotator],
            "pairwise": [p.to_json() for p in self.pairwise],
            "disputed": [d.to_json() for d in self.disputed],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RoundResult:
        return cls(
            round=data.get("round"),
            rubric=str(data.get("rubric") or ""),
            rubric_version=str(data.get("rubric_version") or ""),
            level=str(data.get("level") or ""),
            **cls.alpha_kwargs(data),
            thresholds=Thresholds.from_json(data.get("thresholds")),
            verdict=data.get("verdict"),
            units=data.get("units") or 0,
            items=data.get("items"),
            annotators=tuple(str(a) for a in data.get("annotators") or ()),
            per_annotator=tuple(AnnotatorRow.from_json(p) for p in data.get("per_annotator") or ()),
            pairwise=tuple(PairRow.from_json(p) for p in data.get("pairwise") or ()),
            disputed=tuple(DisputedRow.from_json(d) for d in data.get("disputed") or ()),
        )


@dataclass(frozen=True, slots=True)
class AnnotatorProgress:
    done: int
    of: int

    def to_json(self) -> dict[str, int]:
        return {"done": self.done, "of": self.of}


@dataclass(frozen=True, slots=True)
class RoundStatus:
    """`calibrate status`: a round, how far each annotator is, and its verdict once closed."""

    round: int
    rubric: str
    rubric_version: str
    status: str
    source: str
    items: int
    annotators: Mapping[str, AnnotatorProgress]
    verdict: str | None
    alpha: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "rubric": self.rubric,
            "rubric_version": self.rubric_version,
            "status": self.status,
            "source": self.source,
            "items": self.items,
            "annotators": {a: p.to_json() for a, p in self.annotators.items()},
            "verdict": self.verdict,
            "alpha": self.alpha,
        }
