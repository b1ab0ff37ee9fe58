"""`drift` over 1,000,000 live items of one prompt: the time of one check (aim: under 2 s).

The database (built once with SQL, cached in bench/out/) holds one prompt's
live items spread over 60 days by their log `timestamp`, each with a human
label on `helpfulness` whose pass rate drops in the last week. Figures: one
check in process (the store's table and the statistics) and the whole
`tui-annotate drift` command (Python's start included).

`python -m bench drift [--quick]` (quick: 100,000 items), or `python -m bench.drift`.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import OUT, Figure, cli, main_for, migrated, remove_db, say
from tui_annotate.core import snapshot
from tui_annotate.core.case_hash import case_hash
from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir

RUBRIC = "helpfulness"
PROMPT = "live-bench"
NOW = datetime(2026, 6, 29, tzinfo=UTC)
#: 2: items carry their case hash, as import writes it (m011).
SHAPE_VERSION = 2


def build(items: int) -> Path:
    db = OUT / f"drift-{items}.db"
    done = db.with_name(db.name + f".v{SHAPE_VERSION}.built")
    if db.exists() and done.exists():
        return migrated(db)
    OUT.mkdir(parents=True, exist_ok=True)
    remove_db(db)
    say(f"building {db.name}: {items:,} live items with a human label each")
    from tui_annotate.store.repository import Repository

    rubric = find_rubric(RUBRIC, [shipped_rubrics_dir()])
    with Repository.open(db) as repo:
        snapshot.register(repo, rubric)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    rng = random.Random(items)
    no_case = case_hash("")  # no `case`, no input: every item's case is the empty text
    chunk = 100_000
    span = 60 * 86400
    week = NOW - timedelta(days=7)
    for start in range(0, items, chunk):
        rows, labels = [], []
        for n in range(start, min(items, start + chunk)):
            moment = NOW - timedelta(seconds=span * (1 - (n + 0.5) / items))
            stamp = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
            rows.append((n + 1, f"l{n:07d}", f"h{n}", rng.getrandbits(60), f"answer {n}", stamp))
            good = rng.random() < (0.75 if moment > week else 0.85)
            labels.append((n + 1, RUBRIC, rubric.version, "ana", 5 if good else 1, stamp))
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO items (id, external_id, content_hash, rank, output, prompt,"
            " prompt_version, source, imported_at, logged_at, case_hash)"
            f" VALUES (?,?,?,?,?,'{PROMPT}','1.0.0','live',?,?,?)",
            [(*r, r[-1], no_case) for r in rows],
        )
        conn.executemany(
            "INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score,"
            " created_at) VALUES (?,?,?,?,'rate',?,?)",
            labels,
        )
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    done.touch()
    return db


def run(quick: bool) -> list[Figure]:
    items = 100_000 if quick else 1_000_000
    db = build(items)
    from tui_annotate.core.live import drift as drifts
    from tui_annotate.store.repository import Repository

    rubric = find_rubric(RUBRIC, [shipped_rubrics_dir()])
    with Repository.open(db) as repo:
        started = time.perf_counter()
        report = drifts.check(
            repo, PROMPT, [rubric], now=NOW, window="7d", baseline="28d", save=False
        )
        in_process = time.perf_counter() - started
    r = report.rubrics[RUBRIC]
    say(f"recent n={r.recent.n:,} {r.recent.pass_rate}, baseline n={r.baseline.n:,}: {r.state}")
    started = time.perf_counter()
    argv = ["drift", "--prompt", PROMPT, "--rubric", RUBRIC, "--now", NOW.isoformat(), "--json"]
    subprocess.run([*cli(), "--db", str(db), *argv], capture_output=True, check=False)
    command = time.perf_counter() - started
    return [
        Figure(f"drift: one check over {items:,} live items, in process", in_process, "s"),
        Figure(
            f"drift: `tui-annotate drift` over {items:,} live items",
            command,
            "s",
            "< 2 s",
            command < 2.0,
        ),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
