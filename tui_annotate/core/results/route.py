"""`route`: what was put in front of people, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class RouteSummary:
    rubric: str
    model: str
    judged: int
    #: Items newly routed by this run.
    routed: int
    #: Items this run would route that an earlier run already had.
    already_routed: int
    #: New routes by reason: low_confidence, disagreement, sample (only reasons that occurred).
    routed_by_reason: Mapping[str, int]
    #: Judged items without a confidence, which --confidence-below could not weigh.
    confidence_unknown: int
    confidence_below: float
    sample: float

    def to_json(self) -> dict[str, Any]:
        return {
            "rubric": self.rubric,
            "model": self.model,
            "judged": self.judged,
            "routed": self.routed,
            "already_routed": self.already_routed,
            "routed_by_reason": dict(self.routed_by_reason),
            "confidence_unknown": self.confidence_unknown,
            "confidence_below": self.confidence_below,
            "sample": self.sample,
        }
