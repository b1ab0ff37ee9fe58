"""The Decide screen's tabs drawn from the core's results: the same numbers the commands print.

Pure functions from a result object (core/results/decide.py) to widgets, so
each tab is one call and the screen holds no arithmetic. Every rate shows
its count and interval; an undefined number is "—", never 0. Names that come
from the data (versions, rubrics, tags, case ids, comments) go through the
visible-text filter and are never read as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.containers import VerticalGroup
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from tui_annotate.core.decide.draw import sparkline
from tui_annotate.core.results.decide import (
    CI,
    Comparison,
    RubricComparison,
    RubricInfo,
    Scorecard,
    TagReport,
    Trend,
)
from tui_annotate.core.textsafe import one_line
from tui_annotate.tui.screens.decide_data import pass_rule
from tui_annotate.tui.widgets.interval_rows import IntervalRow, IntervalRows

#: What an undefined number shows (n = 0: no rate, no interval).
UNDEFINED = "—"


def num(value: float | None, digits: int = 3) -> str:
    return UNDEFINED if value is None else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 3) -> str:
    return UNDEFINED if value is None else f"{value:+.{digits}f}"


def interval(ci: CI, digits: int = 3, *, sign: bool = False) -> str:
    if ci is None:
        return ""
    f = signed if sign else num
    return f"[{f(ci[0], digits)}, {f(ci[1], digits)}]"


def rate_text(rate: float | None, ci: CI, passed: int, n: int) -> str:
    """'0.825 [0.712, 0.901] 47/57', or '— n=0' when there is nothing to rate."""
    if n == 0 or rate is None:
        return f"{UNDEFINED} n={n}"
    return f"{num(rate)} {interval(ci)} {passed}/{n}"


def rule(info: RubricInfo) -> str:
    """How the rubric decides, as the scorecard's section title shows it."""
    parts = [f"{one_line(info.name, 30)} {one_line(info.version, 12)}", pass_rule(info)]
    if info.min_pass_rate is not None:
        parts.append(f"min pass rate {info.min_pass_rate:g}")
    if info.weight != 1.0:
        parts.append(f"weight {info.weight:g}")
    if info.zero_tolerance:
        parts.append("zero tolerance")
    return " · ".join(parts)


def section(title: str, *children: Widget, id: str | None = None) -> VerticalGroup:
    box = VerticalGroup(*children, classes="decide-section", id=id)
    # A str title would be read as markup; it holds data (rubric names, versions).
    box.border_title = Content(title)
    return box


def note(text: str | Content, classes: str = "decide-note") -> Static:
    return Static(text if isinstance(text, Content) else Content(text), classes=classes)


# -- Scorecard -----------------------------------------------------------------------------


def scorecard_widgets(card: Scorecard) -> list[Widget]:
    """One section per rubric (a row per version against its min pass rate), then the composite."""
    if not card.versions:
        return [note(f"No items of prompt {one_line(card.prompt, 40)} have a resolved label.")]
    out: list[Widget] = []
    for name, info in card.rubrics.items():
        rows = []
        for version in card.versions:
            m = version.metrics.get(name)
            if m is None:
                continue
            text = rate_text(m.pass_rate, m.ci, m.passed, m.n)
            if m.fail_rate_upper is not None:
                text += f" fail≤{m.fail_rate_upper:.3f}"
            if card.source != "human":
                # Judge-only items (N), items with both (n), and the plain judge rate beside.
                text += f" N={m.n_judge_only} n={m.n_both} judge {num(m.judge_pass_rate)}"
            rows.append(IntervalRow(version.version, text, m.pass_rate, m.ci))
        out.append(
            section(
                rule(info),
                IntervalRows(rows, threshold=info.min_pass_rate),
                id=f"card-{_css_id(name)}",
            )
        )
    composite = [
        IntervalRow(
            v.version,
            f"{num(v.composite.value)} {interval(v.composite.ci)}".strip(),
            v.composite.value,
            v.composite.ci,
        )
        for v in card.versions
    ]
    out.append(
        section(
            "composite (weighted pass rate: ranks versions, never decides a gate)",
            IntervalRows(composite),
            id="card-composite",
        )
    )
    return out


# -- Compare -------------------------------------------------------------------------------


def compare_widgets(comparison: Comparison, infos: Mapping[str, RubricInfo]) -> list[Widget]:
    """One section per rubric: the paired counts, p-values, the difference drawn around 0."""
    out: list[Widget] = []
    if comparison.duplicates_in_case:
        out.append(
            note(
                f"{len(comparison.duplicates_in_case)} case(s) hold two items of one version: "
                "the one with more human labels (then the lower id) is compared."
            )
        )
    for name, r in comparison.rubrics.items():
        info = infos.get(name)
        title = rule(info) if info is not None else one_line(name, 30)
        out.append(section(title, *_rubric_comparison(r), id=f"cmp-{_css_id(name)}"))
    if not comparison.rubrics:
        out.append(note("No rubric to compare."))
    return out


def _rubric_comparison(r: RubricComparison) -> list[Widget]:
    counts = Content.assemble(
        Content.styled(verdict_text(r), f"bold {VERDICT_STYLE[r.verdict]}"),
        f"\n{r.n_pairs} pairs · PASS→FAIL {r.pass_to_fail} · FAIL→PASS {r.fail_to_pass}"
        f" · McNemar p={num(r.mcnemar_p, 4)} · Holm p={num(r.p_holm, 4)}",
    )
    # A symmetric axis around 0, at least ±0.5, wide enough for the whole interval.
    reach = max([0.5, *(abs(v) for v in r.diff.ci or ())])
    rows = [
        IntervalRow(
            "pass rate Δ",
            f"{signed(r.diff.value)} {interval(r.diff.ci, sign=True)}".strip(),
            r.diff.value,
            r.diff.ci,
        )
    ]
    return [
        Static(counts, classes="decide-counts"),
        IntervalRows(rows, threshold=0.0, axis=(-reach, reach)),
        note(f"mean score Δ {signed(r.mean_diff.value)} {interval(r.mean_diff.ci, sign=True)}"),
    ]


VERDICT_STYLE = {
    "better": "$success",
    "worse": "$error",
    "no detectable difference": "$warning",
    "undefined": "$text-muted",
}


def verdict_text(r: RubricComparison) -> str:
    if r.verdict == "no detectable difference":
        mde = f": could not detect changes smaller than ±{r.mde:.3f}" if r.mde is not None else ""
        return f"no detectable difference{mde}"
    if r.verdict == "undefined":
        return "undefined: no case has a label from both versions"
    return r.verdict


def regressed_prompt(
    rubric: str, case: str, tags: Sequence[str], comment: str, *, width: int = 16
) -> Content:
    """One line of the regressed-case list (rubric names padded to WIDTH); all of it is data."""
    return Content.assemble(
        Content.styled(one_line(rubric, width).ljust(width), "bold"),
        "  ",
        one_line(case, 30),
        Content.styled(f"  {one_line(', '.join(tags), 30)}" if tags else "", "$warning"),
        Content.styled(f"  {one_line(comment, 60)}" if comment else "", "dim"),
    )


# -- Trend ---------------------------------------------------------------------------------


def trend_widgets(trend: Trend) -> list[Widget]:
    """Per rubric: a forest plot of pass rate per version (or week) and its sparkline."""
    out: list[Widget] = []
    for name, points in trend.rubrics.items():
        info = trend.thresholds.get(name)
        rows = [
            IntervalRow(p.label, rate_text(p.pass_rate, p.ci, p.passed, p.n), p.pass_rate, p.ci)
            for p in points
        ]
        spark = sparkline([p.pass_rate for p in points])
        title = rule(info) if info is not None else one_line(name, 30)
        out.append(
            section(
                f"{title} · {spark}",
                IntervalRows(rows, threshold=info.min_pass_rate if info else None),
                id=f"trend-{_css_id(name)}",
            )
        )
    if not out:
        out.append(note("No labelled items to draw."))
    return out


# -- Tags ----------------------------------------------------------------------------------


def tags_widgets(report: TagReport) -> list[Widget]:
    """Per version: failures, each tag's count, share [interval], running share, change, new."""
    out: list[Widget] = []
    for v in report.versions:
        lines: list[Content] = []
        if v.failures == 0:
            lines.append(Content("no failures"))
        for t in v.tags:
            change = "" if t.change is None else f" Δ{signed(t.change, 2)}"
            lines.append(
                Content.assemble(
                    Content.styled(one_line(t.tag, 24).ljust(24), "bold"),
                    f" {t.count:>5}  {num(t.share, 2)} {interval(t.ci, 2)}",
                    f"  cum {num(t.cumulative, 2)}{change}",
                    Content.styled("  new" if t.new else "", "bold $warning"),
                )
            )
        if v.untagged:
            lines.append(Content.styled(f"{'(untagged)'.ljust(24)} {v.untagged:>5}", "$text-muted"))
        title = f"{one_line(v.version, 20)} · {v.failures} failures"
        out.append(section(title, Static(Content("\n").join(lines)), id=None))
    if not out:
        out.append(note("No failures to count."))
    return out


def _css_id(name: str) -> str:
    """A widget id from a rubric name (letters, digits, - and _ only)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
