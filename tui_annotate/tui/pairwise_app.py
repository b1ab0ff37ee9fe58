"""The pairwise A/B App: one annotator, one pairwise task, one database.

Built by `make_pairwise_app` (below) for the CLI and the tests alike, so
neither skips the wiring: the lease length, the heartbeat that renews the
claims on the pair on screen, and the ending that TerminalApp gives every
app of ours (SIGHUP, SIGTERM).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import SystemCommand
from textual.screen import Screen

from tui_annotate.config import Settings
from tui_annotate.core.models import Rubric
from tui_annotate.core.pairwise.models import Task
from tui_annotate.core.pairwise.session import PairwiseSession
from tui_annotate.core.results.pairwise import PairwiseReport
from tui_annotate.errors import AnnotateError
from tui_annotate.store.repository import Repository
from tui_annotate.tui.action_views import dialog_palette, palette
from tui_annotate.tui.actions import PAIRWISE, PAIRWISE_RESULTS
from tui_annotate.tui.app_base import TerminalApp
from tui_annotate.tui.screens.pairwise import PairwiseScreen


class PairwiseApp(TerminalApp[None]):
    CSS_PATH = ["app.tcss", "pairwise.tcss"]
    TITLE = "tui-annotate pairwise"

    def __init__(
        self,
        session: PairwiseSession,
        rubric: Rubric | None,
        *,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.use_keymap(keymap or {})
        self.session = session
        self.rubric = rubric

    def on_mount(self) -> None:
        self.session.start()
        self.push_screen(PairwiseScreen(self.session, self.rubric))
        # Three beats per lease, as in the annotation app.
        self.set_interval(max(0.2, self.session.repo.lease_seconds / 3), self.heartbeat)

    def heartbeat(self) -> None:
        with contextlib.suppress(AnnotateError):
            self.session.heartbeat()

    def keep_unsaved(self, *, fallback: bool = False) -> None:
        """Keep a comment being typed when the app is ended from outside (the terminal gone,
        SIGTERM): it becomes the pair's draft, as in the annotation app. FALLBACK: the UI
        thread is stuck, so write through a connection of our own."""
        if not self.session.done:
            self.keep_open_comment(
                self.session.comment,
                self.session.set_comment,
                self.session.repo.path,
                fallback=fallback,
            )

    def release(self) -> None:
        self.session.repo.close()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action, named 'verb: object', as on the annotation app."""
        if isinstance(screen, PairwiseScreen):
            yield from palette(self, screen, PAIRWISE, None)
        else:
            yield from dialog_palette(self, screen)
            yield SystemCommand("App: quit", "Quit (every vote is already saved)", self.exit)
        yield from self.system_commands_without_quit(screen)


class PairwiseResultsApp(TerminalApp[None]):
    """A task's report, read-only (`pairwise results --view`)."""

    CSS_PATH = "pairwise.tcss"
    TITLE = "tui-annotate pairwise results"

    def __init__(self, report: PairwiseReport, *, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.use_keymap(keymap or {})
        self.report = report

    def on_mount(self) -> None:
        from tui_annotate.tui.screens.pairwise_results import PairwiseResultsScreen

        self.push_screen(PairwiseResultsScreen(self.report))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from palette(self, screen, PAIRWISE_RESULTS, None)
        yield from self.system_commands_without_quit(screen)


def make_pairwise_app(
    settings: Settings, *, repo: Repository, task: Task, annotator: str, rubric: Rubric | None
) -> PairwiseApp:
    """The app, its keymap checked first (InputError, exit 2, before anything is drawn)."""
    from tui_annotate.tui import keymap

    keys = keymap.check(settings.keymap, rubric)
    repo.lease_seconds = settings.lease_seconds
    return PairwiseApp(PairwiseSession(repo, task, annotator), rubric, keymap=keys)
