"""Each rubric's rule for PASS, joined with its `[scorecard.metrics]` entry: a `RubricInfo`.

Every decision statistic is shown beside the rule it was computed with, so the
threshold, direction, weight and zero tolerance travel together from here.
"""

from __future__ import annotations

from collections.abc import Sequence

from tui_annotate.core.decide.config import MetricConfig, ScorecardConfig
from tui_annotate.core.models import Rubric
from tui_annotate.core.results.decide import RubricInfo


def rubric_infos(rubrics: Sequence[Rubric], config: ScorecardConfig) -> dict[str, RubricInfo]:
    """name → RubricInfo, in the order of RUBRICS; a rubric without a metric entry: defaults."""
    out: dict[str, RubricInfo] = {}
    for rubric in rubrics:
        metric = config.metrics.get(rubric.name, MetricConfig())
        out[rubric.name] = RubricInfo(
            name=rubric.name,
            version=rubric.version,
            direction=rubric.direction,
            threshold=rubric.pass_threshold,
            min_pass_rate=metric.min_pass_rate,
            weight=metric.weight,
            zero_tolerance=metric.zero_tolerance,
        )
    return out
