"""Run an iterator in a thread, a few items ahead of the caller that takes them.

`import-labels` reads, checks and readies a batch of the file in one thread
(store/label_ready.py, on a connection of its own) while the main thread
writes the batch before it under the write lock: two cores instead of one.

The main thread runs little Python (a few statements per chunk; SQLite's
C lets go of the interpreter's lock), but each time it comes back from C
it must take that lock from the reading thread, which holds it until the
interpreter's switch interval is up. CPython's default of 5 ms would add a
few milliseconds to every statement, so the interval is short while a
reader runs.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

#: The interpreter's switch interval while a reader runs (CPython's default is 5 ms).
SWITCH_SECONDS = 0.0005
#: How long a stopped reader is waited for on the way out (it may be blocked on a pipe).
JOIN_SECONDS = 1.0

_END = object()


class ReadAhead(Generic[T]):
    """`with ReadAhead(items) as ahead: for item in ahead: …`: ITEMS made in a thread.

    Iterating yields the items in order, at most DEPTH of them made before
    they are asked for; an exception raised while making them is raised
    here, where the item it stopped would have come. Leaving the block stops
    the thread at its next item.
    """

    def __init__(self, items: Iterable[T], depth: int = 2) -> None:
        self._items = items
        self._slot: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._switch = sys.getswitchinterval()
        self._thread = threading.Thread(target=self._make, name="read-ahead", daemon=True)

    def __enter__(self) -> ReadAhead[T]:
        sys.setswitchinterval(SWITCH_SECONDS)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        try:
            # A reader blocked on a pipe can't be woken: it is a daemon, and it stops at
            # its next item.
            self._thread.join(JOIN_SECONDS)
        finally:
            sys.setswitchinterval(self._switch)

    def __iter__(self) -> Iterator[T]:
        while True:
            item, error = self._slot.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item  # type: ignore[misc]

    def _make(self) -> None:
        try:
            for item in self._items:
                if not self._put((item, None)):
                    return
            self._put((_END, None))
        except BaseException as exc:  # raised where the caller iterates
            self._put((None, exc))

    def _put(self, entry: tuple[object, BaseException | None]) -> bool:
        """Hand ENTRY over, unless the caller has stopped taking them (then False)."""
        while not self._stop.is_set():
            try:
                self._slot.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
