"""The annotation App: wires a session to the screen and lists every action in the palette."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from tui_annotate.core.models import Rubric
from tui_annotate.core.queue import AnnotationSession
from tui_annotate.store.repository import Repository
from tui_annotate.tui.screens.annotate import AnnotateScreen


class AnnotateApp(App[None]):
    """One annotator, one rubric, one database. Built the same way by the CLI and the tests."""

    CSS_PATH = "app.tcss"
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
    ) -> None:
        super().__init__()
        self.session = AnnotationSession(
            repo, rubric, annotator, overlap=overlap, calibration_only=calibration_only,
            uncalibrated=uncalibrated, drift_permille=drift_permille,
        )  # fmt: skip
        self.show_prompt_version = show_prompt_version

    def on_mount(self) -> None:
        self.session.start()
        self.push_screen(AnnotateScreen(self.session, show_prompt_version=self.show_prompt_version))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action, named 'verb: object', so nothing needs a memorised key."""
        if isinstance(screen, AnnotateScreen):
            for level in self.session.rubric.scale:
                yield SystemCommand(
                    f"Rate: {level.value} {level.label}",
                    level.description,
                    lambda v=level.value: screen.action_rate(v),
                )
            commands = [
                ("Tags: pick", "Choose failure tags for this item", screen.action_tags),
                ("Comment: edit", "Write a comment for this item", screen.action_comment),
                ("Label: undo", "Retract the last label and go back to it", screen.action_undo),
                ("Item: skip", "Park this item", screen.action_skip),
                ("Item: flag", "Flag for expert review, or unflag", screen.action_flag),
                ("Item: next", "Next item without rating", screen.action_next),
                ("Item: previous", "Previous item", screen.action_previous),
                (
                    "Examples: toggle",
                    "Show or hide the few-shot examples",
                    screen.action_toggle_examples,
                ),
                (
                    "Markdown: toggle",
                    "Render the output as Markdown or raw",
                    screen.action_toggle_markdown,
                ),
                ("Help: show", "All keys and the rubric's scale", screen.action_help),
            ]
            for title, help_text, callback in commands:
                yield SystemCommand(title, help_text, callback)
        yield SystemCommand("App: quit", "Quit (every label is already saved)", self.exit)
        yield from (
            c
            for c in super().get_system_commands(screen)
            if c.title not in ("Quit", "Quit the application")
        )
