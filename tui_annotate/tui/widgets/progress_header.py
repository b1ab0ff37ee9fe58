"""The one-line header: who, which rubric, progress, pace and time on this item."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.content import Content

from tui_annotate.core.session import AnnotationSession
from tui_annotate.core.textsafe import one_line
from tui_annotate.tui.widgets.partial_static import PartialStatic, cells_text


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class ItemClock(PartialStatic):
    """The header's pace and time on item, laid over the header's own cells for them.

    They change every second; as a widget of their own a tick repaints these
    few cells, where a tick of the header would send its whole line (Textual
    repaints a line from the left edge of the widget that changed).
    """

    DEFAULT_CSS = """
    ItemClock {
        position: absolute;
        width: auto;
        height: 1;
        display: none;
    }
    """


class ProgressHeader(PartialStatic):
    """Progress the annotator can trust: done / total for them, labels per hour, item timer.

    The line is drawn whole here (so it reads right to anything that asks
    for the header's text) and its ticking part again by an ItemClock on top.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: Where the clock sits: (first cell, width).
        self._clock_at: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield ItemClock()

    def show_session(self, session: AnnotationSession, *, show_prompt_version: bool) -> None:
        p = session.progress
        pace = session.pace_per_hour()
        item = session.current_item()
        who = (
            Content.styled(f" {session.rubric.name} {session.rubric.version}", "bold"),
            f" · {one_line(session.annotator, 24)} │ ",
        )
        if session.counted:
            head = Content.assemble(
                *who, Content.styled(f"{p.done}", "bold"), f" done / {p.total} "
            )
        else:
            # The queue is being counted (seconds at a million items): no number beats a wrong one.
            head = Content.assemble(*who, Content.styled("counting…", "italic"), " ")
        per_hour = f"{pace:.0f}/h" if pace is not None else "—/h"
        live = Content(f"· {per_hour} · {_clock(session.seconds_on_item())}")
        parts: list[Content | str] = [head, live, " on item"]
        if item is not None:
            parts.append(f" │ {one_line(item.external_id, 24)}")
            if show_prompt_version and item.prompt_version:
                parts.append(
                    f" · {one_line(item.prompt or 'prompt', 16)} v{one_line(item.prompt_version, 12)}"
                )
        round_id = session.round_of() if item is not None else None
        if round_id is not None:
            parts.append(Content.styled(f" · calibration round {round_id} (blind)", "bold $accent"))
        elif session.uncalibrated:
            parts.append(Content.styled(" · uncalibrated", "$warning"))
        if item is not None and session.flagged():
            parts.append(Content.styled(" ⚑ flagged", "bold $warning"))
        self._show(Content.assemble(*parts), head.cell_length, live)

    def _show(self, line: Content, at: int, live: Content) -> None:
        """Show LINE; its part LIVE, from cell AT, is drawn again by the clock on top."""
        clock = self.query_one(ItemClock)
        width = live.cell_length
        changes = self.changes(line)
        # Wrapped or cut short, the live part may not be on the line shown: then no clock.
        lines = self.shown_lines or []
        on_line = bool(lines) and cells_text(lines[0], at, at + width) == live.plain
        covered = on_line and self._clock_at == (at, width)
        if changes is None:
            self.update(line, layout=False)  # one fixed line: no layout pass for the screen
        elif covered and all(at <= c.start and c.end <= at + width for c in changes):
            self.update_cells(line, [])  # every changed cell is under the clock
        else:
            self.update_cells(line, [change.region for change in changes])
        if not on_line:
            clock.display = False
            self._clock_at = None
            return
        if self._clock_at != (at, width):
            # Moved (the count gained a digit): the line just drawn shows it right; the clock
            # takes over at its new place from the next call, never a frame early.
            clock.display = False
            clock.styles.offset = (at, 0)
            self._clock_at = (at, width)
            return
        clock.display = True
        clock.show(live)
