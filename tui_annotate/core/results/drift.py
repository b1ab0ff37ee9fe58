"""What `drift` found: per rubric, the two windows' pass rates, their difference, the state.

Plain data with one `to_json` (the issue's keys), so the CLI prints it and a
cron job reads it without the maths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: `none`: no alert; `new`: raised by this check; `ongoing`: raised before, still on;
#: `cleared`: was on, now back; `inconclusive`: too few items on a side to tell.
DriftState = Literal["none", "new", "ongoing", "cleared", "inconclusive"]
DRIFT_EXIT = {"alert": 1, "ok": 0, "inconclusive": 3}


@dataclass(frozen=True, slots=True)
class AlertState:
    """The stored state of one (prompt, rubric, source) drift check."""

    active: bool = False
    checks: int = 0
    since: str | None = None
    #: When it was last checked (the check's `now`), None before the first check.
    checked_at: str | None = None


@dataclass(frozen=True, slots=True)
class WindowRate:
    n: int
    passes: int
    pass_rate: float | None
    ci: tuple[float, float] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "pass_rate": _round(self.pass_rate),
            "ci": [_round(x) for x in self.ci] if self.ci else None,
        }


@dataclass(frozen=True, slots=True)
class RubricDrift:
    rubric: str
    baseline: WindowRate
    recent: WindowRate
    diff: float | None
    diff_ci: tuple[float, float] | None
    state: DriftState
    #: Whether an alert is on after this check (new or ongoing, or inconclusive while on).
    active: bool
    #: How many times this (prompt, rubric, source) was checked, this check included.
    checks: int
    since: str | None
    #: Agreement drift: alpha of the window's live double-labelled items beside the last
    #: calibration's (core/live/drift_agreement.py), None when not measured.
    agreement: dict[str, Any] | None = None
    #: The check before this one (its `now`), None on the first: how often it is checked.
    previous_check: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement,
            "baseline": self.baseline.to_json(),
            "recent": self.recent.to_json(),
            "diff": {
                "value": _round(self.diff),
                "ci": [_round(x) for x in self.diff_ci] if self.diff_ci else None,
            },
            "state": self.state,
            "active": self.active,
            "checks": self.checks,
            "previous_check": self.previous_check,
            "alert_since": self.since,
        }


@dataclass(frozen=True, slots=True)
class DriftReport:
    prompt: str
    source: str
    #: ISO 8601 durations as given (e.g. "7d") and the window bounds (UTC).
    window: str
    baseline: str
    now: str
    recent_from: str
    baseline_from: str
    margin: float
    min_n: int
    rubrics: dict[str, RubricDrift] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        """'alert' if any rubric's alert is on, else 'inconclusive' if any can't tell, else 'ok'."""
        if any(r.active for r in self.rubrics.values()):
            return "alert"
        if any(r.state == "inconclusive" for r in self.rubrics.values()):
            return "inconclusive"
        return "ok"

    def exit_code(self) -> int:
        return DRIFT_EXIT[self.outcome]

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "source": self.source,
            "window": self.window,
            "baseline": self.baseline,
            "now": self.now,
            "recent_from": self.recent_from,
            "baseline_from": self.baseline_from,
            "margin": self.margin,
            "min_n": self.min_n,
            "outcome": self.outcome,
            "rubrics": {name: r.to_json() for name, r in self.rubrics.items()},
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
