"""Ctrl-C and SIGTERM held back for the length of a block that must not be cut in two.

Starting a parsing process (spawn) writes its start-up data down a pipe; an
interrupt raised in the middle of that write leaves the new process reading a
half-written pipe, and it prints a traceback on the user's terminal as it
dies. `cli/stopping.py` routes SIGTERM through SIGINT's handler, so holding
SIGINT's handler holds both; the interrupt is raised as soon as the block
ends, so stopping is delayed by milliseconds, never lost.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Within: a SIGINT (and so a SIGTERM under stops_cleanly) waits for the block's end.

    Only the main thread may set handlers (and Python runs them there); elsewhere
    the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[tuple[int, FrameType | None]] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append((signum, frame))

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            if callable(previous):
                previous(*held[0])
            else:
                signal.raise_signal(signal.SIGINT)
