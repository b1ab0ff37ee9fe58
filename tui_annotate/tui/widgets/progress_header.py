"""The one-line header: who, which rubric, progress, pace and time on this item."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui_annotate.core.queue import AnnotationSession
from tui_annotate.core.textsafe import one_line


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class ProgressHeader(Static):
    """Progress the annotator can trust: done / total for them, labels per hour, item timer."""

    def show_session(self, session: AnnotationSession, *, show_prompt_version: bool) -> None:
        p = session.progress
        pace = session.pace_per_hour()
        item = session.current_item()
        parts: list[Content | str] = [
            Content.styled(f" {session.rubric.name} {session.rubric.version}", "bold"),
            f" · {one_line(session.annotator, 24)} │ ",
            Content.styled(f"{p.done}", "bold"),
            f" done / {p.total} ",
            f"· {pace:.0f}/h " if pace is not None else "· —/h ",
            f"· {_clock(session.seconds_on_item())} on item",
        ]
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
        # One fixed line: no layout pass for the whole screen on every tick.
        self.update(Content.assemble(*parts), layout=False)
