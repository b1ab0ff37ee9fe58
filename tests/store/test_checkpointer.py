"""A bulk writer's WAL is checkpointed beside its writes (store/checkpointer.py): the pages
reach the database file without the writer's commits doing it, and its setting comes back."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from tui_annotate.store.checkpointer import Checkpointer

DEADLINE = 30.0


def wal_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    return conn


def write(conn: sqlite3.Connection, start: int, rows: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO t VALUES (?, ?)", ((n, "x" * 200) for n in range(start, start + rows))
    )
    conn.execute("COMMIT")


def test_commits_leave_the_wal_alone_and_the_thread_checkpoints_it(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    with closing(wal_db(db)) as conn:
        conn.execute("PRAGMA wal_autocheckpoint = 1000")
        before = db.stat().st_size
        with Checkpointer(conn, str(db)) as checkpoints:
            assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            write(conn, 0, 30_000)  # ~7 MB: past 1,000 pages, yet the commit did not copy it
            assert db.stat().st_size == before
            checkpoints.poke()
            deadline = time.monotonic() + DEADLINE
            while checkpoints.runs == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert checkpoints.runs >= 1
            assert db.stat().st_size > before + 5_000_000  # the pages are in the database file
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    with closing(sqlite3.connect(db)) as other:
        assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 30_000


def test_without_a_wal_there_is_nothing_to_do(tmp_path: Path) -> None:
    with closing(sqlite3.connect(":memory:", isolation_level=None)) as conn:
        with Checkpointer(conn, ":memory:") as checkpoints:
            conn.execute("CREATE TABLE t (n)")
            checkpoints.poke()
        assert checkpoints.runs == 0
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
