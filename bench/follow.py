"""`import --follow` behind a log written at 2,000 lines/s for 60 s: lag p50/p99 and CPU.

A writer appends 20 lines every 10 ms, each stamped with the moment it was
written (in its metadata); the follower runs as its own process. A line's
lag is the item's `imported_at` (stamped as the follower parses the line,
a moment before its transaction commits) minus its writing time. CPU is the
follower's user + system time over the run, as a share of one core. The
aim: p99 < 2 s.

`python -m bench follow [--quick]` (quick: 10 s), or `python -m bench.follow`.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path

from bench.common import Figure, cli, main_for, percentile, say

RATE = 2_000
BATCH = 20
TIMEOUT = 120.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process PID so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def imported(db: Path) -> int:
    try:
        with closing(sqlite3.connect(db, timeout=30)) as conn:
            return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def run(quick: bool) -> list[Figure]:
    seconds = 10 if quick else 60
    with tempfile.TemporaryDirectory(prefix="bench-follow-") as tmp:
        folder = Path(tmp)
        db, log = folder / "live.db", folder / "app.jsonl"
        log.touch()
        subprocess.run([*cli(), "--db", str(db), "status"], capture_output=True, check=False)
        proc = subprocess.Popen(
            [*cli(), "--db", str(db), "import", "--follow", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        say(f"writing {RATE:,} lines/s for {seconds} s")
        cpu_before = cpu_seconds(proc.pid)
        started = time.monotonic()
        n = 0
        with log.open("a", encoding="utf-8") as f:
            while (elapsed := time.monotonic() - started) < seconds:
                target = int(elapsed * RATE) + BATCH
                stamp = time.time()
                lines = []
                while n < target:
                    record = {"id": f"b{n}", "output": f"answer {n}", "metadata": {"t": stamp}}
                    lines.append(json.dumps(record) + "\n")
                    n += 1
                f.write("".join(lines))
                f.flush()
                time.sleep(BATCH / RATE)
        deadline = time.monotonic() + TIMEOUT
        while imported(db) < n and time.monotonic() < deadline:
            time.sleep(0.1)
        wall = time.monotonic() - started
        cpu = cpu_seconds(proc.pid) - cpu_before
        proc.send_signal(signal.SIGTERM)
        proc.wait(TIMEOUT)
        with closing(sqlite3.connect(db)) as conn:
            rows = conn.execute("SELECT imported_at, metadata FROM items").fetchall()
    lags = [
        datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() - json.loads(meta)["t"]
        for at, meta in rows
    ]
    p50, p99 = percentile(lags, 50), percentile(lags, 99)
    say(f"{len(rows):,} of {n:,} lines imported; lag p50 {p50:.3f} s, p99 {p99:.3f} s")
    return [
        Figure(f"follow: lines imported of {n:,} written", len(rows)),
        Figure("follow: lag behind the writer, p50", p50, "s"),
        Figure("follow: lag behind the writer, p99", p99, "s", "< 2 s", p99 < 2.0),
        Figure("follow: CPU of the follower (share of one core)", 100 * cpu / wall, "%"),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
