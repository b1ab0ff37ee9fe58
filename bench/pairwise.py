"""Pairwise results over 100,000 votes and 10 versions, 1,000 bootstrap replicates of Bradley–Terry.

The aim (issue 14): the whole report (per-pair counts and tests, the BT fit
and its bootstrap, position bias, agreement with its own bootstrap) in
under 3 s. Votes are simulated from known strengths: 50,000 pairs, each
voted on by two annotators, sides shuffled. Beside it, the naive loop: per
replicate, draw 100,000 vote indices, build the win matrix from them and
fit (timed over a few replicates and scaled), as a straightforward
implementation would. Both resample votes, so their intervals agree up to
Monte Carlo noise.
"""

from __future__ import annotations

import time

import numpy as np

from bench.common import Figure, main_for, say

VOTES, VERSIONS, REPLICATES = 100_000, 10, 1_000
NAIVE_REPLICATES = 20
AIM_SECONDS = 3.0


def simulated(votes: int, k: int, seed: int = 0):  # type: ignore[no-untyped-def]
    from tui_annotate.core.pairwise.models import CHOICES, VoteRow

    rng = np.random.default_rng(seed)
    strength = np.linspace(-1.0, 1.0, k)
    pairs = votes // 2
    a = rng.integers(0, k - 1, pairs)
    b = a + 1 + (rng.random(pairs) * (k - 1 - a)).astype(int)
    versions = [f"1.{i}.0" for i in range(k)]
    rows = []
    for who in ("ana", "ben"):
        p_b = 1.0 / (1.0 + np.exp(strength[a] - strength[b]))
        u = rng.random(pairs)
        choice = np.where(
            u < 0.1, 2, np.where(u < 0.15, 3, np.where(rng.random(pairs) < p_b, 1, 0))
        )
        left = rng.random(pairs) < 0.5
        rows += [
            VoteRow(
                i, who, versions[a[i]], versions[b[i]], CHOICES[choice[i]], "a" if left[i] else "b"
            )
            for i in range(pairs)
        ]
    return versions, rows


def naive(
    a: np.ndarray, b: np.ndarray, outcome: np.ndarray, k: int, replicates: int
) -> list[np.ndarray]:
    from tui_annotate.core.pairwise import bradley_terry as bt

    rng = np.random.default_rng(1)
    out = []
    for _ in range(replicates):
        pick = rng.integers(0, len(a), len(a))
        out.append(bt.fit(bt.win_matrix(a[pick], b[pick], outcome[pick], k)))
    return out


def run(quick: bool = False) -> list[Figure]:
    from tui_annotate.core.pairwise import bradley_terry as bt
    from tui_annotate.core.pairwise.models import Task
    from tui_annotate.core.pairwise.report import report

    votes = 20_000 if quick else VOTES
    say(f"simulating {votes:,} votes over {VERSIONS} versions")
    versions, rows = simulated(votes, VERSIONS)
    task = Task(1, "bench", tuple(versions), 0)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        found = report(task, rows, bootstrap=REPLICATES, seed=1)
        runs.append(time.perf_counter() - started)
    whole = sorted(runs)[1]
    at = {v: i for i, v in enumerate(versions)}
    code = {"a": 0, "b": 1, "tie": 2}
    rated = [r for r in rows if r.choice != "both_bad"]
    a = np.array([at[r.version_a] for r in rated])
    b = np.array([at[r.version_b] for r in rated])
    outcome = np.array([code[r.choice] for r in rated])
    started = time.perf_counter()
    bt.bootstrap(a, b, outcome, VERSIONS, replicates=REPLICATES, seed=1)
    boot = time.perf_counter() - started
    say(f"naive loop: {NAIVE_REPLICATES} replicates")
    started = time.perf_counter()
    naive(a, b, outcome, VERSIONS, NAIVE_REPLICATES)
    naive_total = (time.perf_counter() - started) / NAIVE_REPLICATES * REPLICATES
    top = found.ranking[0]
    return [
        Figure(
            f"pairwise report, {votes:,} votes × {VERSIONS} versions, {REPLICATES:,} BT"
            " replicates + alpha's bootstrap (median of 3)",
            whole,
            "s",
            f"< {AIM_SECONDS:.0f} s",
            whole < AIM_SECONDS,
        ),
        Figure("… of which the BT bootstrap (multinomial cells, batched MM)", boot * 1000, "ms"),
        Figure(
            f"naive loop (resample votes + fit per replicate; {NAIVE_REPLICATES} timed, scaled)",
            naive_total,
            "s",
        ),
        Figure("speed-up of the batched bootstrap", naive_total / boot, "×"),
        Figure(
            "top version, its strength and 95% interval",
            f"{top.version} {top.strength:+.3f} [{top.ci[0]:+.3f}, {top.ci[1]:+.3f}]"
            if top.ci
            else top.version,
        ),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
