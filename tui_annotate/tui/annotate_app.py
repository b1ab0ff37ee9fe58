"""The annotation App: wires a session to the screen and lists every action in the palette."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping

from textual import events
from textual.app import SystemCommand
from textual.screen import Screen

from tui_annotate.core.models import Round, Rubric
from tui_annotate.core.session import AnnotationSession
from tui_annotate.core.textsafe import visible
from tui_annotate.errors import AnnotateError
from tui_annotate.store.repository import Repository
from tui_annotate.tui.action_views import dialog_palette, palette
from tui_annotate.tui.actions import ANNOTATE, DONE, RATE
from tui_annotate.tui.app_base import TerminalApp
from tui_annotate.tui.screens.annotate import AnnotateScreen
from tui_annotate.tui.screens.done import AllDoneScreen

#: Seconds after mounting by which `after_first_frame` has run, painted or not.
FIRST_FRAME_BACKSTOP = 2.0


class AnnotateApp(TerminalApp[None]):
    """One annotator, one rubric, one database. Built by tui/factory.py for every front end."""

    CSS_PATH = ["app.tcss", "results.tcss"]
    TITLE = "tui-annotate"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        *,
        repo: Repository,
        rubric: Rubric,
        annotator: str,
        overlap: int = 1,
        show_prompt_version: bool = False,
        calibration_only: bool = False,
        uncalibrated: bool = False,
        drift_permille: int = 0,
        readonly_reason: str | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.use_keymap(keymap or {})
        self.readonly_reason = readonly_reason
        self.session = AnnotationSession(
            repo,
            rubric,
            annotator,
            overlap=overlap,
            calibration_only=calibration_only,
            uncalibrated=uncalibrated,
            drift_permille=drift_permille,
        )
        self.show_prompt_version = show_prompt_version
        #: Called once, when the first screen is painted (the command line's start-up ends).
        self.after_first_frame: Callable[[], object] | None = None

    def get_default_screen(self) -> Screen[None]:
        """The annotation screen is the app's first screen, not one pushed over Textual's blank
        default: one screen to compose, lay out and paint before the first item shows."""
        self.session.start()
        screen = AnnotateScreen.for_rubric(self.session.rubric)
        return screen(self.session, show_prompt_version=self.show_prompt_version)

    def on_mount(self) -> None:
        self.show_new_results()
        if self.after_first_frame is not None:
            # The top screen's callbacks wait for its paint (the App's own run when the App
            # is idle, which comes first); the timer is a backstop, should it never be idle.
            self.screen.call_after_refresh(self._first_frame_done)
            self.set_timer(FIRST_FRAME_BACKSTOP, self._first_frame_done)
        if self.readonly_reason is not None:
            self.notify(
                f"{visible(self.readonly_reason)}. Browse with n and p; nothing you rate is saved.",
                title="Read-only database",
                severity="warning",
                timeout=30,
                markup=False,
            )
            return
        # Three beats per lease: one late or failed beat doesn't cost anyone their items.
        self.set_interval(max(0.2, self.session.repo.lease_seconds / 3), self.heartbeat)

    def _first_frame_done(self) -> None:
        hook, self.after_first_frame = self.after_first_frame, None
        if hook is not None:
            hook()

    def keep_unsaved(self, *, fallback: bool = False) -> None:
        """Keep a comment being typed when the app is ended from outside (the terminal
        gone, SIGTERM): it becomes the item's draft and comes back at the next login.

        Labels are already on disk, one commit per key; the comment editor's
        text is the one thing typed and not yet saved. FALLBACK: the UI thread
        is stuck (in a long query, say), so write through a connection of our own.
        """
        if not self.session.done:
            self.keep_open_comment(
                self.session.draft.comment,
                self.session.set_comment,
                self.session.repo.path,
                fallback=fallback,
            )

    def release(self) -> None:
        self.session.repo.close()

    def heartbeat(self) -> None:
        # A database that takes no writes just now (full, read-only, locked for long) shows
        # its error on the next key, where the annotator can act on it; not every beat.
        with contextlib.suppress(AnnotateError):
            self.session.heartbeat()

    def latest_round(self) -> Round | None:
        """The last closed calibration round on this rubric this annotator took part in."""
        rounds = self.session.repo.rounds.find(rubric=self.session.rubric.name, status="closed")
        mine = [r for r in rounds if self.session.annotator in r.annotators]
        return mine[-1] if mine else None

    def show_new_results(self) -> None:
        """After a round closes, each of its annotators sees its results once, on opening."""
        found = self.latest_round()
        if found is None:
            return
        key = f"results_seen/{self.session.annotator}/{found.id}"
        repo = self.session.repo
        if repo.get_setting(key) is not None:
            return
        with contextlib.suppress(AnnotateError):  # read-only database: show it again next time
            repo.set_setting(key, "1")
        self._push_results(found)

    def _push_results(self, found: Round) -> None:
        # Imported here: most sessions never show it, and start-up stays lean.
        from tui_annotate.tui.screens.results import ResultsScreen

        self.push_screen(ResultsScreen(found.result, closes_app=False))

    def action_show_results(self) -> None:
        found = self.latest_round()
        if found is None:
            self.notify("no closed calibration round of yours on this rubric yet", timeout=3)
            return
        self._push_results(found)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action, named 'verb: object', so nothing needs a memorised key."""
        if isinstance(screen, AnnotateScreen):
            yield from palette(self, screen, ANNOTATE, self.session.rubric, RATE)
        elif isinstance(screen, AllDoneScreen):
            yield from palette(self, screen, DONE, None)
            yield SystemCommand(
                "Results: show", "Your last calibration round's agreement", self.action_show_results
            )
        else:
            yield from dialog_palette(self, screen)
            yield SystemCommand(
                "Results: show", "Your last calibration round's agreement", self.action_show_results
            )
            yield SystemCommand("App: quit", "Quit (every label is already saved)", self.exit)
        yield from self.system_commands_without_quit(screen)

    # -- the palette's "Screenshot" (Textual's own command) ---------------------------

    def on_delivery_complete(self, event: events.DeliveryComplete) -> None:
        if event.name != "screenshot":
            return
        event.prevent_default()  # Textual's own notice reads the path as markup
        where = f" to {visible(str(event.path))}" if event.path is not None else ""
        self.notify(f"Saved the screenshot{where}", title="Screenshot", markup=False)

    def on_delivery_failed(self, event: events.DeliveryFailed) -> None:
        """Say why a screenshot was not saved; Textual's notice says only that it failed."""
        if event.name != "screenshot":
            return
        event.prevent_default()
        self.notify(
            f"The screenshot was not saved: {visible(screenshot_failure(event.exception))}",
            title="Screenshot",
            severity="error",
            timeout=10,
            markup=False,
        )


def screenshot_failure(exc: BaseException) -> str:
    """What went wrong writing a screenshot, with the path: 'Permission denied: /x/y.svg'."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else os.getcwd()
        return f"{exc.strerror}: {where}"
    return str(exc) or type(exc).__name__
