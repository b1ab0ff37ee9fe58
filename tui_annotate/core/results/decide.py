"""What deciding reports (issue 13): scorecards, comparisons, gates, tag Paretos and trends.

Plain frozen data with `to_json`: the CLI prints these, the Decide screen draws
them, CI parses their JSON, and all three read the same object, so a number
can never differ between them. Every rate comes with its n and an interval;
an interval or a rate over nothing is None (`null`), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: A 95 % interval, or None where it is undefined (n = 0).
CI = tuple[float, float] | None
Decision = Literal["pass", "fail", "inconclusive"]
#: Exit codes of `gate`: 0 pass, 1 fail, 3 inconclusive (2 is bad usage, as everywhere).
GATE_EXIT: Mapping[Decision, int] = {"pass": 0, "fail": 1, "inconclusive": 3}


def ci_json(ci: CI) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A point estimate and its 95 % interval (both None when there is no evidence)."""

    value: float | None
    ci: CI

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "ci": ci_json(self.ci)}


@dataclass(frozen=True, kw_only=True)
class MetricCard:
    """One version on one rubric."""

    rubric: str
    #: Items with a resolved label (with --source ppi: the n + N both estimates use).
    n: int
    passed: int
    #: With --source ppi: the prediction-powered estimate, and `ci` its interval.
    pass_rate: float | None
    ci: CI
    mean_score: float | None
    mean_ci: CI
    #: With no FAIL in n: the rule of three, 3/n; else None.
    fail_rate_upper: float | None
    #: Items only the judge labelled (PPI's N) and items with both (PPI's n).
    n_judge_only: int
    n_both: int
    #: The plain judge verdicts' pass rate over every judged item, beside any estimate.
    judge_pass_rate: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "pass": self.passed,
            "pass_rate": self.pass_rate,
            "ci": ci_json(self.ci),
            "mean_score": self.mean_score,
            "mean_ci": ci_json(self.mean_ci),
            "fail_rate_upper": self.fail_rate_upper,
            "n_judge_only": self.n_judge_only,
            "n_both": self.n_both,
            "judge_pass_rate": self.judge_pass_rate,
        }


@dataclass(frozen=True, kw_only=True)
class VersionCard:
    version: str
    #: The weighted mean of the pass rates; it ranks versions and never decides a gate.
    composite: Estimate
    metrics: Mapping[str, MetricCard]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "composite": self.composite.to_json(),
            "metrics": {name: m.to_json() for name, m in self.metrics.items()},
        }


@dataclass(frozen=True, kw_only=True)
class RubricInfo:
    """How a rubric decides PASS, shown beside every number computed with it."""

    name: str
    version: str
    direction: Literal["higher", "lower"]
    threshold: int
    #: From [scorecard.metrics.NAME]: a hard threshold, a weight, zero tolerance.
    min_pass_rate: float | None = None
    weight: float = 1.0
    zero_tolerance: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "direction": self.direction,
            "pass_threshold": self.threshold,
            "min_pass_rate": self.min_pass_rate,
            "weight": self.weight,
            "zero_tolerance": self.zero_tolerance,
        }


@dataclass(frozen=True, kw_only=True)
class Scorecard:
    prompt: str
    source: str
    rubrics: Mapping[str, RubricInfo]
    #: In semantic-version order.
    versions: tuple[VersionCard, ...]
    bootstrap: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "source": self.source,
            "rubrics": {name: r.to_json() for name, r in self.rubrics.items()},
            "versions": [v.to_json() for v in self.versions],
            "bootstrap": self.bootstrap,
            "seed": self.seed,
        }


@dataclass(frozen=True, kw_only=True)
class RegressedCase:
    """A case that went PASS → FAIL: what the candidate's item was tagged and told."""

    case: str
    item: str
    tags: tuple[str, ...]
    comment: str

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "item": self.item,
            "tags": list(self.tags),
            "comment": self.comment,
        }


@dataclass(frozen=True, kw_only=True)
class DuplicateInCase:
    """Two or more items of one version in one case: which one was compared."""

    version: str
    case: str
    kept: str
    dropped: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "case": self.case,
            "kept": self.kept,
            "dropped": list(self.dropped),
        }


Verdict = Literal["better", "worse", "no detectable difference", "undefined"]


@dataclass(frozen=True, kw_only=True)
class RubricComparison:
    rubric: str
    n_pairs: int
    pass_to_fail: int
    fail_to_pass: int
    mcnemar_p: float
    #: Holm-adjusted across the compared rubrics.
    p_holm: float
    #: Pass rate B − A, paired bootstrap interval over cases.
    diff: Estimate
    mean_diff: Estimate
    #: The smallest pass-rate change this n detects at 80 % power (two-sided 5 %); None at n = 0.
    mde: float | None
    verdict: Verdict
    regressed: tuple[RegressedCase, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "n_pairs": self.n_pairs,
            "pass_to_fail": self.pass_to_fail,
            "fail_to_pass": self.fail_to_pass,
            "mcnemar_p": self.mcnemar_p,
            "p_holm": self.p_holm,
            "diff": self.diff.to_json(),
            "mean_diff": self.mean_diff.to_json(),
            "mde": self.mde,
            "verdict": self.verdict,
            "regressed": [r.to_json() for r in self.regressed],
        }


@dataclass(frozen=True, kw_only=True)
class Comparison:
    prompt: str
    #: A version, or "golden" (the adjudicated labels as the baseline's verdicts).
    baseline: str
    candidate: str
    source: str
    rubrics: Mapping[str, RubricComparison]
    duplicates_in_case: tuple[DuplicateInCase, ...] = ()
    bootstrap: int = 2000
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "source": self.source,
            "rubrics": {name: r.to_json() for name, r in self.rubrics.items()},
            "duplicates_in_case": [d.to_json() for d in self.duplicates_in_case],
            "bootstrap": self.bootstrap,
            "seed": self.seed,
        }


CheckKind = Literal["min_pass_rate", "zero_tolerance", "non_inferiority"]


@dataclass(frozen=True, kw_only=True)
class GateCheck:
    metric: str
    kind: CheckKind
    decision: Decision
    value: float | None
    ci: CI
    threshold: float | None
    n: int
    #: One sentence a person reads: why this decision (names the bound and the threshold).
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "kind": self.kind,
            "decision": self.decision,
            "value": self.value,
            "ci": ci_json(self.ci),
            "threshold": self.threshold,
            "n": self.n,
            "reason": self.reason,
        }


@dataclass(frozen=True, kw_only=True)
class GateReport:
    prompt: str
    candidate: str
    #: A version, "golden", or None when no baseline was given.
    baseline: str | None
    decision: Decision
    checks: tuple[GateCheck, ...]
    #: A hash over the golden labels, the rubric versions and the scorecard config decided on.
    lock: str
    source: str = "human"
    #: With a baseline, the cases where a version has several items: which one was paired.
    duplicates_in_case: tuple[DuplicateInCase, ...] = ()

    def exit_code(self, inconclusive: Literal["fail", "pass"] | None = None) -> int:
        """0 pass, 1 fail, 3 inconclusive, unless --inconclusive maps it to fail (1) or pass (0)."""
        if self.decision == "inconclusive" and inconclusive is not None:
            return GATE_EXIT[inconclusive]
        return GATE_EXIT[self.decision]

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "source": self.source,
            "decision": self.decision,
            "checks": [c.to_json() for c in self.checks],
            "lock": self.lock,
            "duplicates_in_case": [d.to_json() for d in self.duplicates_in_case],
        }


@dataclass(frozen=True, kw_only=True)
class TagCount:
    tag: str
    count: int
    #: Of the version's failures (tagged or not), with its Wilson interval.
    share: float | None
    ci: CI
    #: The Pareto's running share, largest tag first.
    cumulative: float | None
    #: Share minus the previous version's share (None for the first version).
    change: float | None
    #: Not seen among the previous version's failures.
    new: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "count": self.count,
            "share": self.share,
            "ci": ci_json(self.ci),
            "cumulative": self.cumulative,
            "change": self.change,
            "new": self.new,
        }


@dataclass(frozen=True, kw_only=True)
class VersionTags:
    version: str
    failures: int
    untagged: int
    #: Largest count first (the Pareto order).
    tags: tuple[TagCount, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "failures": self.failures,
            "untagged": self.untagged,
            "tags": {t.tag: t.count for t in self.tags},
            "pareto": [t.to_json() for t in self.tags],
        }


@dataclass(frozen=True, kw_only=True)
class TagReport:
    prompt: str
    source: str
    rubrics: tuple[str, ...]
    #: In semantic-version order.
    versions: tuple[VersionTags, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "source": self.source,
            "rubrics": list(self.rubrics),
            "versions": {v.version: v.to_json() for v in self.versions},
        }


@dataclass(frozen=True, kw_only=True)
class TrendPoint:
    #: A version, or an ISO week like "2026-W48".
    label: str
    n: int
    passed: int
    pass_rate: float | None
    ci: CI

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n": self.n,
            "pass": self.passed,
            "pass_rate": self.pass_rate,
            "ci": ci_json(self.ci),
        }


@dataclass(frozen=True, kw_only=True)
class Trend:
    prompt: str
    source: str
    by: Literal["version", "week"]
    rubrics: Mapping[str, tuple[TrendPoint, ...]] = field(default_factory=dict)
    thresholds: Mapping[str, RubricInfo] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "source": self.source,
            "by": self.by,
            "rubrics": {
                name: [p.to_json() for p in points] for name, points in self.rubrics.items()
            },
        }
