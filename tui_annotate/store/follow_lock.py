"""One follower per log: a second `import --follow` of the same path is refused.

Two followers of one file would each read it from their own offset and
write the other's lines again: items are deduplicated by content, but bad
lines would be quarantined twice, and the stored offset would jump back and
forth between the two. So a follower claims its path (resolved, absolute) in
the project's `settings` table (key `follower:PATH`, no schema change) with
its host, pid and process start time, as the import lock does
(store/import_lock.py): a claim whose process is gone (`kill -9` included),
or whose pid now names another process, no longer counts. A directory and a
file directly in it overlap (the directory's follower reads that file too);
other paths, a directory inside a followed one included, do not.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from tui_annotate.store.connection import Connection
from tui_annotate.store.import_lock import process_alive, process_started

#: The `settings` key prefix of a follower's claim.
PREFIX = "follower:"


def _overlap(a: Path, b: Path) -> bool:
    """Whether followers of A and B would read the same file: the same path, or a
    directory and a file directly in it (a directory's follower reads only its own
    `*.jsonl`, so a directory inside another is not an overlap)."""
    if a == b:
        return True
    if a.parent == b:
        return not a.is_dir()
    if b.parent == a:
        return not b.is_dir()
    return False


class FollowLock:
    """Claims a followed path for this process; `claim` says who holds it if not free."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn
        self._me = (socket.gethostname(), os.getpid(), process_started(os.getpid()))
        self.path: Path | None = None

    def _claims(self) -> list[tuple[Path, str, int, int]]:
        """(path, host, pid, start) of every recorded claim, live or not."""
        found = []
        for key, value in self.conn.execute(
            "SELECT key, value FROM settings WHERE key >= ? AND key < ?", (PREFIX, "follower;")
        ):
            host, _, rest = str(value).partition("\t")
            pid, _, since = rest.partition("\t")
            try:
                found.append((Path(str(key)[len(PREFIX) :]), host, int(pid), int(since or 0)))
            except ValueError:
                continue  # not a claim we wrote: ignore it
        return found

    def claim(self, path: Path) -> str:
        """Claim PATH; '' when done, else who follows it ('pid N', or 'pid N following
        DIR' when it follows an overlapping path)."""
        path = path.resolve()
        host, pid, since = self._me
        with self.connection.transaction():
            for other, o_host, o_pid, o_since in self._claims():
                if not process_alive(o_host, o_pid, o_since):  # a follower that died: tidy it away
                    self.conn.execute("DELETE FROM settings WHERE key = ?", (PREFIX + str(other),))
                    continue
                if (o_host, o_pid) == (host, pid) or not _overlap(path, other):
                    continue  # ours (a restart in this process), or another log
                who = f"pid {o_pid}" if o_host == host else f"pid {o_pid} on {o_host}"
                return who if other == path else f"{who} following {other}"
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (PREFIX + str(path), f"{host}\t{pid}\t{since}"),
            )
        self.path = path
        return ""

    def release(self) -> None:
        """Give the claim up (a stopped follower); a crashed one's is ignored by the next."""
        if self.path is None:
            return
        host, pid, since = self._me
        with self.connection.transaction():
            self.conn.execute(
                "DELETE FROM settings WHERE key = ? AND value = ?",
                (PREFIX + str(self.path), f"{host}\t{pid}\t{since}"),
            )
        self.path = None
