"""Annotators during a large import: key latency while 1,000,000 items go in (--quick: 100,000).

Eight apps (bench/team.py's annotators) label the team database at a
person's brisk pace (a key every THINK seconds after the last was shown)
while `tui-annotate import` of a million generated items runs against the
same file. Every key pressed between the import's start and its end counts:
p50 / p99 / max from key to the next item's complete frame, and whether any
app ever showed "locked". The import's own time is given beside its time
alone (bench/import_speed.py) to show what the pauses between its chunks cost.

`python -m bench import_block [--quick]`, or `python -m bench.import_block`.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from bench.common import OUT, Figure, cli, generate_jsonl, main_for, percentile, say
from bench.ptydriver import PtyApp, pump_any
from bench.team import (
    COLS,
    ROWS,
    TEAM,
    TIMEOUT,
    ensure_db,
    fresh_copy,
    remove,
    warmed_up,
)

#: Seconds an annotator waits after an item is shown before pressing the next key.
THINK = 0.25
#: The same generated items as bench/import_speed.py (the file is reused).
SIZES = (60, 140, 180)


def keys_during(
    db: Path, command: list[str], log: Path, overlap: int = 1
) -> tuple[list[float], int, int, float]:
    """Eight annotators label DB while COMMAND (a tui-annotate command's arguments) runs.

    Returns every key's milliseconds from press to the next item's frame, how
    many apps showed "locked", how many keys were never acknowledged, and the
    command's wall time.
    """
    names = [f"a{n}" for n in range(1, TEAM + 1)]
    apps = [
        PtyApp.annotate(
            db,
            name,
            "faithfulness",
            "--overlap",
            str(overlap),
            cols=COLS,
            rows=ROWS,
            answer_sync=True,
        )
        for name in names
    ]
    try:
        team = warmed_up(apps, names)
        with log.open("wb") as out:
            started = time.perf_counter()
            importer = subprocess.Popen(
                [*cli(), "--db", str(db), *command], stdout=out, stderr=subprocess.STDOUT
            )
            due = {a.name: started for a in team}
            while importer.poll() is None:
                now = time.perf_counter()
                for a in team:
                    if a.mark < 0 and now >= due[a.name]:
                        a.press()
                pump_any([a.app for a in team], 0.01)
                now = time.perf_counter()
                for a in team:
                    if a.acknowledged(now):
                        due[a.name] = now + THINK
            seconds = time.perf_counter() - started
        if importer.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {log.read_text()[-2000:]}")
        # Keys still in flight when the import ended are counted once acknowledged.
        deadline = time.perf_counter() + TIMEOUT
        while any(a.mark >= 0 for a in team) and time.perf_counter() < deadline:
            pump_any([a.app for a in team], 0.1)
            now = time.perf_counter()
            for a in team:
                a.acknowledged(now)
        locked = sum(b"locked" in a.app.output for a in team)
        unanswered = sum(a.mark >= 0 for a in team)
    finally:
        for app in apps:
            app.close()
    return [v for a in team for v in a.latencies_ms], locked, unanswered, seconds


def run(quick: bool = False) -> list[Figure]:
    count = 100_000 if quick else 1_000_000
    source = generate_jsonl(OUT / f"import-{count}.jsonl", count, SIZES, prefix="i")
    db = fresh_copy(ensure_db(quick), "import-block")
    load = os.getloadavg()[0]
    say(f"importing {count:,} items while {TEAM} annotators label")
    try:
        ms, locked, unanswered, seconds = keys_during(
            db, ["import", str(source)], OUT / "import-block.log"
        )
    finally:
        remove(db)
        Path(f"{db}-import.lock").unlink(missing_ok=True)
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    return [
        Figure(
            f"key → next item frame during a {count:,}-item import, {TEAM} annotators, "
            f"p50 / p99 ({len(ms)} keys)",
            f"{p50:.0f} / {p99:.0f}",
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
            f"import of {count:,} items with {TEAM} annotators at work, wall time",
            round(seconds, 1),
            "s",
        ),
        Figure(
            f"… the machine: {os.cpu_count()} cores, load average before the run", round(load, 1)
        ),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
