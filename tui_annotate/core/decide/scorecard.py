"""The scorecard: every version × rubric with its count, interval and a composite that ranks.

Per version and rubric: PASS / n with Wilson's interval, the mean score with a
seeded percentile bootstrap, the rule of three when nothing failed, and the
judge's own counts beside it (`n_judge_only`, `n_both`, `judge_pass_rate`,
always filled, so a reader sees how much of a number people stand behind).
With `source="ppi"` the pass rate and mean are prediction-powered (core/decide/ppi.py).

The composite is the weighted mean of the pass rates, with a bootstrap that
resamples a version's items jointly across rubrics; it ranks versions and
never decides a gate (a safety failure must not be averaged away).

`metric_card` and `verdict_columns` are also what gate and trend count with,
so a number is computed one way wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tui_annotate.core.decide import bootstrap as boot
from tui_annotate.core.decide.ppi import ppi
from tui_annotate.core.decide.stats import rate, rule_of_three, wilson
from tui_annotate.core.decide.table import PromptTable, RubricColumn, Source
from tui_annotate.core.results.decide import (
    Estimate,
    MetricCard,
    RubricInfo,
    Scorecard,
    VersionCard,
)


def verdict_columns(col: RubricColumn, source: Source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(score, source code, verdict 1/0/NaN) per row: people only, or the judge where none.

    PPI is an estimator of a rate, not a per-item label: where a command needs
    each item's verdict (pairs, tags, zero tolerance) `ppi` counts as `judge`.
    """
    score, src = col.resolved(use_judge=source != "human")
    return score, src, col.passes(score)


@dataclass(frozen=True)
class Columns:
    """One rubric's per-row arrays for one source, resolved once for all versions."""

    col: RubricColumn
    source: Source
    #: People's resolved score (golden, else human consensus) and the judge's; NaN = none.
    human: np.ndarray
    judge: np.ndarray
    human_pass: np.ndarray
    judge_pass: np.ndarray
    #: The score and verdict the source counts (the judge fills in unless source is human).
    score: np.ndarray
    verdict: np.ndarray

    @classmethod
    def of(cls, col: RubricColumn, source: Source, order: np.ndarray | None = None) -> Columns:
        """The arrays of COL, in the row ORDER given (default: the table's)."""
        human, _ = col.resolved(use_judge=False)
        score = human if source == "human" else col.resolved(use_judge=True)[0]
        judge = col.judge
        if order is not None:
            human, judge, score = human[order], judge[order], score[order]
        human_pass = col.passes(human)
        judge_pass = col.passes(judge)
        verdict = human_pass if source == "human" else col.passes(score)
        return cls(col, source, human, judge, human_pass, judge_pass, score, verdict)


def metric_card(
    cols: Columns | RubricColumn,
    rows: np.ndarray | slice,
    *,
    source: Source = "human",
    bootstrap: int = boot.DEFAULT_REPLICATES,
    seed: int = boot.DEFAULT_SEED,
) -> MetricCard:
    """One rubric over ROWS (a version's, a week's): counts, rates and their intervals."""
    c = cols if isinstance(cols, Columns) else Columns.of(cols, source)
    hs, js, hp, jp = c.human[rows], c.judge[rows], c.human_pass[rows], c.judge_pass[rows]
    has_h, has_j = ~np.isnan(hs), ~np.isnan(js)
    judge_only, both = has_j & ~has_h, has_j & has_h
    n_judge_only, n_both = int(judge_only.sum()), int(both.sum())
    judge_pass_rate = rate(float(jp[has_j].sum()), int(has_j.sum()))
    if c.source == "ppi":
        p = ppi(jp[judge_only], hp[both], jp[both])
        m = ppi(js[judge_only], hs[both], js[both], clip=None)
        n = n_judge_only + n_both
        passed = int(jp[judge_only].sum() + hp[both].sum())
        pass_rate, ci, mean, mean_ci = p.estimate, p.ci, m.estimate, m.ci
    else:
        score, verdict = c.score[rows], c.verdict[rows]
        has = ~np.isnan(score)
        labelled = score[has]
        n = int(labelled.size)
        passed = int(verdict[has].sum())
        pass_rate, ci = rate(passed, n), wilson(passed, n)
        mean = float(labelled.mean()) if n else None
        mean_ci = boot.bootstrap_mean(labelled, replicates=bootstrap, seed=seed)
    return MetricCard(
        rubric=c.col.name,
        n=n,
        passed=passed,
        pass_rate=pass_rate,
        ci=ci,
        mean_score=mean,
        mean_ci=mean_ci,
        fail_rate_upper=rule_of_three(n) if n > 0 and passed == n else None,
        n_judge_only=n_judge_only,
        n_both=n_both,
        judge_pass_rate=judge_pass_rate,
    )


def composite(
    columns: Mapping[str, Columns],
    infos: Mapping[str, RubricInfo],
    rows: np.ndarray | slice,
    cards: Mapping[str, MetricCard],
    *,
    bootstrap: int,
    seed: int,
) -> Estimate:
    """The weighted mean of the cards' pass rates, with a joint bootstrap over ROWS."""
    names = [name for name in infos if name in cards]
    weights = [infos[name].weight for name in names]
    value = boot.composite_value([cards[name].pass_rate for name in names], weights)
    if value is None:
        return Estimate(value=None, ci=None)
    cs = [columns[name] for name in names]
    if cs[0].source == "ppi":
        hp = np.column_stack([c.human_pass[rows] for c in cs])
        jp = np.column_stack([c.judge_pass[rows] for c in cs])
        ci = boot.bootstrap_composite_ppi(
            np.where(np.isnan(hp), jp, np.nan), hp - jp, weights, replicates=bootstrap, seed=seed
        )
    else:
        passes = np.column_stack([c.verdict[rows] for c in cs])
        ci = boot.bootstrap_composite(passes, weights, replicates=bootstrap, seed=seed)
    return Estimate(value=value, ci=ci)


def scorecard(
    table: PromptTable,
    infos: Mapping[str, RubricInfo],
    *,
    source: Source = "human",
    bootstrap: int = boot.DEFAULT_REPLICATES,
    seed: int = boot.DEFAULT_SEED,
) -> Scorecard:
    """Every version (semantic-version order) × every rubric of INFOS."""
    names = [name for name in infos if name in table.rubrics]
    # Rows grouped by version once, so each version is a contiguous slice (a view, not a copy).
    order = np.argsort(table.version_codes, kind="stable")
    ends = np.cumsum(np.bincount(table.version_codes, minlength=len(table.versions)))
    columns = {name: Columns.of(table.rubrics[name], source, order) for name in names}
    cards: list[VersionCard] = []
    for v, version in enumerate(table.versions):
        rows = slice(int(ends[v - 1]) if v else 0, int(ends[v]))
        metrics = {
            name: metric_card(columns[name], rows, bootstrap=bootstrap, seed=seed) for name in names
        }
        comp = composite(columns, infos, rows, metrics, bootstrap=bootstrap, seed=seed)
        cards.append(VersionCard(version=version, composite=comp, metrics=metrics))
    return Scorecard(
        prompt=table.prompt,
        source=source,
        rubrics={name: infos[name] for name in names},
        versions=tuple(cards),
        bootstrap=bootstrap,
        seed=seed,
    )
