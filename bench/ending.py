"""How long the app takes to end from outside: terminal closed without SIGHUP, SIGHUP, SIGTERM.

Each on the 40 sample items through a real pty, a comment half typed (so
every ending also saves a draft): the time from the event to the process's
exit. Then the same with the UI thread stuck (a rating waiting on a database
another connection holds locked), where the ending can't count on the UI
thread: the last resort's deadlines decide. `python -m bench.ending`.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from bench.common import OUT, ROOT, Figure, main_for, say, summary
from bench.ptydriver import PtyApp

SAMPLE = ROOT / "tui_annotate" / "data" / "sample_items.jsonl"
TIMEOUT = 60.0
COMMENT_HINT = "Ctrl+S or Esc save"


def fresh_db(path: Path) -> Path:
    from tui_annotate.core import ingest
    from tui_annotate.store.repository import Repository

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Repository.open(path) as repo:
        ingest.import_items(repo, SAMPLE)
    return path


def exit_after(app: PtyApp, event: Callable[[], None]) -> float:
    """Milliseconds from EVENT to the app's exit."""
    started = time.perf_counter()
    event()
    while app.proc.poll() is None:
        if time.perf_counter() - started > TIMEOUT:
            raise RuntimeError(app._why("the app did not end"))
        if app.master >= 0:
            app.pump(0.005)  # keep reading: a full pty must not stall the app's shutdown
        else:
            time.sleep(0.002)  # poll interval for the exit
    return (time.perf_counter() - started) * 1000


def one(db: Path, how: str, stuck: bool) -> float:
    app = PtyApp.annotate(db, "kim", controlling=how != "closed")
    try:
        app.wait_for_item(TIMEOUT)
        mark = len(app.output)
        app.send("c")
        app.wait_for(lambda a: COMMENT_HINT in a.text(mark), TIMEOUT)
        app.send("half a thought")
        app.wait_quiet(0.2, TIMEOUT)
        with closing(sqlite3.connect(db, isolation_level=None)) as holder:
            if stuck:
                holder.execute("BEGIN IMMEDIATE")
                app.send("\x13")  # Ctrl+S: the comment's save now waits on the lock
                wchan = Path(f"/proc/{app.pid}/wchan")
                deadline = time.monotonic() + TIMEOUT
                while wchan.read_text() not in ("hrtimer_nanosleep", "do_nanosleep"):
                    if time.monotonic() > deadline:
                        raise RuntimeError("the save never waited on the lock")
                    time.sleep(0.005)
            if how == "closed":
                ms = exit_after(app, app.hang_up)
            else:
                sig = signal.SIGHUP if how == "SIGHUP" else signal.SIGTERM
                ms = exit_after(app, lambda: os.kill(app.pid, sig))
            if stuck:
                holder.rollback()
        return ms
    finally:
        app.close()


def run(quick: bool) -> list[Figure]:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "ending.db"
    rounds = 2 if quick else 5
    figures = []
    for stuck in (False, True):
        for how in ("closed", "SIGHUP", "SIGTERM"):
            times = []
            for _ in range(rounds):
                times.append(one(fresh_db(db), how, stuck))
            s = summary(times)
            where = "UI thread stuck on a lock" if stuck else "idle"
            say(f"{how} ({where}): {s}")
            name = {
                "closed": "terminal closed, no SIGHUP",
                "SIGHUP": "SIGHUP",
                "SIGTERM": "SIGTERM",
            }[how]
            aim = "" if how == "SIGTERM" else "< 1000 ms"
            figures.append(
                Figure(
                    f"{name} → exit ({where}), p50 of {rounds}",
                    s["p50"],
                    "ms",
                    aim,
                    None if not aim else s["max"] < 1000,
                )
            )
    return figures


if __name__ == "__main__":
    main_for(run, __doc__)
