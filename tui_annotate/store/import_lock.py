"""One import at a time per project: a row in the database names the import that runs.

Imports write invisible rows above the visibility watermark (see
store/item_import.py); two at once would publish each other's half, and the
clean-up of a crashed import must know that nobody is still writing. The
holder's host, pid and process start time are written into `import_state`
in a tiny transaction; a holder whose process is gone (`kill -9` included)
or whose pid now belongs to another process no longer holds it. A row in
the database rather than a lock file beside it: no extra file appears next
to the project, and the lock travels with the database's own permissions.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

from tui_annotate.store.connection import Connection

#: Told who holds the lock when an import has to wait for it (None: nobody is told).
Wait = Callable[[str], None] | None

#: How often a waiting import looks again.
POLL_SECONDS = 0.2


def process_started(pid: int) -> int:
    """When process PID started (clock ticks since boot), 0 if unknown or gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def process_alive(host: str, pid: int, since: int) -> bool:
    """Whether the import recorded as (HOST, PID, SINCE) may still be running."""
    if host != socket.gethostname():
        return True  # can't look into another machine: assume it still runs
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    started = process_started(pid)
    return not (since and started and started != since)  # a new process under an old pid


class ImportLock:
    """Held for the whole of one import; `acquire` waits for another one to finish."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.held = False
        self._me = (socket.gethostname(), os.getpid(), process_started(os.getpid()))

    def holder(self) -> tuple[str, int, int] | None:
        """(host, pid, start) of the import that holds the lock now, or None."""
        row = self.connection.conn.execute(
            "SELECT importer_host, importer_pid, importer_since FROM import_state"
        ).fetchone()
        if row is None or row[1] is None:
            return None
        host, pid, since = str(row[0]), int(row[1]), int(row[2] or 0)
        return (host, pid, since) if process_alive(host, pid, since) else None

    def held_by(self) -> str:
        """'pid N' or 'pid N on HOST' of the import that holds the lock, or ''."""
        found = self.holder()
        if found is None:
            return ""
        host, pid, _ = found
        return f"pid {pid}" if host == socket.gethostname() else f"pid {pid} on {host}"

    def try_acquire(self) -> bool:
        """Take the lock if it is free (or its holder is gone); False if an import holds it."""
        if self.held:
            return True
        with self.connection.transaction():
            if self.holder() is not None:
                return False
            self.connection.conn.execute(
                "UPDATE import_state SET importer_host = ?, importer_pid = ?, importer_since = ?",
                self._me,
            )
        self.held = True
        return True

    def acquire(self, waiting: Wait = None) -> None:
        """Take the lock, waiting for the import that holds it; WAITING(who) is told first."""
        if self.try_acquire():
            return
        if waiting is not None:
            waiting(self.held_by())
        while not self.try_acquire():
            time.sleep(POLL_SECONDS)

    def release(self) -> None:
        if not self.held:
            return
        with self.connection.transaction():
            self.connection.conn.execute(
                "UPDATE import_state SET importer_host = NULL, importer_pid = NULL,"
                " importer_since = NULL WHERE importer_host = ? AND importer_pid = ?",
                self._me[:2],
            )
        self.held = False
