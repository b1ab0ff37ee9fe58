"""A terminal driver that notices when its terminal is gone, whoever started the app.

Textual's Linux driver reads stdin in a thread and, at end of file, goes
straight back to `select`, which says the descriptor is readable again: a
closed terminal turns into `read(0) = 0` at most of a core, forever. The
kernel only tells the terminal's controlling process (SIGHUP); an app
started through `su -c`, a wrapper script without `exec` or `setsid` never
hears of it. So the driver treats end of file or an error on its input, and
a failed write to its output, as the hang-up it is, and tells the app once
(`TerminalApp.terminal_gone`, safe from any thread).

The input loop is Textual 8.2's `LinuxDriver.run_input_thread` with those
two checks added (textual is pinned below 8.3 in pyproject for this reason).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import sys
import termios
from codecs import getincrementaldecoder
from collections.abc import Callable
from typing import IO, Any

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

#: What `stop_application_mode` writes, for a shutdown that can't wait for the app's own:
#: mouse, focus events, bracketed paste and the kitty keyboard off; line wrap and cursor
#: back; then out of the alternate screen.
RESTORE = (
    "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1004l\x1b[?2004l\x1b[?7h"
    "\x1b[<u\x1b[?1049l\x1b[?25h"
)


class _GuardedOutput:
    """The terminal as Textual's writer thread sees it: a failed write is a hang-up.

    Unguarded, the writer thread dies on the first EIO, its queue fills, and
    the UI thread then blocks forever on the next frame.
    """

    def __init__(self, file: IO[str], gone: Callable[[str], None]) -> None:
        self._file = file
        self._gone = gone
        self.broken = False

    def _failed(self, exc: BaseException) -> None:
        self.broken = True
        self._gone(f"output: {exc}")

    def write(self, text: str) -> int:
        if self.broken:
            return 0
        try:
            return self._file.write(text)
        except (OSError, ValueError) as exc:  # ValueError: the file was closed under us
            self._failed(exc)
            return 0

    def flush(self) -> None:
        if self.broken:
            return
        try:
            self._file.flush()
        except (OSError, ValueError) as exc:
            self._failed(exc)

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return self._file.isatty()


class TerminalDriver(LinuxDriver):
    """LinuxDriver that reports the end of its terminal instead of spinning on it."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._reported = False
        self._file = _GuardedOutput(self._file, self._terminal_gone)  # type: ignore[arg-type,assignment]

    def _terminal_gone(self, why: str) -> None:
        if self._reported:
            return
        self._reported = True
        report = getattr(self._app, "terminal_gone", None)
        if report is not None:
            report(why)

    def restore_now(self) -> None:
        """Put the terminal back from any thread, without the writer thread: a last resort."""
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
        with contextlib.suppress(OSError):
            os.write(fd, RESTORE.encode())
        if self.attrs_before is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fileno, termios.TCSANOW, self.attrs_before)

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events; end of file or EIO means the terminal is gone."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> bool:
            """Feed what is there to the parser; False once the input has ended."""
            for _key, mask in ready:
                if mask & selectors.EVENT_READ:
                    try:
                        data = os.read(fileno, 1024 * 4)
                    except OSError as exc:  # EIO: the terminal hung up under us
                        self._terminal_gone(f"input: {exc}")
                        return False
                    if not data:
                        self._terminal_gone("input: end of file")
                        return False
                    text = decode(data, final=final)
                    if not text:  # part of a UTF-8 sequence; an empty feed would end the parser
                        continue
                    for event in parser.feed(text):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)
            return True

        try:
            while not self.exit_event.is_set():
                if not process(selector.select(0.1)):
                    # Nothing more will come: wait for the app to stop us, using no CPU.
                    self.exit_event.wait()
                    return
            selector.unregister(self.fileno)
            process(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
