"""A regressed case opened from the Decide screen: the candidate's item and every label on it.

What a lead reads to see why a case went PASS → FAIL: the input and output as
they were logged, and per rubric the golden, human and judge scores, which of
them decided, the tags and the comments. All of it is data and shown
literally (control characters made visible, markup never parsed).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_annotate.core.results.decide import RegressedCase
from tui_annotate.core.textsafe import one_line, visible
from tui_annotate.tui.action_views import bindings, spoken_keys
from tui_annotate.tui.actions import DECIDE_CASE
from tui_annotate.tui.screens.decide_data import CaseDetail, CaseLabels, DecideData
from tui_annotate.tui.screens.decide_views import UNDEFINED

#: The most of one text field the dialog shows; a longer one says how much is left out.
MAX_CHARS = 20_000


class DecideCaseScreen(ModalScreen[None]):
    """Read-only; Escape or q goes back to the comparison."""

    ACTIONS = DECIDE_CASE
    BINDINGS = bindings(ACTIONS)

    def __init__(
        self, data: DecideData, case: RegressedCase, version: str, baseline: str | None = None
    ) -> None:
        super().__init__()
        self.data = data
        self.case = case
        self.version = version
        self.baseline = baseline
        self.detail: CaseDetail | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static("computing…", id="case-body")

    def on_mount(self) -> None:
        box = self.query_one("#dialog")
        # Content, not str: a case is data (the input text when items carry no `case`).
        box.border_title = Content(
            f"case {one_line(self.case.case, 40)} · {one_line(self.version, 16)}"
        )
        first, *_ = spoken_keys(self.app, DECIDE_CASE[0])
        box.border_subtitle = f"{first} goes back"
        self.run_worker(self._load, thread=True, name="decide case", exclusive=True)

    def _load(self) -> None:
        try:
            detail = self.data.case(self.case.case, self.case.item, self.version, self.baseline)
        except Exception as exc:  # say so in the dialog; the lead can go back
            self.app.call_from_thread(self._show_error, exc)
            return
        self.app.call_from_thread(self._show, detail)

    def _show_error(self, exc: Exception) -> None:
        self.query_one("#case-body", Static).update(Content(f"could not load the case: {exc}"))

    def _show(self, detail: CaseDetail) -> None:
        self.detail = detail
        self.query_one("#case-body", Static).update(case_content(detail))

    def action_close(self) -> None:
        self.dismiss(None)


def _field(title: str, text: str) -> list[Content]:
    shown = visible(text[:MAX_CHARS])
    if len(text) > MAX_CHARS:
        shown += f"\n… ({len(text) - MAX_CHARS} more characters)"
    return [Content.styled(title, "bold $accent"), Content(shown or UNDEFINED), Content("")]


def _score(value: float | None) -> str:
    return UNDEFINED if value is None else f"{value:g}"


def case_content(detail: CaseDetail) -> Content:
    """The candidate's item and labels, then the baseline's output and labels; every piece
    of data as plain text."""
    item = detail.item
    lines: list[Content] = [
        Content.styled(f"candidate {one_line(detail.version, 16)}", "bold reverse"),
        Content.assemble(
            Content.styled("item ", "dim"),
            one_line(item.external_id, 60),
            Content.styled("  prompt ", "dim"),
            one_line(f"{item.prompt} {item.prompt_version}".strip(), 40),
        ),
        Content(""),
    ]
    lines += _field("input", item.input)
    if item.context:
        lines += _field("context", item.context)
    lines += _field("output", item.output)
    lines += _labels("labels", detail.labels)
    if detail.baseline is not None and detail.baseline_item is not None:
        lines.append(Content(""))
        lines.append(Content.styled(f"baseline {one_line(detail.baseline, 16)}", "bold reverse"))
        lines += _field("output", detail.baseline_item.output)
        lines += _labels("labels", detail.baseline_labels)
    return Content("\n").join(lines)


def _labels(title: str, labels: tuple[CaseLabels, ...]) -> list[Content]:
    lines = [Content.styled(title, "bold $accent")]
    for lab in labels:
        style = "bold $error" if lab.verdict == "FAIL" else "bold $success"
        decided = f" (from {lab.source})" if lab.source else ""
        lines.append(
            Content.assemble(
                Content.styled(one_line(lab.rubric, 30), "bold"),
                Content.styled(f"  {lab.rule}", "dim"),
                "  ",
                Content.styled(lab.verdict, style if lab.verdict != UNDEFINED else "dim"),
                decided,
            )
        )
        lines.append(
            Content(
                f"  golden {_score(lab.golden)} · human {_score(lab.human)} "
                f"({lab.n_human} {'person' if lab.n_human == 1 else 'people'}) · "
                f"judge {_score(lab.judge)}"
            )
        )
        if lab.tags:
            lines.append(Content.assemble("  tags: ", one_line(", ".join(lab.tags), 100)))
        for comment in lab.comments:
            lines.append(Content.assemble("  comment: ", Content(visible(comment))))
    return lines
