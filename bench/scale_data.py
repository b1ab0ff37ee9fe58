"""The big databases of bench.scale, built straight with SQL (executemany), cached in bench/out/.

Going through `import` and `import-labels` would measure those (bench.scale
measures them separately); here only the shape matters: N items, every one
labelled by the judge `judge:m`, one in twenty routed to people, and human
labels from three annotators spread at random (each labels a random share of
the items), each human label holding its item as the app's labels do. label_state is derived by the
schema's triggers, as in real use.
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

from bench.common import OUT, remove_db, say
from tui_annotate.core import snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir

RUBRIC = "helpfulness"
RUBRIC_VERSION = "1.0.0"
HUMANS = ("ana", "ben", "cho")
JUDGE = "judge:m"
#: One item in this many is routed to people (else the judge leaves them nothing to do).
ROUTE_EVERY = 20
#: Bumped whenever the shape changes, so a stale cached database is rebuilt.
SHAPE_VERSION = 2


def rubric() -> Rubric:
    return find_rubric(RUBRIC, [shipped_rubrics_dir()])


def build(items: int, judge_labels: int, human_labels: int) -> Path:
    """bench/out/scale-ITEMS-LABELS.db (built once, then reused)."""
    db = OUT / f"scale-{items}-{judge_labels + human_labels}.db"
    done = db.with_name(db.name + f".v{SHAPE_VERSION}.built")
    if db.exists() and done.exists():
        from tui_annotate.store.repository import Repository

        Repository.open(db).close()  # migrated to this schema, as a read-write open would
        return db
    OUT.mkdir(parents=True, exist_ok=True)
    remove_db(db)
    say(f"building {db.name}: {items:,} items, {judge_labels:,} judge + {human_labels:,} human")
    from tui_annotate.store.repository import Repository

    with Repository.open(db) as repo:  # the schema, migrated as the app would
        snapshot.register(repo, rubric())
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    rng = random.Random(items * 7 + judge_labels)
    stamp = "2026-01-01T00:00:00+00:00"
    conn.execute("BEGIN")
    chunk = 100_000
    for start in range(0, items, chunk):
        conn.executemany(
            "INSERT INTO items (id, external_id, content_hash, rank, input, output, imported_at)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                (
                    n + 1,
                    f"s{n:07d}",
                    f"h{n}",
                    rng.getrandbits(60),
                    f"question {n}",
                    f"answer {n}: the parcel ships within two business days.",
                    stamp,
                )
                for n in range(start, min(items, start + chunk))
            ],
        )
    conn.execute("COMMIT")
    meta = json.dumps({"prompt_hash": "bench", "confidence": 0.9})
    ids = list(range(1, items + 1))
    conn.execute("BEGIN")
    judged = rng.sample(ids, judge_labels) if judge_labels < items else ids
    for start in range(0, len(judged), chunk):
        conn.executemany(
            "INSERT INTO labels_all (item_id, rubric, rubric_version, annotator, kind, score, meta,"
            " created_at) VALUES (?,?,?,?,'rate',?,?,?)",
            [
                (i, RUBRIC, RUBRIC_VERSION, JUDGE, rng.randint(1, 5), meta, stamp)
                for i in judged[start : start + chunk]
            ],
        )
    conn.execute("COMMIT")
    per_human = human_labels // len(HUMANS)
    for name in HUMANS:
        mine = sorted(rng.sample(ids, per_human))
        conn.execute("BEGIN")
        for start in range(0, len(mine), chunk):
            part = mine[start : start + chunk]
            conn.executemany(
                "INSERT INTO labels_all (item_id, rubric, rubric_version, annotator, kind, score,"
                " created_at) VALUES (?,?,?,?,'rate',?,?)",
                [(i, RUBRIC, RUBRIC_VERSION, name, rng.randint(1, 5), stamp) for i in part],
            )
            conn.executemany(
                "INSERT INTO assignments (rubric, item_id, annotator, claimed_at, lease_until)"
                " VALUES (?,?,?,?,NULL)",
                [(RUBRIC, i, name, stamp) for i in part],
            )
        conn.execute("COMMIT")
        say(f"  {name}: {len(mine):,} labels")
    # The judge's hard cases, handed to people: one item in twenty, as `route` would.
    last = conn.execute("SELECT max(id) FROM labels").fetchone()[0]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO routes (rubric, item_id, reason, model, after_label, created_at)"
        " VALUES (?,?,'low_confidence','m',?,?)",
        [(RUBRIC, i, last, stamp) for i in range(1, items + 1, ROUTE_EVERY)],
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    done.touch()
    return db
