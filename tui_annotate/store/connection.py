"""The one object every store is built around: a SQLite connection and how to write through it.

Like sqlite-utils' `Database`, which its `Table`s hold: the stores (items,
labels, queue, rounds, judge, …) are each given this object once, and take
their transactions, lease length and read-only flag from it. Nothing here
knows any table; the SQL lives in the stores.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tui_annotate.config import Settings
from tui_annotate.errors import StoreError
from tui_annotate.store.db import BUSY_TIMEOUT_MS


class Connection:
    """One connection to one project database, shared by the stores built on it."""

    def __init__(self, conn: sqlite3.Connection, path: Path | str = ":memory:") -> None:
        self.conn = conn
        self.path = str(path)
        #: How long a claim outlives its annotator's last heartbeat (Settings.lease_seconds).
        self.lease_seconds: float = Settings().lease_seconds
        #: Opened for reading only: claims are looked up, never written.
        self.readonly = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT: the write lock up front, so no deadlock on upgrade."""
        self.begin_immediate()
        try:
            yield
        except sqlite3.OperationalError as exc:
            self.rollback()
            raise self.error(exc) from None
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self.rollback()
            raise self.error(exc) from None

    def begin_immediate(self) -> None:
        """Take the write lock, polling about every millisecond while another writer has it.

        SQLite's own busy handler sleeps longer and longer between tries (up to
        100 ms each): against an import that commits a chunk every few tens of
        milliseconds and pauses a moment between chunks, it would keep waking
        up inside the next chunk. Polling this finely catches the pause.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            pause = 0.0005
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not _busy(exc) or time.monotonic() > deadline:
                        raise self.error(exc) from None
                time.sleep(pause)
                pause = min(pause * 1.5, 0.002)
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not already (a full disk, say)."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    @contextmanager
    def bulk_insert(self) -> Iterator[None]:
        """A large page cache while importing: random keys in three indexes otherwise thrash
        SQLite's default 2 MB cache. Memory is returned when the import ends."""
        previous = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        temp_store = self.conn.execute("PRAGMA temp_store").fetchone()[0]
        self.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
        # Each batch runs in a savepoint, whose undo pages would otherwise go to a temp file.
        self.conn.execute("PRAGMA temp_store = MEMORY")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {int(previous)}")
            self.conn.execute(f"PRAGMA temp_store = {int(temp_store)}")

    def error(self, exc: sqlite3.OperationalError) -> StoreError:
        """SQLite's complaint as a message for a person: which file, and what it means."""
        message = str(exc)
        if _busy(exc):
            return StoreError(
                f"{self.path}: the database stayed locked by another process ({message})"
            )
        if "readonly" in message or "read-only" in message:
            return StoreError(
                f"{self.path}: the database is read-only; nothing can be saved ({message})"
            )
        if "full" in message:
            return StoreError(
                f"{self.path}: the disk is full; the last change was not saved ({message})"
            )
        return StoreError(f"{self.path}: {message}")

    def interrupt(self) -> None:
        """Stop the query running on this connection now (safe from any thread)."""
        self.conn.interrupt()

    def optimize(self, *, wait_ms: int | None = None) -> bool:
        """Bring the planner's statistics up to date, cheaply; False if it could not run.

        Called after an import (the tables just grew) and as a long-lived
        connection closes, as SQLite advises. `analysis_limit` makes ANALYZE
        read a sample of each index: 30 ms at a million items and three
        million labels, so it simply runs everywhere (the `PRAGMA optimize`
        of SQLite before 3.46 skips a table no query of this connection
        used, i.e. every table right after an import). The queries that
        matter most don't depend on it (they name their indexes); the rest
        plan better with it. WAIT_MS bounds the wait for the write lock (an
        app quitting shouldn't sit behind someone's import); a database that
        takes no writes, or stays busy, is left as it was.
        """
        previous = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        try:
            if wait_ms is not None:
                self.conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
            self.conn.execute("PRAGMA analysis_limit = 1000")
            self.conn.execute("ANALYZE")
        except sqlite3.Error:
            return False
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(previous)}")
        return True

    def backup_to(self, dest: Path) -> int:
        """A consistent copy of the whole database in DEST, taken while others keep writing.

        SQLite's online backup reads one snapshot, the WAL's committed frames
        included: copying the main file alone would miss every label not yet
        checkpointed into it. Written beside DEST and renamed, so DEST is
        never half a database. Returns the copy's size in bytes.
        """
        part = dest.with_name(dest.name + ".part")
        part.unlink(missing_ok=True)
        target = sqlite3.connect(part, isolation_level=None)
        try:
            self.conn.backup(target)  # every page in one step: one read snapshot
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        except sqlite3.Error as exc:
            target.close()
            part.unlink(missing_ok=True)
            raise StoreError(f"{dest}: the backup failed: {exc}") from None
        target.close()
        part.replace(dest)
        return dest.stat().st_size

    def close(self) -> None:
        self.conn.close()


def _busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc)
    return "locked" in message or "busy" in message
