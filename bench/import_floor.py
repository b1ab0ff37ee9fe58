"""The floor under `import-labels` at 1M items × 3M labels: the same writes by SQL alone.

bench.scale times `import-labels` of 600,000 labels (a new annotator, in item
order) into the 1,000,000-item database; issue 9 aims at 100,000 labels/s,
i.e. 6 s. This measures what SQLite itself needs for the rows that import
writes, with nothing of ours around it: the rows already sit in a temporary
table of the same connection (no file read, no checks, no second thread, no
pauses for annotators), and plain INSERT … SELECT statements write them in
transactions of 20,000, as store/label_publish.py writes its chunks: the
labels, their label_state rows and their claims, with the import's settings
(synchronous NORMAL, foreign keys off, the deriving triggers dropped, a
64 MiB cache).

Run twice, each on a fresh copy of the database as built: with the schema as
it is (nine B-tree entries a label, four of them in indexes keyed by item),
and without `label_state_by_item` and the claims, the largest cut that leaves
the rest of the store working the same way, to show what the indexes cost.
If the first floor is above the aim, no change to our code alone can reach it
on this machine.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

from bench.common import OUT, Figure, main_for, say
from bench.scale import IMPORT_AIM_PER_S, IMPORT_ROWS, SIZES
from bench.scale_data import RUBRIC, RUBRIC_VERSION, build

#: Rows a transaction, as the import's chunks hold about that many at this size.
STEP = 20_000
STAMP = "2026-01-01T00:00:00+00:00"


def _rows(items: int, rows: int) -> list[tuple[int, str, int]]:
    """(item id, annotator, score): the items bench.scale's label file names, in item order."""
    rng = random.Random(rows)
    chosen = sorted(rng.sample(range(items), rows))
    return [(n + 1, "dee", rng.randint(1, 5)) for n in chosen]


def _floor(db: Path, rows: list[tuple[int, str, int]], cut: bool) -> dict[str, float]:
    """Seconds per statement kind, and in all, writing ROWS into a copy of DB."""
    conn = sqlite3.connect(db, isolation_level=None)
    with closing(conn):
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("CREATE TEMP TABLE w (pos INTEGER PRIMARY KEY, item_id, annotator, score)")
        conn.executemany("INSERT INTO w (item_id, annotator, score) VALUES (?,?,?)", rows)
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'labels_derive_%'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        if cut:
            conn.execute("DROP INDEX label_state_by_item")
        low = 1 + int(conn.execute("SELECT max(id) FROM labels_all").fetchone()[0])
        spent = {"labels": 0.0, "label_state": 0.0, "claims": 0.0, "commits": 0.0}
        args = {"low": low, "rubric": RUBRIC, "version": RUBRIC_VERSION, "stamp": STAMP}
        statements = [
            (
                "labels",
                "INSERT INTO labels_all (id, item_id, rubric, rubric_version, annotator, kind,"
                " score, created_at) SELECT :low + pos - 1, item_id, :rubric, :version,"
                " annotator, 'rate', score, :stamp FROM w WHERE pos BETWEEN :a AND :b",
            ),
            (
                "label_state",
                "INSERT INTO label_state (rubric, annotator, item_id, state, score, event_id)"
                " SELECT :rubric, annotator, item_id, 'rated', score, :low + pos - 1 FROM w"
                " WHERE pos BETWEEN :a AND :b ORDER BY pos",
            ),
        ]
        if not cut:
            statements.append(
                (
                    "claims",
                    "INSERT INTO assignments (rubric, item_id, annotator, claimed_at)"
                    " SELECT :rubric, item_id, annotator, :stamp FROM w"
                    " WHERE pos BETWEEN :a AND :b",
                )
            )
        started = time.perf_counter()
        for a in range(1, len(rows) + 1, STEP):
            conn.execute("BEGIN IMMEDIATE")
            for kind, sql in statements:
                t = time.perf_counter()
                conn.execute(sql, {**args, "a": a, "b": a + STEP - 1})
                spent[kind] += time.perf_counter() - t
            t = time.perf_counter()
            conn.execute("COMMIT")
            spent["commits"] += time.perf_counter() - t
        spent["all"] = time.perf_counter() - started
    return spent


def _measure(items: int, judge_labels: int, human_labels: int, scratch: Path) -> list[Figure]:
    db = build(items, judge_labels, human_labels)
    at = f"{items // 1000:,}k items × {(judge_labels + human_labels) // 1000:,}k labels"
    rows = _rows(items, min(IMPORT_ROWS, items))
    figures = []
    for cut, what in ((False, "schema as it is"), (True, "without label_state_by_item, claims")):
        copy = scratch / db.name
        say(f"copying {db.name} ({what})")
        shutil.copyfile(db, copy)
        try:
            spent = _floor(copy, rows, cut)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        rate = len(rows) / spent["all"]
        figures.append(
            Figure(
                f"SQL alone: {len(rows):,} labels in item order, {what} ({at})",
                rate,
                "labels/s",
                f"import-labels ≥ {IMPORT_AIM_PER_S:,}",
                rate >= IMPORT_AIM_PER_S,
            )
        )
        split = ", ".join(f"{k} {v:.2f}" for k, v in spent.items() if k != "all" and v)
        figures.append(Figure(f"SQL alone, seconds: {split} ({what}, {at})", spent["all"], "s"))
    return figures


def run(quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for items, judge_labels, human_labels in SIZES[:1] if quick else SIZES[1:]:
            say(f"import floor: {items:,} items")
            figures.extend(_measure(items, judge_labels, human_labels, Path(tmp)))
    return figures


if __name__ == "__main__":
    main_for(run, __doc__)
