"""The part every agreement result shares: alpha (or why there is none), its interval, the bootstrap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Bootstrap replicates for alpha's interval unless asked otherwise.
DEFAULT_BOOTSTRAP = 1000
#: The interval's confidence level.
CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class BootstrapInfo:
    """How the interval was drawn: replicates, how many had no alpha, the seed, the level."""

    replicates: int
    undefined: int
    seed: int
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {
            "replicates": self.replicates,
            "undefined": self.undefined,
            "seed": self.seed,
            "confidence": self.confidence,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> BootstrapInfo | None:
        if not data:
            return None
        return cls(
            replicates=data.get("replicates") or 0,
            undefined=data.get("undefined", 0),
            seed=data.get("seed", 0),
            confidence=data.get("confidence", CONFIDENCE),
        )


@dataclass(frozen=True, kw_only=True)
class AlphaFields:
    """alpha, reason, ci, bootstrap, p_below_threshold: the same five keys in every report."""

    alpha: float | None
    reason: str | None
    ci: tuple[float, float] | None
    bootstrap: BootstrapInfo | None
    p_below_threshold: float | None

    def alpha_json(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "reason": self.reason,
            "ci": list(self.ci) if self.ci else None,
            "bootstrap": self.bootstrap.to_json() if self.bootstrap else None,
            "p_below_threshold": self.p_below_threshold,
        }

    @staticmethod
    def alpha_kwargs(data: Mapping[str, Any]) -> dict[str, Any]:
        """The five fields from their JSON (a stored result), for a subclass's from_json."""
        ci = data.get("ci")
        return {
            "alpha": data.get("alpha"),
            "reason": data.get("reason"),
            "ci": (ci[0], ci[1]) if ci else None,
            "bootstrap": BootstrapInfo.from_json(data.get("bootstrap")),
            "p_below_threshold": data.get("p_below_threshold"),
        }
