"""The `[scorecard]` table of tui-annotate.toml: what a gate checks and how a composite weighs.

Parsed here, headless and without numpy, because `config.load` reads it at every
start. Every error names the file and the dotted key (`scorecard.metrics.safety.weight`)
so a lead fixes the line without guessing. Whether a metric names a rubric that
exists is only known where the rubrics are loaded: `check_metrics` is for the CLI.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tui_annotate.errors import InputError

DEFAULT_MIN_N = 30
DEFAULT_MARGIN = 0.05


@dataclass(frozen=True, kw_only=True)
class MetricConfig:
    """`[scorecard.metrics.NAME]`: a hard threshold, a composite weight, zero tolerance."""

    #: The gate passes this metric when the Wilson lower bound is at least this.
    min_pass_rate: float | None = None
    #: The rubric's weight in the composite (which ranks versions and never decides).
    weight: float = 1.0
    #: Any FAIL label of the candidate on this rubric fails the gate.
    zero_tolerance: bool = False


@dataclass(frozen=True, kw_only=True)
class ScorecardConfig:
    """`[scorecard]`: the evidence a gate needs and the metrics it checks."""

    #: Fewer resolved items (or pairs) than this: a check is inconclusive.
    min_n: int = DEFAULT_MIN_N
    #: The non-inferiority margin on a pass rate against the baseline.
    margin: float = DEFAULT_MARGIN
    metrics: Mapping[str, MetricConfig] = field(default_factory=dict)

    def __hash__(self) -> int:
        # Settings is frozen and hashable; a dict field would make it unhashable.
        return hash((self.min_n, self.margin, tuple(sorted(self.metrics.items()))))

    def to_json(self) -> dict[str, Any]:
        """Canonical plain data (sorted metric names): what the gate's lock hashes."""
        return {
            "min_n": self.min_n,
            "margin": self.margin,
            "metrics": {
                name: {
                    "min_pass_rate": m.min_pass_rate,
                    "weight": m.weight,
                    "zero_tolerance": m.zero_tolerance,
                }
                for name, m in sorted(self.metrics.items())
            },
        }


_TOP = ("min_n", "margin", "metrics")
_METRIC = ("min_pass_rate", "weight", "zero_tolerance")


def _number(value: Any, file: str, key: str) -> float:
    # bool is an int in Python; `weight = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be a number, not {value!r}", file=file, field=key)
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"must be a finite number, not {value!r}", file=file, field=key)
    return number


def _unknown(table: Mapping[str, Any], known: tuple[str, ...], file: str, prefix: str) -> None:
    for key in table:
        if key not in known:
            raise InputError(
                f"unknown key (known: {', '.join(known)})", file=file, field=f"{prefix}.{key}"
            )


def _metric(name: str, table: Any, file: str) -> MetricConfig:
    prefix = f"scorecard.metrics.{name}"
    if not isinstance(table, dict):
        raise InputError(
            "must be a table like [scorecard.metrics.NAME] with min_pass_rate, weight or "
            "zero_tolerance",
            file=file,
            field=prefix,
        )
    _unknown(table, _METRIC, file, prefix)
    min_pass_rate = None
    if "min_pass_rate" in table:
        key = f"{prefix}.min_pass_rate"
        min_pass_rate = _number(table["min_pass_rate"], file, key)
        if not 0.0 <= min_pass_rate <= 1.0:
            raise InputError(f"must be between 0 and 1, not {min_pass_rate}", file=file, field=key)
    weight = 1.0
    if "weight" in table:
        key = f"{prefix}.weight"
        weight = _number(table["weight"], file, key)
        if weight <= 0:
            raise InputError(f"must be a number above 0, not {weight}", file=file, field=key)
    zero = table.get("zero_tolerance", False)
    if not isinstance(zero, bool):
        raise InputError(
            f"must be true or false, not {zero!r}", file=file, field=f"{prefix}.zero_tolerance"
        )
    return MetricConfig(min_pass_rate=min_pass_rate, weight=weight, zero_tolerance=zero)


def parse_scorecard(table: Any, file: str) -> ScorecardConfig:
    """Validate a `[scorecard]` table read from FILE; InputError names the file and the key."""
    if not isinstance(table, dict):
        raise InputError("must be a table: [scorecard]", file=file, field="scorecard")
    _unknown(table, _TOP, file, "scorecard")
    min_n = DEFAULT_MIN_N
    if "min_n" in table:
        value = table["min_n"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(
                f"must be a whole number, not {value!r}", file=file, field="scorecard.min_n"
            )
        if value < 1:
            raise InputError(f"must be at least 1, not {value}", file=file, field="scorecard.min_n")
        min_n = value
    margin = DEFAULT_MARGIN
    if "margin" in table:
        margin = _number(table["margin"], file, "scorecard.margin")
        if not 0.0 <= margin < 1.0:
            raise InputError(
                f"must be at least 0 and below 1, not {margin}", file=file, field="scorecard.margin"
            )
    metrics_table = table.get("metrics", {})
    if not isinstance(metrics_table, dict):
        raise InputError(
            "must be tables like [scorecard.metrics.NAME]", file=file, field="scorecard.metrics"
        )
    metrics = {name: _metric(name, value, file) for name, value in metrics_table.items()}
    return ScorecardConfig(min_n=min_n, margin=margin, metrics=metrics)


def check_metrics(config: ScorecardConfig, known_rubrics: Iterable[str], file: str) -> None:
    """Every `[scorecard.metrics.NAME]` must name a known rubric; else InputError naming it."""
    known = sorted(set(known_rubrics))
    for name in config.metrics:
        if name not in known:
            raise InputError(
                f"no rubric named {name!r} (known: {', '.join(known) or 'none'})",
                file=file,
                field=f"scorecard.metrics.{name}",
            )
