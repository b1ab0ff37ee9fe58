"""The review app: a lead adjudicates a closed round's disputed items (`calibrate review`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from textual.app import SystemCommand
from textual.screen import Screen

from tui_annotate.core.calibration import ReviewItem
from tui_annotate.core.models import Round, Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.action_views import dialog_palette, palette
from tui_annotate.tui.actions import ADJUDICATE, REVIEW
from tui_annotate.tui.app_base import TerminalApp
from tui_annotate.tui.screens.review import ReviewScreen


class ReviewApp(TerminalApp[None]):
    """One round, one adjudicator; every golden label is appended as soon as a score is set."""

    # The annotation app's sheet styles the item view and the note editor shared with it.
    CSS_PATH = ["app.tcss", "review.tcss"]
    TITLE = "tui-annotate"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        *,
        repo: Repository,
        round_: Round,
        rubric: Rubric,
        items: Sequence[ReviewItem],
        adjudicator: str,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.use_keymap(keymap or {})
        self.repo = repo
        self.round = round_
        self.rubric = rubric
        self.items = list(items)
        self.adjudicator = adjudicator

    def on_mount(self) -> None:
        screen = ReviewScreen.for_rubric(self.rubric)
        self.push_screen(
            screen(
                repo=self.repo,
                round_=self.round,
                rubric=self.rubric,
                items=self.items,
                adjudicator=self.adjudicator,
            )
        )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action, named 'verb: object', so nothing needs a memorised key."""
        if isinstance(screen, ReviewScreen):
            yield from palette(self, screen, REVIEW, self.rubric, ADJUDICATE)
        else:
            yield from dialog_palette(self, screen)
            yield SystemCommand(
                "App: quit", "Quit (every golden label is already saved)", self.exit
            )
        yield from self.system_commands_without_quit(screen)
