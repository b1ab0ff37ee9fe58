"""SIGTERM stops a long command the way Ctrl-C does: cleanly, with a message and 143.

`kill`, systemd and container runtimes send SIGTERM, whose default is to end
the process on the spot: no rollback message, no clean-up of helper
processes, and to the shell a death rather than an answer. Under
`stops_cleanly`, SIGTERM raises KeyboardInterrupt in the main thread (through
SIGINT's handler, as Ctrl-C does, so asyncio.run cancels its tasks first), so
the command unwinds through the same code as Ctrl-C (the judge keeps every
result already committed; an import rolls back), and the process exits 130
after Ctrl-C or 143 after SIGTERM, as a shell reports them, with no traceback.
"""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

INTERRUPTED = 128 + signal.SIGINT
TERMINATED = 128 + signal.SIGTERM


@contextmanager
def sigterm_as_interrupt() -> Iterator[Callable[[], bool]]:
    """Within: SIGTERM raises KeyboardInterrupt (once; later ones are ignored while the
    command cleans up). Yields a function that says whether SIGTERM arrived."""
    terminated = False

    def on_term(signum: int, frame: Any) -> None:
        nonlocal terminated
        if terminated:
            return
        terminated = True
        if callable(signal.getsignal(signal.SIGINT)):
            # Through SIGINT's own handler: inside asyncio.run that is the runner's, which
            # cancels the main task before raising, so no task dies with the interrupt.
            signal.raise_signal(signal.SIGINT)
            return
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield lambda: terminated
    finally:
        signal.signal(signal.SIGTERM, previous)


def stops_cleanly(message: str) -> Callable[[F], F]:
    """Ctrl-C or SIGTERM end the command with MESSAGE on stderr and exit 130 or 143.

    A command that catches KeyboardInterrupt itself and exits 130 (the judge,
    with its own message) keeps its message; after SIGTERM the status is 143.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with sigterm_as_interrupt() as terminated:
                try:
                    return fn(*args, **kwargs)
                except KeyboardInterrupt:
                    click.echo(f"\n{message}", err=True)
                    sys.exit(TERMINATED if terminated() else INTERRUPTED)
                except SystemExit as exc:
                    if exc.code == INTERRUPTED and terminated():
                        sys.exit(TERMINATED)
                    raise

        return wrapper  # type: ignore[return-value]

    return decorate
