"""Krippendorff's alpha thresholds: the one home of 0.800 and 0.667, and the verdict they give."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: alpha ≥ this: reliable enough to annotate live (Krippendorff's conventional line).
PASS_ALPHA = 0.800
#: alpha ≥ this (and below the pass line): tentative conclusions only.
TENTATIVE_ALPHA = 0.667


@dataclass(frozen=True, slots=True)
class Thresholds:
    """alpha ≥ pass passes; tentative ≤ alpha < pass is tentative (Krippendorff's 0.800 / 0.667)."""

    pass_at: float = PASS_ALPHA
    tentative_at: float = TENTATIVE_ALPHA

    def verdict(self, alpha: float | None) -> str:
        if alpha is None:
            return "undefined"
        if alpha >= self.pass_at:
            return "pass"
        if alpha >= self.tentative_at:
            return "tentative"
        return "fail"

    def to_json(self) -> dict[str, float]:
        return {"pass": self.pass_at, "tentative": self.tentative_at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Thresholds:
        """A stored result's thresholds; results stored without them had the defaults."""
        data = data or {}
        return cls(
            pass_at=data.get("pass", PASS_ALPHA),
            tentative_at=data.get("tentative", TENTATIVE_ALPHA),
        )


#: The defaults, for signatures (one instance; it is frozen).
DEFAULT_THRESHOLDS = Thresholds()
