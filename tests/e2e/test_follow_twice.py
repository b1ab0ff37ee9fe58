"""Two `import --follow` of one log: the second is refused, naming the first; once the first
has stopped (cleanly, or killed with -9), the log may be followed again."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from tests.e2e.conftest import TIMEOUT
from tests.e2e.test_kill_faults import child_env, said, start, wait_until


def claims(db: Path) -> list[str]:
    """The follower claims recorded in the project (settings keys)."""
    if not db.exists():
        return []
    try:
        with closing(sqlite3.connect(db, timeout=30)) as conn:
            rows = conn.execute("SELECT key FROM settings WHERE key LIKE 'follower:%'")
            return [r[0] for r in rows]
    except sqlite3.OperationalError:  # not migrated yet
        return []


def follow_again(db: Path, path: Path) -> subprocess.CompletedProcess[str]:
    """A second follower, stopped by SIGTERM if it is let in (so the test never hangs)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_annotate", "--db", str(db), "import", "--follow", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_second_follower_of_the_same_log_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "app.jsonl"
    log.write_text(json.dumps({"id": "a", "output": "x"}) + "\n")
    first = start(["--db", str(db), "import", "--follow", str(log)], tmp_path / "first.log")
    try:
        wait_until(lambda: bool(claims(db)), TIMEOUT, lambda: said(tmp_path / "first.log"))
        for path in (log, logs):  # the same file, and the directory that holds it
            second = follow_again(db, path)
            assert second.returncode == 2, second.stderr
            assert f"already followed into this project by pid {first.pid}" in second.stderr
            assert str(path) in second.stderr
        first.send_signal(signal.SIGTERM)
        assert first.wait(TIMEOUT) == 143, said(tmp_path / "first.log")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert claims(db) == []  # a clean stop gives the claim up

    # Killed with -9, a follower leaves its claim behind; the next one is let in all the same.
    killed = start(["--db", str(db), "import", "--follow", str(log)], tmp_path / "killed.log")
    wait_until(lambda: bool(claims(db)), TIMEOUT, lambda: said(tmp_path / "killed.log"))
    killed.kill()
    killed.wait(TIMEOUT)
    assert claims(db) != []
    again = start(["--db", str(db), "import", "--follow", str(log)], tmp_path / "again.log")
    try:
        wait_until(
            lambda: "(Ctrl-C to stop)" in (tmp_path / "again.err").read_text(),
            TIMEOUT,
            lambda: said(tmp_path / "again.log"),
        )
        again.send_signal(signal.SIGTERM)
        assert again.wait(TIMEOUT) == 143, said(tmp_path / "again.log")
    finally:
        if again.poll() is None:
            again.kill()
            again.wait()
