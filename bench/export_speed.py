"""`export` at scale: 1,000,000 items with 3,000,000 labels (100,000 × 300,000 with --quick).

Builds bench/out/export-N.db once, straight through SQL (executemany; the
triggers derive label_state as in real use): every item has two of three
human annotators' labels and a judge's (`judge:m`), one in a thousand a
golden label. Then runs `tui-annotate export --include-judge -o FILE` as a
child process, as CSV and as JSONL, and prints its wall time and peak
resident set (the child's ru_maxrss from wait4, i.e. VmHWM).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import subprocess
import time
from pathlib import Path

from bench.common import OUT, Figure, cli, main_for, migrated, remove_db, say
from tui_annotate.core import snapshot
from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
from tui_annotate.store.repository import Repository

AIM_SECONDS = 10.0
AIM_MB = 500
HUMANS = ("ana", "bob", "cy")
RUBRIC = "faithfulness"
#: Bumped whenever the generator changes, so a stale cached database is rebuilt.
VERSION = 1


def size_for(quick: bool) -> int:
    return 100_000 if quick else 1_000_000


def ensure_db(count: int) -> Path:
    """bench/out/export-COUNT.db: COUNT items, 3 × COUNT labels; built once and reused."""
    db = OUT / f"export-{count}.db"
    done = db.with_name(f"{db.name}.v{VERSION}.done")
    if db.exists() and done.exists():
        return migrated(db)
    OUT.mkdir(parents=True, exist_ok=True)
    remove_db(db)
    say(f"building {count:,} items with {3 * count:,} labels in {db.name}")
    rubric = find_rubric(RUBRIC, [shipped_rubrics_dir()])
    with Repository.open(db) as repo:
        snapshot.register(repo, rubric)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    rng = random.Random(count)
    stamp = "2026-01-01T00:00:00.000Z"
    chunk = 50_000
    for start in range(0, count, chunk):
        ids = range(start + 1, min(start + chunk, count) + 1)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO items (id, external_id, content_hash, rank, input, output, context,"
            " prompt, prompt_version, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    n,
                    f"x{n:07d}",
                    hashlib.sha256(str(n).encode()).hexdigest(),
                    rng.getrandbits(62),
                    f"Order NW-{n}: where is my parcel, it was due last week?",
                    f"Your parcel NW-{n} left the depot today; tracking shows delivery"
                    " within two business days. Sorry for the wait.",
                    json.dumps({"order_id": f"NW-{n}", "status": "shipped"}),
                    "support-answer",
                    "1.0.0",
                    stamp,
                )
                for n in ids
            ],
        )
        labels = []
        for n in ids:
            for who in rng.sample(HUMANS, 2):
                tags = '["wrong-number"]' if rng.random() < 0.1 else "[]"
                comment = "checked against the tool data" if rng.random() < 0.05 else ""
                labels.append((n, who, rng.randint(1, 5), tags, comment))
            labels.append((n, "judge:m", rng.randint(1, 5), "[]", "The answer matches the data."))
        conn.executemany(
            "INSERT INTO labels_all (item_id, rubric, rubric_version, annotator, kind, score, tags,"
            f" comment, created_at) VALUES (?, '{RUBRIC}', '{rubric.version}', ?, 'rate', ?, ?,"
            f" ?, '{stamp}')",
            labels,
        )
        conn.executemany(
            "INSERT INTO golden (item_id, rubric, rubric_version, score, note, adjudicator,"
            f" created_at) VALUES (?, '{RUBRIC}', '{rubric.version}', ?, 'settled', 'lead',"
            f" '{stamp}')",
            [(n, rng.randint(1, 5)) for n in ids if n % 1000 == 0],
        )
        conn.execute("COMMIT")
        say(f"  {ids[-1]:,} items")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    done.touch()
    return db


def timed_export(db: Path, out: Path, *flags: str) -> tuple[float, float, float]:
    """Run export in a child process: (wall seconds, peak RSS in MB, CPU seconds).

    The CPU time counts the export's own worker process too (wait4 reports a
    child with its reaped children): on a machine shared with other work it
    is the steadier figure; on an idle 2-core machine the wall time is about
    half of it.
    """
    out.unlink(missing_ok=True)
    command = [*cli(), "--db", str(db), "export", "--rubric", RUBRIC, "-o", str(out), *flags]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise RuntimeError(f"export failed ({child.returncode}): {stderr[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def run(quick: bool = False) -> list[Figure]:
    count = size_for(quick)
    db = ensure_db(count)
    figures = []
    at = f"{count:,} items × {3 * count:,} labels"
    for fmt in ("csv", "jsonl"):
        out = OUT / f"export-{count}.{fmt}"
        say(f"export --include-judge as {fmt} ({at})")
        seconds, peak, cpu = timed_export(db, out, "--include-judge")
        out.unlink(missing_ok=True)
        figures.append(Figure(f"export {fmt} CPU time, both processes ({at})", cpu, "s"))
        # The aims are issue 9's, for the full size; --quick only shows the trend.
        name = f"export --include-judge {fmt} ({at})"
        if quick:
            figures.append(Figure(name, seconds, "s"))
        else:
            aim = f"< {AIM_SECONDS:.0f} s"
            figures.append(Figure(name, seconds, "s", aim, seconds < AIM_SECONDS))
        name = f"export {fmt} peak RSS (VmHWM) ({at})"
        figures.append(Figure(name, peak, "MB", f"< {AIM_MB} MB", peak < AIM_MB))
    return figures


if __name__ == "__main__":
    main_for(run, __doc__)
