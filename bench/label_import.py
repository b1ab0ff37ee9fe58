"""`import-labels` at scale: labels per second and peak memory for 600,000 rows.

Three annotators label each of 200,000 items (--quick: 20,000 items, 60,000
labels); the import runs as the CLI does, in its own process, and its peak
RSS is read from wait4. A second run of the same file must append nothing.

Reading and checking the file alone (core/label_file.iter_labels, here in
this process) is timed too: the import's wall time less that is the store's
part (staging, resolving ids, the one publishing transaction), so a slow
figure says which side to look at.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path

from bench.common import OUT, Figure, cli, items_db, main_for, say
from tui_annotate.core.label_file import iter_labels

ANNOTATORS = ("ext-ana", "ext-ben", "ext-cy")


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


def timed(args: list[str]) -> tuple[float, int, str]:
    """Run ARGS; (wall seconds, its peak RSS in MB, stdout), failing loudly on a non-zero exit."""
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
    return seconds, usage.ru_maxrss // 1024, said


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
    say(f"import-labels of {rows:,} rows")
    seconds, peak, _ = timed(base)
    say(f"again: {rows:,} rows that are all there already")
    again, _, said = timed(base)
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
        Figure(f"import-labels {rows:,} rows, peak RSS ", peak, "MB", "< 500 MB", peak < 500),
        Figure(f"  of which reading and checking {rows:,} rows", round(reading, 2), "s"),
        Figure(
            "  the rest (start-up, the store's staging and publishing)",
            round(seconds - reading, 2),
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


if __name__ == "__main__":
    main_for(run, __doc__)
