"""The judge's results, written in batches: one transaction per FLUSH_SIZE results or
FLUSH_SECONDS, not one per result.

A commit is an fsync and a moment of the write lock; one per result made a
large run pay for thousands of them and kept a live import waiting behind
each. Results wait here until FLUSH_SIZE are pending or the oldest has
waited FLUSH_SECONDS, and the run flushes at its end, on cancel (Ctrl-C,
SIGTERM) and so before `judge --follow` sleeps between rounds. A batch is one
transaction, so a crash (kill -9) keeps each batch whole or not at all: it
costs at most the unflushed batch, whose items the next run asks again.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

#: Results that wait before a write.
FLUSH_SIZE = 64
#: Seconds the oldest waiting result waits at most (a slow model still shows progress).
FLUSH_SECONDS = 0.5


class Writes:
    """Pending judge writes for one run; flush() commits them, in arrival order."""

    def __init__(
        self, repo: Repository, *, size: int = FLUSH_SIZE, seconds: float = FLUSH_SECONDS
    ) -> None:
        self.repo = repo
        self.size = max(1, size)
        self.seconds = seconds
        self.pending: list[tuple[str, dict[str, Any]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.error: Exception | None = None

    def ok(self, **fields: Any) -> None:
        """A result: the keywords of JudgeStore.record."""
        self._add("ok", fields)

    def failed(self, **fields: Any) -> None:
        """A failed attempt: the keywords of JudgeStore.failed."""
        self._add("failed", fields)

    def _add(self, kind: str, fields: dict[str, Any]) -> None:
        self._raise_late()
        self.pending.append((kind, fields))
        if len(self.pending) >= self.size:
            self.flush()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.seconds, self._due)

    def _due(self) -> None:
        self.timer = None
        try:
            self.flush()
        except Exception as exc:  # a timer's error has no caller: the next add raises it
            self.error = exc

    def _raise_late(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def flush(self) -> None:
        """Commit everything pending in one transaction (a failed write keeps none of it)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        self.repo.judge.write_many(batch)

    def close(self) -> None:
        """The run's last flush; also raises a timer's write error nobody has seen yet."""
        self.flush()
        self._raise_late()
