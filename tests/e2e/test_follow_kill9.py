"""`import --follow` killed with -9 at seeded random moments while a writer keeps writing,
rotating (rename, then copy-and-truncate) and leaving lines half-written: every complete
line is imported exactly once.

Items are deduplicated by content, so a line read twice would not show as a second item;
bad lines are the sentinels: the quarantine keeps every row, so a bad line read twice
would be quarantined twice.
"""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.e2e.conftest import TIMEOUT
from tests.e2e.test_kill_faults import SEED, child_env, said, start, wait_until

TRIALS = 12
BAD_EVERY = 23


class Writer(threading.Thread):
    """Writes numbered lines to LOG at a seeded random pace until stopped; rotates twice."""

    def __init__(self, log: Path, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.log = log
        self.rng = rng
        self.stop = threading.Event()
        self.written = 0
        self.bad: list[str] = []
        self.line_of: dict[str, int] = {}  # id -> its line number in its file
        self.lines_in_file = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._write()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def _write(self) -> None:
        while not self.stop.is_set() or self.written < 700:
            n = self.written
            if n == 250:  # rotation by rename: the old file keeps its name's lines
                self.log.rename(self.log.with_name("app.jsonl.1"))
                self.lines_in_file = 0
            if n == 500:  # logrotate's copytruncate, with the older file shifted first
                self.log.with_name("app.jsonl.1").rename(self.log.with_name("app.jsonl.2"))
                shutil.copyfile(self.log, self.log.with_name("app.jsonl.1"))
                os.truncate(self.log, 0)
                self.lines_in_file = 0
            self.lines_in_file += 1
            if n % BAD_EVERY == 7:
                text = f'{{"id": "bad{n}", "output": \n'
                self.bad.append(text.rstrip("\n"))
            else:
                record = {"id": f"w{n}", "input": f"q{n}", "output": f"answer number {n}"}
                text = json.dumps(record) + "\n"
                self.line_of[f"w{n}"] = self.lines_in_file
            data = text.encode()
            with self.log.open("ab") as f:
                if self.rng.random() < 0.2:  # half a line, a pause, the rest
                    cut = self.rng.randrange(1, len(data))
                    f.write(data[:cut])
                    f.flush()
                    time.sleep(self.rng.uniform(0.001, 0.02))
                    data = data[cut:]
                f.write(data)
            self.written += 1
            time.sleep(self.rng.expovariate(1 / 0.008))
            if self.written >= 3000:
                break


def stored(db: Path) -> tuple[dict[str, int], list[str]]:
    """(external id -> import line) of the items, and the raw text of quarantined lines."""
    if not db.exists():
        return {}, []
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        try:
            items = dict(conn.execute("SELECT external_id, import_line FROM items"))
            bad = [r[0] for r in conn.execute("SELECT raw FROM quarantine")]
        except sqlite3.OperationalError:  # not migrated yet
            return {}, []
    return items, bad


def _said_following(out: Path) -> bool:
    return "following" in out.with_suffix(".err").read_text()


@pytest.mark.parametrize("follow", ["file", "directory"])
def test_kill9_at_random_moments_imports_every_line_exactly_once(
    tmp_path: Path, follow: str
) -> None:
    rng = random.Random(SEED + (follow == "directory"))
    db = tmp_path / "live.db"
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "app.jsonl"
    log.touch()
    writer = Writer(log, random.Random(rng.random()))
    argv = ["--db", str(db), "import", "--follow", str(log if follow == "file" else logs)]
    env = child_env()
    writer.start()
    kills = []
    try:
        for trial in range(TRIALS):
            out = tmp_path / f"follow{trial}.log"
            proc = start(argv, out, env)
            # Each kill lands on a working follower, however slow its start on a loaded
            # machine: a run killed before it started would leave the writer's rotations
            # unseen, and a file created and rotated away entirely while no follower runs
            # is not the log's as far as any follower knows (README, Rotation).
            started = functools.partial(_said_following, out)
            wait_until(started, TIMEOUT, functools.partial(said, out))
            delay = rng.uniform(0.1, 1.2)
            time.sleep(delay)  # a moment chosen by the seed, not a wait for some state
            os.killpg(proc.pid, signal.SIGKILL)
            assert proc.wait(TIMEOUT) == -signal.SIGKILL, said(tmp_path / f"follow{trial}.log")
            kills.append(f"+{delay * 1000:.0f} ms ({writer.written} lines written)")
    finally:
        writer.stop.set()
        writer.join(TIMEOUT)
    assert writer.error is None, writer.error
    assert not writer.is_alive()
    context = f"seed {SEED}, following the {follow}; kills at {', '.join(kills)}"

    final = start(argv, tmp_path / "final.log", env)
    try:
        expected = set(writer.line_of)

        def caught_up() -> bool:
            items, bad = stored(db)
            return set(items) >= expected and len(bad) >= len(writer.bad)

        def why() -> str:
            items, bad = stored(db)
            missing = sorted(expected - set(items))[:10]
            return f"{context}: missing {missing}, {len(bad)} of {len(writer.bad)} bad lines"

        wait_until(caught_up, TIMEOUT * 2, why)
        final.send_signal(signal.SIGTERM)
        assert final.wait(TIMEOUT) == 143, said(tmp_path / "final.log")
    finally:
        if final.poll() is None:
            os.killpg(final.pid, signal.SIGKILL)
            final.wait()
    items, bad = stored(db)
    assert set(items) == expected, context
    assert {i: items[i] for i in expected} == writer.line_of, context
    # Each bad line quarantined once: none was read twice across the kills and rotations.
    assert sorted(bad) == sorted(writer.bad), context
    err = (tmp_path / "final.err").read_text()
    assert "stopped: every line imported so far is saved" in err
    # Piped, the status is plain lines (no carriage returns), the last one with the totals.
    assert "\r" not in err and "\nlive: " in err and " quarantined · " in err
