"""The adjudication side: the scale's keys, the current golden label, the note to be saved."""

from __future__ import annotations

from textual.content import Content
from textual.events import Resize
from textual.widgets import Static

from tui_annotate.core.models import GoldenLabel, Rubric
from tui_annotate.core.textsafe import one_line, visible


class AdjudicationPanel(Static):
    """What a scale key will store: that score, with the note shown here."""

    def __init__(self, rubric: Rubric, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rubric = rubric
        self._state: tuple[GoldenLabel | None, str, bool, bool] | None = None

    def on_mount(self) -> None:
        self.border_title = "adjudicate: press a score"

    def on_resize(self, event: Resize) -> None:
        # The compact scale is laid out for the width, so a new width lays it out again.
        if self._state is not None and self._state[3]:
            self._draw()

    def show_state(
        self, golden: GoldenLabel | None, note: str, *, inherited: bool, compact: bool = False
    ) -> None:
        """GOLDEN is the item's current golden label; NOTE the one the next score carries.

        COMPACT puts the scale on as few lines as the width allows (narrow terminals).
        """
        self._state = (golden, note, inherited, compact)
        self._draw()

    def _scale(self, golden: GoldenLabel | None, compact: bool) -> list[Content]:
        keys: list[Content] = []
        for level in self.rubric.scale:
            chosen = golden is not None and golden.score == level.value
            mark = "▶" if chosen else ("" if compact else " ")
            name = level.label if level.key == str(level.value) else f"{level.value} {level.label}"
            keys.append(
                Content.assemble(
                    Content.styled(
                        f"{mark}{level.key}", "bold reverse" if chosen else "bold $accent"
                    ),
                    Content.styled(f" {name}", "bold" if chosen else ""),
                )
            )
        if not compact:
            return keys
        # Whole "key label" pairs per line: a wrap never parts a key from its label.
        width = self.content_size.width or 76
        lines: list[Content] = []
        line = Content("")
        for key in keys:
            if line.cell_length and line.cell_length + 2 + key.cell_length > width:
                lines.append(line)
                line = Content("")
            line = Content.assemble(line, "  ", key) if line.cell_length else key
        lines.append(line)
        return lines

    def _draw(self) -> None:
        assert self._state is not None
        golden, note, inherited, compact = self._state
        lines = self._scale(golden, compact)
        if not compact:
            lines.append(Content(""))
        if golden is None:
            lines.append(Content.styled("golden: none yet", "dim"))
        else:
            level = self.rubric.level_for(golden.score)
            where = f", round {golden.round_id}" if golden.round_id is not None else ""
            lines.append(
                Content.assemble(
                    Content.styled("golden: ", "bold"),
                    Content.styled(
                        f"{golden.score} {level.label if level else ''}".rstrip(), "bold $success"
                    ),
                    Content.styled(f"  by {one_line(golden.adjudicator, 20)}{where}", "dim"),
                )
            )
        lines.append(
            Content.assemble(
                Content.styled("note: ", "bold"),
                Content(visible(note)) if note else Content.styled("(none: c to write one)", "dim"),
            )
        )
        if note and inherited:
            lines.append(Content.styled("kept from the golden label; c to change it", "dim"))
        self.update(Content("\n").join(lines))
