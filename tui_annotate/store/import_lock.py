"""One import at a time per project: an OS lock on a file beside the database.

Imports write invisible rows above the visibility watermark (see
store/item_import.py); two at once would publish each other's half, and the
clean-up of a crashed import must know that nobody is still writing. flock
is released by the kernel when its holder dies, `kill -9` included, so a
crashed import never leaves the lock behind; the holder's pid is written
into the file so that a second import can say whom it waits for.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable
from pathlib import Path

from tui_annotate.errors import StoreError
from tui_annotate.store.db import share_with_group


def lock_path(db: Path | str) -> Path | None:
    """The lock file of the database at DB (None for an in-memory database)."""
    name = str(db)
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    return Path(f"{name}-import.lock")


class ImportLock:
    """Held for the whole of one import; `acquire` waits for another one to finish."""

    def __init__(self, db: Path | str) -> None:
        self.path = lock_path(db)
        self._fd: int | None = None

    def held_by(self) -> str:
        """The pid written by the holder, or '' if unknown."""
        if self.path is None:
            return ""
        try:
            return self.path.read_text("ascii", errors="replace").strip()
        except OSError:
            return ""

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False if another import holds it."""
        return self._lock(blocking=False)

    def acquire(self, waiting: Callable[[str], None] | None = None) -> None:
        """Take the lock, waiting for the import that holds it; WAITING(pid) is told first."""
        if self._lock(blocking=False):
            return
        if waiting is not None:
            waiting(self.held_by())
        self._lock(blocking=True)

    def _lock(self, *, blocking: bool) -> bool:
        if self.path is None:
            return True
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o664)
            except OSError as exc:
                raise StoreError(f"{self.path}: can't create the import lock: {exc}") from None
            share_with_group(self.path)  # the next lead's import must be able to take it
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing drops the flock
        self._fd = None
