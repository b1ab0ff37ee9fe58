"""Deciding's statistics alone (no database): scorecard, compare, gate, tags and trend on a
PromptTable of 1,000,000 items × 10 versions × 3 rubrics, 2,000 bootstrap replicates.

The table is built in memory (half the items with a human label, every item
with a judge label, 2,000 golden labels, a tag on every 7th item), so these
figures are the statistics' share of the 2 s end-to-end budget; the store's
`prompt_table` and the CLI add theirs. The naive baseline is the textbook
bootstrap: per replicate, draw n item indices and recompute the rates
(timed over a few replicates and scaled to 2,000).
"""

from __future__ import annotations

import time

import numpy as np

from bench.common import Figure, main_for, say

ITEMS, VERSIONS, REPLICATES = 1_000_000, 10, 2_000
NAIVE_REPLICATES = 20
AIM_SECONDS = 1.0


def build(items: int, versions: int, seed: int = 1):  # type: ignore[no-untyped-def]
    from tui_annotate.core.decide.table import PromptTable, RubricColumn
    from tui_annotate.core.results.decide import RubricInfo

    rng = np.random.default_rng(seed)
    cols = {}
    for name in ("faithfulness", "helpfulness", "safety"):
        human = rng.integers(1, 6, items).astype(float)
        human[rng.random(items) < 0.5] = np.nan
        judge = rng.integers(1, 6, items).astype(float)
        golden = np.full(items, np.nan)
        golden[:2000] = rng.integers(1, 6, 2000)
        cols[name] = RubricColumn(
            name=name,
            direction="higher",
            threshold=4,
            version="1.0.0",
            golden=golden,
            human=human,
            n_human=(~np.isnan(human)).astype(np.int32),
            judge=judge,
            human_tags={i: ("vague",) for i in range(0, items, 7)},
        )
    table = PromptTable(
        prompt="bench",
        item_ids=np.arange(items, dtype=np.int64),
        external_ids=tuple(f"i{i}" for i in range(items)),
        version_codes=(np.arange(items) % versions).astype(np.int32),
        versions=tuple(f"1.{v}.0" for v in range(versions)),
        case_codes=(np.arange(items) // versions).astype(np.int32),
        cases=tuple(f"c{c}" for c in range(items // versions)),
        times=np.datetime64("2026-11-30", "s") - (np.arange(items) % 60).astype("timedelta64[D]"),
        n_human_total=(~np.isnan(cols["faithfulness"].human)).astype(np.int32),
        rubrics=cols,
    )
    infos = {
        name: RubricInfo(
            name=name, version="1.0.0", direction="higher", threshold=4, min_pass_rate=0.3
        )
        for name in cols
    }
    return table, infos


def naive_seconds(table, infos, replicates: int) -> float:  # type: ignore[no-untyped-def]
    """The textbook loop for the scorecard's intervals: index draws per replicate."""
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for v in range(len(table.versions)):
        rows = np.flatnonzero(table.version_codes == v)
        for name in infos:
            col = table.rubrics[name]
            score = col.human[rows]
            score = score[~np.isnan(score)]
            verdict = (score >= col.threshold).astype(float)
            for _ in range(replicates):
                pick = rng.integers(0, score.size, score.size)
                _ = score[pick].mean(), verdict[pick].mean()
    return (time.perf_counter() - started) * REPLICATES / replicates


def timed(fn, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def run(quick: bool = False) -> list[Figure]:
    from tui_annotate.core.decide.compare import compare
    from tui_annotate.core.decide.config import ScorecardConfig
    from tui_annotate.core.decide.gate import gate
    from tui_annotate.core.decide.scorecard import scorecard
    from tui_annotate.core.decide.stats import mcnemar_exact_p
    from tui_annotate.core.decide.tags import tag_report
    from tui_annotate.core.decide.trend import trend

    items = 100_000 if quick else ITEMS
    say(f"building a table of {items:,} items × {VERSIONS} versions × 3 rubrics")
    table, infos = build(items, VERSIONS)
    mcnemar_exact_p(1, 2)  # scipy's import, once, as the CLI pays it once
    figures = []
    for label, fn in [
        ("scorecard --source human", lambda: scorecard(table, infos)),
        ("scorecard --source judge", lambda: scorecard(table, infos, source="judge")),
        ("scorecard --source ppi", lambda: scorecard(table, infos, source="ppi")),
        ("compare 1.0.0 1.1.0", lambda: compare(table, infos, baseline="1.0.0", candidate="1.1.0")),
        (
            "gate --baseline 1.0.0",
            lambda: gate(
                table, infos, ScorecardConfig(), candidate="1.1.0", baseline="1.0.0", lock=""
            ),
        ),
        ("tags", lambda: tag_report(table, infos)),
        ("trend --by week", lambda: trend(table, infos, by="week")),
    ]:
        seconds = timed(fn)
        figures.append(
            Figure(
                f"{label}: statistics only, {items:,} items, {REPLICATES:,} replicates (median of 3)",
                seconds * 1000,
                "ms",
                f"< {AIM_SECONDS * 1000:,.0f} ms",
                seconds < AIM_SECONDS,
            )
        )
    say(f"naive loop: {NAIVE_REPLICATES} replicates per version × rubric")
    naive = naive_seconds(table, infos, NAIVE_REPLICATES)
    ours = figures[0].value
    figures.append(
        Figure(
            f"naive scorecard intervals (index draws per replicate; {NAIVE_REPLICATES} timed, "
            "scaled)",
            naive,
            "s",
        )
    )
    assert isinstance(ours, float)
    figures.append(Figure("speed-up of the vectorised scorecard", naive / (ours / 1000), "×"))
    return figures


if __name__ == "__main__":
    main_for(run, __doc__)
