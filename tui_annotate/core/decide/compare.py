"""Paired comparison of two versions on the same cases: McNemar, a paired bootstrap, the MDE.

A case is what both versions answered (the `case` field, else the input
text). Where a version has two items in one case, the one with more human
labels is compared (then the lower item id), and the others are reported in
`duplicates_in_case`, so nothing is silently dropped. With baseline "golden",
the adjudicated golden labels are the baseline's verdicts, paired by case.

Per rubric, over the cases where both sides have a resolved label: the
discordant counts, the exact McNemar p (Holm-adjusted across the rubrics
compared), the pass-rate and mean-score differences B − A with one paired
bootstrap over cases, the minimum detectable effect, a verdict from the
interval against 0, and the cases that went PASS → FAIL with the candidate's
tags and comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tui_annotate.core.decide import bootstrap as boot
from tui_annotate.core.decide.power import paired_mde
from tui_annotate.core.decide.scorecard import verdict_columns
from tui_annotate.core.decide.stats import holm, mcnemar_exact_p
from tui_annotate.core.decide.table import PromptTable, RubricColumn, Source
from tui_annotate.core.results.decide import (
    Comparison,
    DuplicateInCase,
    Estimate,
    RegressedCase,
    RubricComparison,
    RubricInfo,
    Verdict,
)

GOLDEN = "golden"


@dataclass(frozen=True)
class Pairs:
    """One rubric's paired cases: case codes, A's and B's rows, scores and verdicts."""

    cases: np.ndarray
    rows_b: np.ndarray
    score_a: np.ndarray
    score_b: np.ndarray
    pass_a: np.ndarray
    pass_b: np.ndarray
    src_b: np.ndarray


def case_rows(table: PromptTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(case codes, the kept row of each) among ROWS: most human labels, then lowest item id."""
    if rows.size == 0:
        return rows[:0].astype(np.int32), rows[:0]
    order = np.lexsort((table.item_ids[rows], -table.n_human_total[rows], table.case_codes[rows]))
    ordered = rows[order]
    cases = table.case_codes[ordered]
    first = np.ones(ordered.size, dtype=bool)
    first[1:] = cases[1:] != cases[:-1]
    return cases[first], ordered[first]


def duplicates(table: PromptTable, version: str) -> list[DuplicateInCase]:
    """The cases where VERSION has more than one item, and which one is compared."""
    rows = table.version_rows(version)
    if rows.size == 0:
        return []
    order = np.lexsort((table.item_ids[rows], -table.n_human_total[rows], table.case_codes[rows]))
    ordered = rows[order]
    cases = table.case_codes[ordered]
    starts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]])
    ends = np.r_[starts[1:], ordered.size]
    runs = list(
        zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist(), strict=True)
    )
    # The names in two queries (a table from the store fetches its texts when asked).
    names = table.cases_of(int(cases[start]) for start, _ in runs)
    kept_dropped = [
        [
            int(ordered[start]),
            *sorted(ordered[start + 1 : end].tolist(), key=lambda r: int(table.item_ids[r])),
        ]
        for start, end in runs
    ]
    ids = iter(table.external_ids_of(row for group in kept_dropped for row in group))
    out: list[DuplicateInCase] = []
    for name, group in zip(names, kept_dropped, strict=True):
        kept = next(ids)
        dropped = tuple(next(ids) for _ in group[1:])
        out.append(DuplicateInCase(version=version, case=name, kept=kept, dropped=dropped))
    return out


def paired_duplicates(
    table: PromptTable, *, baseline: str, candidate: str
) -> tuple[DuplicateInCase, ...]:
    """Both versions' duplicates in a case (the golden labels have none), baseline first."""
    dups = duplicates(table, candidate)
    if baseline != GOLDEN:
        dups = duplicates(table, baseline) + dups
    return tuple(dups)


def _golden_by_case(table: PromptTable, col: RubricColumn) -> tuple[np.ndarray, np.ndarray]:
    """(case codes, golden score) from the lowest-id golden-labelled item of each case."""
    rows = np.flatnonzero(~np.isnan(col.golden))
    if rows.size == 0:
        return rows.astype(np.int32), np.zeros(0)
    order = np.lexsort((table.item_ids[rows], table.case_codes[rows]))
    ordered = rows[order]
    cases = table.case_codes[ordered]
    first = np.ones(ordered.size, dtype=bool)
    first[1:] = cases[1:] != cases[:-1]
    return cases[first], col.golden[ordered[first]]


def pairs(
    table: PromptTable, col: RubricColumn, *, baseline: str, candidate: str, source: Source
) -> Pairs:
    """The cases where the baseline (a version or "golden") and the candidate both have a label."""
    score, src, verdict = verdict_columns(col, source)
    cases_b, rows_b = case_rows(table, table.version_rows(candidate))
    keep_b = ~np.isnan(score[rows_b])
    cases_b, rows_b = cases_b[keep_b], rows_b[keep_b]
    if baseline == GOLDEN:
        cases_a, score_a_all = _golden_by_case(table, col)
        pass_a_all = col.passes(score_a_all)
    else:
        cases_a, rows_a = case_rows(table, table.version_rows(baseline))
        keep_a = ~np.isnan(score[rows_a])
        cases_a, rows_a = cases_a[keep_a], rows_a[keep_a]
        score_a_all, pass_a_all = score[rows_a], verdict[rows_a]
    common, ia, ib = np.intersect1d(cases_a, cases_b, assume_unique=True, return_indices=True)
    rb = rows_b[ib]
    return Pairs(
        cases=common,
        rows_b=rb,
        score_a=score_a_all[ia],
        score_b=score[rb],
        pass_a=pass_a_all[ia],
        pass_b=verdict[rb],
        src_b=src[rb],
    )


def paired_diff(p: Pairs, *, bootstrap: int, seed: int) -> tuple[Estimate, Estimate]:
    """Pass-rate and mean-score differences B − A with one paired bootstrap over cases."""
    n = int(p.cases.size)
    if n == 0:
        return Estimate(value=None, ci=None), Estimate(value=None, ci=None)
    d = np.column_stack([p.pass_b - p.pass_a, p.score_b - p.score_a])
    ci_pass, ci_mean = boot.bootstrap_paired(d, replicates=bootstrap, seed=seed)
    return (
        Estimate(value=float(d[:, 0].mean()), ci=ci_pass),
        Estimate(value=float(d[:, 1].mean()), ci=ci_mean),
    )


#: A direction is claimed only when the exact test agrees at this level.
ALPHA = 0.05


def verdict_of(diff: Estimate, p_holm: float = 0.0) -> Verdict:
    """better / worse when the interval lies wholly above / below 0 and the exact test agrees.

    The percentile bootstrap undercovers at a few pairs: two discordant pairs that
    both went one way give an interval that excludes 0 while the exact McNemar
    test gives p = 0.5. So a direction is claimed only when the Holm-adjusted
    McNemar p-value (P_HOLM) is also below 5 %; otherwise "no detectable
    difference", never more confidence than the evidence allows. Undefined
    without pairs.
    """
    if diff.ci is None:
        return "undefined"
    if diff.ci[0] > 0 and p_holm < ALPHA:
        return "better"
    if diff.ci[1] < 0 and p_holm < ALPHA:
        return "worse"
    return "no detectable difference"


def _regressed(table: PromptTable, col: RubricColumn, p: Pairs) -> tuple[RegressedCase, ...]:
    out = []
    regressed = np.flatnonzero((p.pass_a == 1.0) & (p.pass_b == 0.0))
    # The names in two queries (a table from the store fetches its texts when asked).
    names = table.cases_of(p.cases[regressed].tolist())
    items = table.external_ids_of(p.rows_b[regressed].tolist())
    for k, i in enumerate(regressed):
        row, src = int(p.rows_b[i]), int(p.src_b[i])
        out.append(
            RegressedCase(
                case=names[k],
                item=items[k],
                tags=col.tags_of(row, src),
                comment=" / ".join(col.comments.get(row, ())),
            )
        )
    return tuple(out)


def compare(
    table: PromptTable,
    infos: Mapping[str, RubricInfo],
    *,
    baseline: str,
    candidate: str,
    source: Source = "human",
    bootstrap: int = boot.DEFAULT_REPLICATES,
    seed: int = boot.DEFAULT_SEED,
) -> Comparison:
    """Candidate B against baseline A (a version or "golden") on every rubric of INFOS.

    With source "ppi", per-case verdicts are the judge-filled ones (PPI estimates a
    rate, not a case's verdict).
    """
    names = [name for name in infos if name in table.rubrics]
    raw: dict[str, tuple[Pairs, int, int, float, Estimate, Estimate]] = {}
    for name in names:
        p = pairs(table, table.rubrics[name], baseline=baseline, candidate=candidate, source=source)
        p2f = int(((p.pass_a == 1.0) & (p.pass_b == 0.0)).sum())
        f2p = int(((p.pass_a == 0.0) & (p.pass_b == 1.0)).sum())
        diff, mean_diff = paired_diff(p, bootstrap=bootstrap, seed=seed)
        raw[name] = (p, p2f, f2p, mcnemar_exact_p(p2f, f2p), diff, mean_diff)
    # Holm counts only the rubrics that were compared on at least one pair.
    adjusted = holm([raw[n][3] if raw[n][0].cases.size else None for n in names])
    rubrics: dict[str, RubricComparison] = {}
    for name, p_holm in zip(names, adjusted, strict=True):
        p, p2f, f2p, p_value, diff, mean_diff = raw[name]
        n_pairs = int(p.cases.size)
        p_holm = 1.0 if p_holm is None else p_holm
        rubrics[name] = RubricComparison(
            rubric=name,
            n_pairs=n_pairs,
            pass_to_fail=p2f,
            fail_to_pass=f2p,
            mcnemar_p=p_value,
            p_holm=p_holm,
            diff=diff,
            mean_diff=mean_diff,
            mde=paired_mde(n_pairs, p2f + f2p),
            verdict=verdict_of(diff, p_holm),
            regressed=_regressed(table, table.rubrics[name], p),
        )
    return Comparison(
        prompt=table.prompt,
        baseline=baseline,
        candidate=candidate,
        source=source,
        rubrics=rubrics,
        duplicates_in_case=paired_duplicates(table, baseline=baseline, candidate=candidate),
        bootstrap=bootstrap,
        seed=seed,
    )
