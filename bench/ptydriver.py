"""Drive the real `tui-annotate` CLI through a real pty: send keys, wait for what the screen shows.

Shared by the end-to-end tests (tests/e2e) and the benchmarks (bench/), so
both measure the same thing the same way. Standard library only.

Waiting is always on a condition with a deadline (select on the master fd),
never a fixed sleep. The bytes the app writes are kept whole in `output`, so
a test can check what reached the terminal, not just what a widget holds.

Textual (8.x) writes two queries at start, DECRQM for synchronized output
(?2026$p) and for in-band resize (?2048$p), and pushes kitty keyboard flags
(>25u); it needs no answers (the tests give none) and falls back to plain
keys, which is what `send` writes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path

#: How the header shows the current item: "… │ nw-005" (after the time on item).
ITEM_ID = re.compile(rb"on item \xe2\x94\x82 ([A-Za-z0-9][A-Za-z0-9._:-]*)")
#: Textual brackets each frame with these once the terminal says it supports them.
SYNC_START = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"
#: Textual asks whether the terminal supports synchronized output (DECRQM 2026).
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"  # "supported, currently reset"

Predicate = Callable[["PtyApp"], bool]


class PtyTimeout(AssertionError):
    """A wait ran out; the message carries the tail of what the app wrote."""


class PtyApp:
    """One child process on a fresh pty of a fixed size.

    `answer_sync=True` answers Textual's synchronized-output query the way
    kitty, WezTerm or a recent xterm does, so every frame arrives between
    SYNC_START and SYNC_END: the benchmarks use that to know a frame is done.
    Without it (the default) the app gets no answers at all, as on a terminal
    that ignores the queries.

    `controlling=False` leaves the pty without a controlling process, as
    when the app runs under `su -c`, `setsid` or a wrapper without `exec`:
    closing the terminal then sends it no SIGHUP.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = 120,
        rows: int = 40,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        answer_sync: bool = False,
        controlling: bool = True,
    ) -> None:
        self.argv = list(argv)
        self.cols, self.rows = cols, rows
        self.answer_sync = answer_sync
        self.output = bytearray()
        self.sync_answered = False
        self.started_at = 0.0
        self.exit_status: int | None = None
        master, slave = pty.openpty()
        # The size is on the pty before the child exists: Textual reads it at start.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        child_env = dict(os.environ if env is None else env)
        child_env.update(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        for key in ("TEXTUAL", "TEXTUAL_DEVTOOLS", "NO_COLOR", "TERM_PROGRAM"):
            child_env.pop(key, None)
        self.started_at = time.perf_counter()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=child_env,
                cwd=None if cwd is None else str(cwd),
                start_new_session=True,
                # Like a terminal emulator: the pty becomes the child's controlling terminal.
                preexec_fn=_take_controlling_tty if controlling else None,
                close_fds=True,
            )
        except BaseException:
            os.close(master)
            os.close(slave)
            raise
        os.close(slave)  # the child holds its own copy; EOF/EIO on master then means it is gone
        self.master = master
        os.set_blocking(master, False)

    @classmethod
    def annotate(
        cls,
        db: str | Path,
        annotator: str,
        rubric: str = "faithfulness",
        *extra: str,
        python: str | None = None,
        **kwargs: object,
    ) -> PtyApp:
        """`python -m tui_annotate --db DB annotate --annotator A --rubric R [extra…]`."""
        argv = [
            python or sys.executable,
            "-m",
            "tui_annotate",
            "--db",
            str(db),
            "annotate",
            "--annotator",
            annotator,
            "--rubric",
            rubric,
            *extra,
        ]
        return cls(argv, **kwargs)  # type: ignore[arg-type]

    @property
    def pid(self) -> int:
        return self.proc.pid

    # -- reading ---------------------------------------------------------------

    def _read_available(self, timeout: float) -> int:
        """Wait up to TIMEOUT for output, then read everything there is; bytes read (-1 at EOF)."""
        if self.master < 0:
            return -1
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return 0
        got = 0
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except BlockingIOError:
                return got
            except OSError as exc:
                if exc.errno == errno.EIO:  # Linux: every slave fd closed, the child is gone
                    return got or -1
                raise
            if not chunk:
                return got or -1
            before = len(self.output)
            self.output += chunk
            got += len(chunk)
            # Look at the new bytes (and enough before them for a query split across reads).
            if (
                self.answer_sync
                and not self.sync_answered
                and self.output.find(SYNC_QUERY, max(0, before - len(SYNC_QUERY))) >= 0
            ):
                self.sync_answered = True
                self.send(SYNC_REPLY)

    def pump(self, timeout: float = 0.0) -> int:
        """Read what is there (waiting up to TIMEOUT for the first byte)."""
        return self._read_available(timeout)

    def wait_for(
        self,
        what: bytes | re.Pattern[bytes] | Predicate,
        timeout: float = 30.0,
        *,
        start: int = 0,
    ) -> float:
        """Read until WHAT shows up in the output after offset START; the time it did.

        WHAT is bytes (a substring), a compiled bytes regex, or a predicate
        over this PtyApp. Returns time.perf_counter() at the read that made it
        true. Raises PtyTimeout after TIMEOUT seconds, or if the app exits.
        """
        deadline = time.perf_counter() + timeout
        check = self._matcher(what, start)
        while True:
            if check():
                return time.perf_counter()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise PtyTimeout(self._why(f"timed out after {timeout:.0f}s waiting for {what!r}"))
            if self._read_available(min(left, 0.5)) < 0:
                if check():
                    return time.perf_counter()
                raise PtyTimeout(self._why(f"the app exited while waiting for {what!r}"))

    def _matcher(self, what: object, start: int) -> Callable[[], bool]:
        if isinstance(what, bytes):
            return lambda: self.output.find(what, start) >= 0
        if isinstance(what, re.Pattern):
            return lambda: what.search(self.output, start) is not None
        if callable(what):
            return lambda: bool(what(self))
        raise TypeError(f"can't wait for {what!r}")

    def wait_quiet(self, quiet: float, timeout: float = 30.0) -> float:
        """Read until nothing arrives for QUIET seconds; the time of the last byte read."""
        deadline = time.perf_counter() + timeout
        last = time.perf_counter()
        while time.perf_counter() < deadline:
            got = self._read_available(quiet)
            if got == 0:
                return last
            if got < 0:
                return last
            last = time.perf_counter()
        raise PtyTimeout(self._why(f"output never went quiet for {quiet}s"))

    def item_ids(self, start: int = 0) -> list[str]:
        """Every item id the header showed after offset START, in order (repeats included)."""
        return [m.group(1).decode() for m in ITEM_ID.finditer(self.output, start)]

    def last_item_id(self, start: int = 0) -> str | None:
        ids = self.item_ids(start)
        return ids[-1] if ids else None

    def wait_for_item(self, timeout: float = 30.0, *, start: int = 0) -> str:
        """Wait until the header shows an item after START; that item's id."""
        self.wait_for(ITEM_ID, timeout, start=start)
        found = self.last_item_id(start)
        assert found is not None
        return found

    def wait_for_new_item(
        self, previous: str | None, timeout: float = 30.0, *, start: int = 0
    ) -> str:
        """Wait until the header shows an item other than PREVIOUS after START; its id."""

        def moved(app: PtyApp) -> bool:
            return any(i != previous for i in app.item_ids(start))

        self.wait_for(moved, timeout, start=start)
        return next(i for i in self.item_ids(start) if i != previous)

    def text(self, start: int = 0) -> str:
        """The output as text with escape sequences removed (good enough to search for words)."""
        raw = bytes(self.output[start:]).decode("utf-8", errors="replace")
        return _ESCAPES.sub("", raw)

    # -- writing ---------------------------------------------------------------

    def send(self, keys: str | bytes) -> None:
        data = keys.encode() if isinstance(keys, str) else keys
        while data:
            try:
                n = os.write(self.master, data)
            except BlockingIOError:
                select.select([], [self.master], [], 1.0)
                continue
            data = data[n:]

    def resize(self, cols: int, rows: int) -> None:
        """Give the terminal a new size, as a terminal emulator does when its window changes."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.cols, self.rows = cols, rows
        with contextlib.suppress(ProcessLookupError):  # the kernel signals it too, given a ctty
            os.killpg(self.proc.pid, signal.SIGWINCH)

    # -- ending ----------------------------------------------------------------

    def kill(self, sig: int = signal.SIGKILL) -> int:
        """Send SIG to the child's whole session, reap it, and return its wait status."""
        if self.exit_status is None:
            with contextlib.suppress(ProcessLookupError):  # already gone: reap it anyway
                os.killpg(self.proc.pid, sig)
            self.exit_status = self.proc.wait()
        return self.exit_status

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for the child to exit by itself (reading its output meanwhile)."""
        deadline = time.perf_counter() + timeout
        while self.proc.poll() is None:
            if time.perf_counter() > deadline:
                raise PtyTimeout(self._why(f"the app did not exit within {timeout:.0f}s"))
            self._read_available(0.05)
        self.exit_status = self.proc.returncode
        while self._read_available(0) > 0:
            pass
        return self.exit_status

    def hang_up(self) -> None:
        """Close the terminal's end, as a terminal emulator or sshd does when it goes away."""
        if self.master >= 0:
            os.close(self.master)
            self.master = -1

    def close(self) -> None:
        """Kill the child if it still runs, reap it, and close the pty. Safe to call twice."""
        try:
            if self.proc.poll() is None:
                self.kill(signal.SIGKILL)
            else:
                self.exit_status = self.proc.returncode
        finally:
            if self.master >= 0:
                os.close(self.master)
                self.master = -1

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _why(self, message: str) -> str:
        tail = self.text(max(0, len(self.output) - 3000))[-1500:]
        state = self.proc.poll()
        return f"{message}; pid {self.proc.pid} exit={state}; last output:\n{tail}"


def _take_controlling_tty() -> None:
    # Runs in the child after setsid(); without it the app still works, just with no ctty.
    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def pump_any(apps: Sequence[PtyApp], timeout: float) -> None:
    """Wait up to TIMEOUT until any of APPS has output, then read all of them."""
    fds = [a.master for a in apps if a.master >= 0]
    if fds:
        select.select(fds, [], [], max(0.0, timeout))
    for a in apps:
        a.pump(0)


_ESCAPES = re.compile(
    r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)"
)


def peak_rss_kib(pid: int) -> int | None:
    """The process's peak resident set (VmHWM) in KiB, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None
