"""The rubric on screen: the question and every point's anchor, the chosen score highlighted."""

from __future__ import annotations

from textual.content import Content

from tui_annotate.core.models import Draft, Rubric
from tui_annotate.tui.widgets.partial_static import PartialStatic


class RubricPanel(PartialStatic):
    """Question, anchors, and what the next rating will carry (tags, comment)."""

    def __init__(self, rubric: Rubric, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.rubric = rubric
        self._shown: tuple[int | None, Draft, bool] | None = None

    def on_mount(self) -> None:
        self.border_title = f"{self.rubric.title} — {self.rubric.pass_rule}"

    def show_state(self, score: int | None, draft: Draft, compact: bool = False) -> None:
        """Re-render only when something visible changed, and repaint only the lines that did.

        Over SSH every byte counts: moving the highlight repaints the two
        levels' lines, not the panel.
        """
        state = (score, draft, compact)
        if state == self._shown:
            return
        self._shown = state
        lines: list[Content] = []
        if not compact:
            lines.append(Content.styled(self.rubric.question, "bold"))
            lines.append(Content(""))
        for level in self.rubric.scale:
            chosen = level.value == score
            mark = "▶" if chosen else " "
            head = Content.styled(
                f"{mark}{level.key} {level.label}", "bold reverse" if chosen else "bold"
            )
            if compact:
                lines.append(head)
            else:
                lines.append(
                    Content.assemble(
                        head, " — ", Content.styled(level.description, "dim" if not chosen else "")
                    )
                )
        if draft.tags or draft.comment:
            lines.append(Content(""))
        if draft.tags:
            lines.append(Content.assemble(Content.styled("tags: ", "bold"), ", ".join(draft.tags)))
        if draft.comment:
            first = draft.comment.strip().splitlines()[0] if draft.comment.strip() else ""
            more = " …" if "\n" in draft.comment.strip() else ""
            lines.append(
                Content.assemble(Content.styled("comment: ", "bold"), Content(first + more))
            )
        self.show(Content("\n").join(lines))
