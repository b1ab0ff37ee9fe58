"""A bulk writer's WAL checkpoints, run beside its writes instead of after each commit.

SQLite checkpoints the WAL (copies its pages into the database file and
syncs both) in the commit that grows it past `wal_autocheckpoint` pages. An
import of labels writes hundreds of megabytes in chunks of a few (index
pages included): nearly every chunk's commit checkpointed, and those
checkpoints, mostly waiting on fsync, took a third of the time its chunks
did. Here the writer's own autocheckpoint is off and a thread, on a
connection of its own, checkpoints after each commit while the writer goes
on with the next chunk: a checkpoint takes no write lock, so it never holds
up the writer or the annotators, and SQLite and the disk work without the
GIL. Annotators' commits still checkpoint as usual, and find the
checkpoint lock taken while this one runs (theirs is then skipped, not
waited for).

Only when it happens changes, not what is written or how safely (the
database keeps its `synchronous` setting); a process killed meanwhile
leaves a WAL that the next connection recovers, as after any crash.
"""

from __future__ import annotations

import sqlite3
import threading
from types import TracebackType


class Checkpointer:
    """`with Checkpointer(conn, path) as c: …write…; c.poke()` after each commit."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        #: Checkpoints run (tests and the bench read it).
        self.runs = 0
        self._wanted = threading.Event()
        self._done = False
        self._thread: threading.Thread | None = None
        self._autocheckpoint = 1000

    def __enter__(self) -> Checkpointer:
        self._autocheckpoint = int(self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        mode = str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        if mode != "wal" or self.path in ("", ":memory:"):
            return self  # nothing to checkpoint: poke() does nothing
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()
        return self

    def poke(self) -> None:
        """A commit just grew the WAL: checkpoint it when the last checkpoint is done."""
        self._wanted.set()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is not None:
            self._done = True
            self._wanted.set()
            self._thread.join()
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {int(self._autocheckpoint)}")

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return  # the writer's next commits simply leave it to the others, or to the end
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._done:
                    return
                try:
                    # PASSIVE: copies what no reader still needs, waits for nobody.
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    continue  # busy or a full disk: the next poke, or the next commit, retries
                self.runs += 1
        finally:
            conn.close()
