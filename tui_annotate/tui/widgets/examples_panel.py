"""Few-shot examples from the rubric: positive, negative and tricky cases with rationales."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui_annotate.core.models import Rubric
from tui_annotate.core.textsafe import visible

KIND_STYLE = {"positive": "bold $success", "negative": "bold $error", "edge": "bold $warning"}


class ExamplesPanel(VerticalScroll):
    """Rendered once per rubric: it never changes while annotating, so it is never redrawn."""

    def __init__(self, rubric: Rubric, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rubric = rubric

    def compose(self) -> ComposeResult:
        parts: list[Content] = []
        for ex in self.rubric.examples:
            level = self.rubric.level_for(ex.score)
            label = f"{ex.score} {level.label}" if level else str(ex.score)
            parts.append(Content.styled(f"{ex.kind} · {label}", KIND_STYLE.get(ex.kind, "bold")))
            if ex.input:
                parts.append(
                    Content.assemble(Content.styled("in: ", "dim"), Content(visible(ex.input)))
                )
            parts.append(
                Content.assemble(Content.styled("out: ", "dim"), Content(visible(ex.output)))
            )
            parts.append(Content.styled(f"why: {visible(ex.rationale)}", "italic"))
            if ex.tags:
                parts.append(Content.styled("tags: " + ", ".join(ex.tags), "dim"))
            parts.append(Content(""))
        yield Static(
            Content("\n").join(parts) if parts else Content("(this rubric has no examples)")
        )

    def on_mount(self) -> None:
        self.border_title = "examples (e to hide)"
