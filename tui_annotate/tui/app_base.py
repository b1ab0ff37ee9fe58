"""What every app of ours shares: one way to end when the terminal goes or SIGTERM comes.

Three events end an app from outside. The terminal is gone (SIGHUP, or the
driver saw end of file or an error on it, `tui/driver.py`): keep what was
being typed, then leave at once, there is nothing left to restore. SIGTERM
(`kill`, systemd, a container runtime): keep what was being typed, then the
normal shutdown, which leaves the alternate screen and resets the modes,
and exit 143.

Neither may depend on the UI thread being free: a Python signal handler
runs on the main thread between bytecodes, so an app inside a long SQLite
call used to ignore SIGHUP until the call returned. SIGHUP and SIGTERM are
blocked while the app runs and taken by a thread of their own
(`sigtimedwait`); the shutdown is handed to the app's loop, and if the loop
hasn't done it by a deadline, a timer thread keeps the typing itself
(`keep_unsaved(fallback=True)`, on a connection of its own, for at most
SAVE_WAIT), restores the terminal directly after SIGTERM and ends the process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from textual.app import App, SystemCommand
from textual.driver import Driver
from textual.screen import Screen

from tui_annotate.errors import AnnotateError
from tui_annotate.tui.driver import TerminalDriver

ReturnType = TypeVar("ReturnType")

#: Exit statuses as a shell reports a death by these signals.
HANGUP_EXIT = 128 + signal.SIGHUP
TERM_EXIT = 128 + signal.SIGTERM
#: The terminal is gone: the UI thread gets this long to keep the typing and leave...
GONE_DEADLINE = 0.3
#: ...then the last resort this long to save it on its own connection: out within a second,
#: whatever the UI thread is doing (a locked database would hold a save for 15 s).
SAVE_WAIT = 0.6
#: SIGTERM: the normal shutdown gets this long before the terminal is restored by hand.
TERM_DEADLINE = 1.5
_SIGNALS = {signal.SIGHUP, signal.SIGTERM}


class _SignalThread:
    """SIGHUP and SIGTERM, blocked in every thread the app starts and taken by one of its own."""

    def __init__(self, app: TerminalApp[Any]) -> None:
        self._app = app
        self._stop = threading.Event()
        self._old: set[int | signal.Signals] = set()

    def __enter__(self) -> _SignalThread:
        # Before Textual starts its threads, so they inherit the mask.
        self._old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        threading.Thread(target=self._watch, name="tui-annotate-signals", daemon=True).start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            got = signal.sigtimedwait(_SIGNALS, 1.0)
            if got is None:
                continue
            if self._stop.is_set():
                # The app has ended: the signal is the process's again, with its usual effect.
                os.kill(os.getpid(), got.si_signo)
                return
            if got.si_signo == signal.SIGTERM:
                self._app.terminated()
            else:
                self._app.terminal_gone("SIGHUP")

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        signal.pthread_sigmask(signal.SIG_SETMASK, self._old)


class TerminalApp(App[ReturnType], Generic[ReturnType]):
    """An App that ends cleanly from outside; subclasses say what must be kept."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ending: int | None = None  # the exit status once an ending has begun
        self._kept = False
        self._keep_lock = threading.Lock()
        self._begin_lock = threading.Lock()
        self._last_resort: threading.Timer | None = None
        #: Action id -> keys, for the actions a user remapped (tui/keymap.py); the help
        #: screen and the palette read it, Textual's footer reads the same via set_keymap.
        self.keymap: dict[str, str] = {}

    def use_keymap(self, keymap: Mapping[str, str]) -> None:
        """Bind the remapped actions to their keys (by binding id) everywhere they show."""
        self.keymap = dict(keymap)
        self.set_keymap(self.keymap)

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        # TEXTUAL_DRIVER or another platform keeps its own driver.
        return TerminalDriver if driver.__name__ == "LinuxDriver" else driver

    def keep_unsaved(self, *, fallback: bool = False) -> None:
        """Save what was typed and not yet saved. FALLBACK: called from another thread while
        the UI thread is busy, so use a connection of its own. Nothing to keep by default."""

    def keep_open_comment(
        self, saved: str, set_comment: Callable[..., None], path: str, *, fallback: bool
    ) -> None:
        """keep_unsaved for an app with a comment editor: the editor's text, if it differs
        from SAVED, goes to SET_COMMENT (a session's), through a connection of our own to
        the database at PATH when FALLBACK (the UI thread is stuck)."""
        # The editor's module loads when it first opens: not loaded, no comment is open.
        editor = sys.modules.get("tui_annotate.tui.dialogs.comment")
        screen = self.screen
        if editor is None or not isinstance(screen, editor.CommentScreen):
            return
        text = screen.text_now()
        if text == saved:
            return
        if not fallback:
            with contextlib.suppress(AnnotateError):
                set_comment(text)
            return
        from tui_annotate.store.repository import Repository

        own = Repository.open(path)
        try:
            with contextlib.suppress(AnnotateError):
                set_comment(text, repo=own)
        finally:
            own.close()

    def release(self) -> None:
        """Close what the app holds before the process ends without the normal shutdown."""

    def run(self, *args: Any, **kwargs: Any) -> ReturnType | None:
        """Run with SIGHUP/SIGTERM taken by a thread; after SIGTERM the process exits 143."""
        with _SignalThread(self):
            try:
                result = super().run(*args, **kwargs)
            finally:
                if self._last_resort is not None:
                    self._last_resort.cancel()
        if self._ending is not None:
            raise SystemExit(self._ending)
        return result

    # -- the two endings, callable from any thread ------------------------------------------

    def terminal_gone(self, why: str) -> None:
        """The terminal hung up or failed: keep the typing and end the process now."""
        self._begin(HANGUP_EXIT, GONE_DEADLINE, self._end_gone)

    def terminated(self) -> None:
        """SIGTERM: keep the typing, then the normal shutdown, which restores the terminal."""
        self._begin(TERM_EXIT, TERM_DEADLINE, self._end_terminated)

    def _begin(self, status: int, deadline: float, end: Any) -> None:
        # The signal thread and the driver's threads may both report, at the same moment.
        with self._begin_lock:
            self._begin_locked(status, deadline, end)

    def _begin_locked(self, status: int, deadline: float, end: Any) -> None:
        if self._ending is not None:
            if status == HANGUP_EXIT and self._ending == TERM_EXIT:
                # Terminated, then the terminal went too: nothing left to restore.
                self._begin_gone_after_term()
            return
        self._ending = status
        timer = threading.Timer(deadline, self._end_by_hand, (status,))
        timer.daemon = True
        self._last_resort = timer
        timer.start()
        loop = self._loop
        if loop is None:  # not running yet, or already gone
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: the timer ends it
            loop.call_soon_threadsafe(end)

    def _begin_gone_after_term(self) -> None:
        self._ending = HANGUP_EXIT
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._end_gone)

    def _keep_once(self, *, fallback: bool) -> None:
        if not self._keep_lock.acquire(timeout=SAVE_WAIT if fallback else -1):
            return  # the UI thread is stuck in its own save: no second writer
        try:
            if not self._kept:
                self._kept = True
                with contextlib.suppress(Exception):
                    self.keep_unsaved(fallback=fallback)
        finally:
            self._keep_lock.release()

    def _end_gone(self) -> None:
        self._keep_once(fallback=False)
        with contextlib.suppress(Exception):
            self.release()
        os._exit(HANGUP_EXIT)

    def _end_terminated(self) -> None:
        if self._ending != TERM_EXIT:
            return
        self._keep_once(fallback=False)
        self.exit(return_code=TERM_EXIT)

    def _end_by_hand(self, status: int) -> None:
        """The UI thread didn't end the app in time: do it from this thread."""
        saver = threading.Thread(target=self._keep_once, kwargs={"fallback": True}, daemon=True)
        saver.start()
        saver.join(SAVE_WAIT)  # a save stuck behind a lock is given up, not waited for
        if status == TERM_EXIT and self._ending == TERM_EXIT:
            driver = self._driver
            if isinstance(driver, TerminalDriver):
                driver.restore_now()
        os._exit(self._ending or status)

    # -- shared by every app's command palette ----------------------------------------------

    def system_commands_without_quit(self, screen: Screen[Any]) -> Iterator[SystemCommand]:
        """Textual's own palette entries less its Quit: each app names its quit 'App: quit'."""
        yield from (
            c
            for c in super().get_system_commands(screen)
            if c.title not in ("Quit", "Quit the application")
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from self.system_commands_without_quit(screen)
