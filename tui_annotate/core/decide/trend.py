"""Pass rate over time: one point per version (semantic-version order) or per ISO week.

Each point is PASS / n with Wilson's interval (the prediction-powered estimate
with `source="ppi"`), counted exactly as the scorecard counts, so the trend and
the scorecard agree on every version. Weeks are ISO 8601 weeks ("2026-W48") of
the items' times (their `timestamp`, else when they were imported), UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np

from tui_annotate.core.decide.scorecard import metric_card, verdict_columns
from tui_annotate.core.decide.stats import rate, wilson
from tui_annotate.core.decide.table import PromptTable, Source
from tui_annotate.core.results.decide import RubricInfo, Trend, TrendPoint


def iso_weeks(times: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """(per row an index into the labels, the labels "YYYY-Www" in time order)."""
    days = times.astype("datetime64[D]").astype(np.int64)
    # 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays.
    thursday = days - (days + 3) % 7 + 3
    year = thursday.astype("datetime64[D]").astype("datetime64[Y]")
    week = (thursday - year.astype("datetime64[D]").astype(np.int64)) // 7 + 1
    key = (year.astype(np.int64) + 1970) * 100 + week
    keys, codes = np.unique(key, return_inverse=True)
    labels = tuple(f"{k // 100}-W{k % 100:02d}" for k in keys.tolist())
    return codes.reshape(-1), labels


def trend(
    table: PromptTable,
    infos: Mapping[str, RubricInfo],
    *,
    by: Literal["version", "week"] = "version",
    source: Source = "human",
) -> Trend:
    """Per rubric of INFOS, the points by version (every version, n = 0 included) or by week."""
    if by == "week":
        groups, labels = iso_weeks(table.times)
    else:
        groups, labels = table.version_codes.astype(np.int64), table.versions
    names = [name for name in infos if name in table.rubrics]
    out: dict[str, tuple[TrendPoint, ...]] = {}
    for name in names:
        col = table.rubrics[name]
        points: list[TrendPoint] = []
        if source == "ppi":
            for g, label in enumerate(labels):
                card = metric_card(col, np.flatnonzero(groups == g), source="ppi")
                points.append(
                    TrendPoint(
                        label=label,
                        n=card.n,
                        passed=card.passed,
                        pass_rate=card.pass_rate,
                        ci=card.ci,
                    )
                )
        else:
            verdict = verdict_columns(col, source)[2]
            has = ~np.isnan(verdict)
            n = np.bincount(groups[has], minlength=len(labels))
            passed = np.bincount(groups[has], weights=verdict[has], minlength=len(labels))
            for g, label in enumerate(labels):
                k, m = int(passed[g]), int(n[g])
                points.append(
                    TrendPoint(label=label, n=m, passed=k, pass_rate=rate(k, m), ci=wilson(k, m))
                )
        out[name] = tuple(points)
    return Trend(
        prompt=table.prompt,
        source=source,
        by=by,
        rubrics=out,
        thresholds={name: infos[name] for name in names},
    )
