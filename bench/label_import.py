"""`import-labels` at scale: labels per second and peak memory for 600,000 rows.

Three annotators label each of 200,000 items (--quick: 20,000 items, 60,000
labels); the import runs as the CLI does, in its own process, and its peak
RSS is read from wait4. A second run of the same file must append nothing.

Reading and checking the file alone (core/label_file.iter_labels, here in
this process) is timed too. The import does that in a thread of its own,
with the staging and resolving of each batch (store/label_ready.py), while
the main thread writes the batch before (store/label_publish.py): two cores,
so its CPU time is more than its wall time, and the wall time is about the
writing's.

While the first import runs, a writer in this process saves an annotator's
draft every WRITE_EVERY seconds, each in its own transaction on the project's
write lock (what a key press does): its latencies, p50 / p99 / max, are how
long annotators wait for the import (store/label_stage.py publishes in short
transactions and one last one; the max is about that last one).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

from bench.common import OUT, Figure, cli, items_db, main_for, percentile, say
from bench.import_block import keys_during
from bench.team import TEAM
from tui_annotate.core.label_file import iter_labels
from tui_annotate.store.repository import Repository

ANNOTATORS = ("ext-ana", "ext-ben", "ext-cy")
#: Seconds between the probing writer's saves.
WRITE_EVERY = 0.01


class Writer(threading.Thread):
    """Saves a draft again and again on its own connection, timing each save, until stopped."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.stop = threading.Event()
        self.ms: list[float] = []
        self.failed: list[str] = []

    def run(self) -> None:
        with Repository.open(self.db) as repo:
            item = int(repo.conn.execute("SELECT min(id) FROM items").fetchone()[0])
            n = 0
            while not self.stop.is_set():
                n += 1
                started = time.perf_counter()
                try:
                    with repo.connection.transaction():
                        repo.conn.execute(
                            "INSERT INTO drafts (rubric, annotator, item_id, comment, updated_at)"
                            " VALUES ('faithfulness', 'probe', ?, ?, 'now')"
                            " ON CONFLICT DO UPDATE SET comment = excluded.comment",
                            (item, f"draft {n}"),
                        )
                except Exception as exc:  # a failed save is the figure
                    self.failed.append(str(exc))
                self.ms.append((time.perf_counter() - started) * 1000)
                self.stop.wait(WRITE_EVERY)


def labels_file(path: Path, items: int) -> Path:
    """Three labels per item of the generated items ('l' prefix), in JSONL."""
    if path.exists():
        return path
    rng = random.Random(7)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8") as f:
        for n in range(items):
            for who in ANNOTATORS:
                row = {"item_id": f"l{n:07d}", "annotator": who, "score": rng.randint(1, 5)}
                if rng.random() < 0.1:
                    row["comment"] = "checked against the order data"
                f.write(json.dumps(row) + "\n")
    tmp.replace(path)
    return path


def timed(args: list[str]) -> tuple[float, int, str, float]:
    """Run ARGS; (wall seconds, its peak RSS in MB, stdout, its CPU seconds), failing loudly
    on a non-zero exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        said, complaint = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{args[-3:]} failed ({proc.returncode}): {complaint.strip()[-2000:]}")
    return seconds, usage.ru_maxrss // 1024, said, usage.ru_utime + usage.ru_stime


def run(quick: bool) -> list[Figure]:
    items = 20_000 if quick else 200_000
    db = items_db("labels", items, (60, 120, 200), "l")
    source = labels_file(OUT / f"label-rows-{items}.jsonl", items)
    rows = items * len(ANNOTATORS)
    work = OUT / f"labels-{items}-work.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    # A copy: each run starts from the items alone.
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(work)) as dst:
        src.backup(dst)
    base = [*cli(), "--db", str(work), "import-labels", str(source), "--rubric", "faithfulness"]
    say(f"import-labels of {rows:,} rows, a writer saving a draft every {WRITE_EVERY} s")
    writer = Writer(work)
    writer.start()
    try:
        load = os.getloadavg()[0]
        seconds, peak, _, cpu = timed(base)
    finally:
        writer.stop.set()
        writer.join()
    say(f"again: {rows:,} rows that are all there already")
    again, _, said, _ = timed(base)
    say("reading and checking the file alone")
    started = time.perf_counter()
    checked = sum(1 for row in iter_labels(source) if not isinstance(row, Exception))
    reading = time.perf_counter() - started
    if checked != rows:
        raise RuntimeError(f"read {checked:,} good rows of {rows:,}")
    return [
        Figure(f"import-labels {rows:,} rows, wall time", round(seconds, 2), "s"),
        Figure(
            f"import-labels {rows:,} rows, throughput",
            round(rows / seconds),
            "labels/s",
            "≥ 100,000 labels/s",
            rows / seconds >= 100_000,
        ),
        Figure(
            f"… its CPU time (user + system, two threads), and labels per CPU second (load"
            f" average {load:.1f} on a shared machine)",
            f"{cpu:.1f} s, {rows / cpu:,.0f}",
            "labels/s",
        ),
        Figure(f"import-labels {rows:,} rows, peak RSS ", peak, "MB", "< 500 MB", peak < 500),
        Figure(
            f"an annotator's save during it, p50 / p99 ({len(writer.ms)} saves)",
            f"{percentile(writer.ms, 50):.0f} / {percentile(writer.ms, 99):.0f}",
            "ms",
            "p99 ≤ 250 ms",
            percentile(writer.ms, 99) <= 250,
        ),
        Figure(
            "… the slowest save (the longest the import held the write lock, and more) / failed",
            f"{max(writer.ms, default=float('nan')):.0f} / {len(writer.failed)}",
            "ms",
            "no save fails",
            not writer.failed,
        ),
        Figure(
            f"  reading and checking {rows:,} rows alone (the import does it beside the writes)",
            round(reading, 2),
            "s",
        ),
        Figure(
            f"import-labels again (all {rows:,} already there), wall time",
            round(again, 2),
            "s",
            "a no-op that says so",
            "nothing new" in said,
        ),
    ]


def run_block(quick: bool) -> list[Figure]:
    """`python -m bench label_block`: eight annotators' keys while the same import runs.

    bench/import_block.py's team, on the label benchmark's items, pressing a
    key THINK seconds after each item shows, while `import-labels` writes the
    600,000 labels (--quick: 60,000): key to next frame, p50 / p99 / max.
    """
    items = 20_000 if quick else 200_000
    db = items_db("labels", items, (60, 120, 200), "l")
    source = labels_file(OUT / f"label-rows-{items}.jsonl", items)
    rows = items * len(ANNOTATORS)
    work = OUT / f"labels-{items}-block.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(work)) as dst:
        src.backup(dst)
    load = os.getloadavg()[0]
    say(f"import-labels of {rows:,} rows while {TEAM} annotators label")
    try:
        ms, locked, unanswered, seconds = keys_during(
            work,
            ["import-labels", str(source), "--rubric", "faithfulness"],
            OUT / "label-block.log",
            # The file's three annotators hold every item once it shows: one place more.
            overlap=len(ANNOTATORS) + 1,
        )
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
    p99 = percentile(ms, 99)
    return [
        Figure(
            f"key → next item frame during import-labels of {rows:,} labels, {TEAM} annotators,"
            f" p50 / p99 ({len(ms)} keys)",
            f"{percentile(ms, 50):.0f} / {p99:.0f}",
            "ms",
            "p99 ≤ 250 ms",
            p99 <= 250,
        ),
        Figure("… slowest key during the import", max(ms, default=float("nan")), "ms"),
        Figure(
            "… apps that showed a 'locked' message / keys never acknowledged",
            f"{locked} / {unanswered}",
            "",
            "0 / 0",
            locked == 0 and unanswered == 0,
        ),
        Figure(
            f"import-labels of {rows:,} labels with {TEAM} annotators at work, wall time",
            round(seconds, 1),
            "s",
        ),
        Figure(f"… load average before the run ({os.cpu_count()} shared cores)", round(load, 1)),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
