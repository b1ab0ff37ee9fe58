"""Pairwise results over 100,000 votes and 10 versions, 1,000 bootstrap replicates of Bradley–Terry.

The aim (issue 14): the whole report (per-pair counts and tests, the BT fit
and its bootstrap, position bias, agreement with its own bootstrap) in
under 3 s. Votes are simulated from known strengths: 50,000 pairs, each
voted on by two annotators, sides shuffled. Beside it, the naive loop: per
replicate, draw 100,000 vote indices, build the win matrix from them and
fit (timed over a few replicates and scaled), as a straightforward
implementation would. Both resample votes, so their intervals agree up to
Monte Carlo noise. Last, the command's whole cost: a fresh process that
imports, reads 100,000 current votes from a project database and reports.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def stored(folder: Path, votes: int, k: int, seed: int = 0) -> Path:
    """A project database holding one task with VOTES votes (two per pair), by direct SQL."""
    from tui_annotate.core.pairwise.models import Drawn, NewPair, Task
    from tui_annotate.store.repository import Repository

    db = folder / "pairwise.db"
    rng = random.Random(seed)
    pairs = votes // 2
    versions = [f"1.{i}.0" for i in range(k)]
    with Repository.open(db) as repo:
        with repo.transaction():
            repo.conn.executemany(
                "INSERT INTO items_all (id, external_id, content_hash, rank, input, output,"
                " prompt, prompt_version, imported_at) VALUES (?,?,?,?,?,?,?,?,'')",
                [
                    (i + 1, f"x{i}", f"h{i}", i, f"q{i // 2}", f"o{i}", "p", "1.0.0")
                    for i in range(2 * pairs)
                ],
            )
            repo.conn.execute(
                "UPDATE import_state SET visible_up_to = (SELECT max(id) FROM items_all)"
            )
        drawn = []
        for c in range(pairs):
            a, b = sorted(rng.sample(range(k), 2))
            drawn.append(
                NewPair(c, f"q{c}", versions[a], versions[b], 2 * c + 1, 2 * c + 2, c % 2 == 0)
            )
        task = repo.pairwise.create(Task(0, "p", tuple(versions), 0), Drawn(tuple(drawn), 0))
        with repo.transaction():
            repo.conn.executemany(
                "INSERT INTO pairwise_votes (task_id, pair_id, annotator, kind, choice, left,"
                " created_at) VALUES (?,?,?,'vote',?,?,'')",
                [
                    (task, pair, who, rng.choice(["a", "b", "tie", "both_bad"]), rng.choice("ab"))
                    for pair in range(1, pairs + 1)
                    for who in ("ana", "ben")
                ],
            )
    return db


def from_database(db: Path) -> tuple[float, float]:
    """Seconds to read the task's current votes, and to read them and report, in a fresh
    process (imports included, as `pairwise results` pays them)."""
    code = (
        "import time; t = time.perf_counter();"
        "from tui_annotate.store.repository import Repository;"
        "from tui_annotate.core.pairwise.report import report;"
        f"repo = Repository.open({str(db)!r}, readonly=True);"
        "task = repo.pairwise.task(1); votes = repo.pairwise.current_votes(1);"
        "read = time.perf_counter() - t;"
        "report(task, votes, bootstrap=1000, seed=1);"
        "print(read, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    read, whole = out.stdout.split()
    return float(read), float(whole)


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
    say(f"a database with {votes:,} votes")
    with tempfile.TemporaryDirectory(prefix="bench-pairwise-") as folder:
        read, end_to_end = from_database(stored(Path(folder), votes, VERSIONS))
    top = found.ranking[0]
    return [
        Figure(
            "`pairwise results` end to end in a fresh process: imports, read the votes from"
            " SQLite, report",
            end_to_end,
            "s",
            f"< {AIM_SECONDS:.0f} s",
            end_to_end < AIM_SECONDS,
        ),
        Figure("… of which opening and reading the current votes", read, "s"),
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
