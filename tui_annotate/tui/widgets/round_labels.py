"""Every round annotator's label on one item: score, anchor, tags and comment, literally."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui_annotate.core.models import RoundLabel, Rubric
from tui_annotate.core.textsafe import one_line, visible

#: Annotator names are cut to this many cells so the scores line up.
NAME_WIDTH = 12


class RoundLabelsPanel(VerticalScroll):
    """Scrolls on its own, so long comments never push the adjudication panel away."""

    def __init__(self, rubric: Rubric, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rubric = rubric

    def compose(self) -> ComposeResult:
        yield Static(id="round-labels-text")

    def show_labels(self, labels: tuple[RoundLabel, ...], spread: float) -> None:
        self.border_title = f"annotators · spread {spread:g}"
        width = min(
            NAME_WIDTH, max([4, *(len(one_line(lb.annotator, NAME_WIDTH)) for lb in labels)])
        )
        lines: list[Content] = []
        for label in labels:
            level = self.rubric.level_for(label.score)
            verdict = self.rubric.verdict(label.score)
            lines.append(
                Content.assemble(
                    Content.styled(one_line(label.annotator, width).ljust(width), "bold"),
                    "  ",
                    Content.styled(
                        str(label.score), "bold $success" if verdict == "PASS" else "bold $error"
                    ),
                    f" {level.label}" if level else "",
                    Content.styled(f"  {verdict}", "dim"),
                )
            )
            indent = " " * (width + 2)
            if label.tags:
                lines.append(
                    Content.assemble(indent, Content.styled("tags ", "dim"), ", ".join(label.tags))
                )
            if label.comment.strip():
                for line in visible(label.comment.strip()).splitlines():
                    lines.append(Content.assemble(indent, Content.styled(line, "italic")))
        if not lines:
            lines.append(Content.styled("no labels", "dim"))
        self.query_one("#round-labels-text", Static).update(Content("\n").join(lines))
        self.scroll_home(animate=False)
