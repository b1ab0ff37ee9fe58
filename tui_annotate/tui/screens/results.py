"""A closed round's result: alpha against the thresholds, who disagrees, and on what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from textual.app import ComposeResult
from textual.containers import HorizontalGroup, VerticalGroup, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_annotate.core.results.alpha import CONFIDENCE
from tui_annotate.core.results.round import RoundResult
from tui_annotate.core.results.rows import PairRow
from tui_annotate.core.results.thresholds import Thresholds
from tui_annotate.core.textsafe import one_line
from tui_annotate.render import fmt, plural
from tui_annotate.tui.action_views import bindings
from tui_annotate.tui.actions import RESULTS
from tui_annotate.tui.widgets.alpha_bar import VERDICT_STYLE, AlphaBar

#: Below this width the per-annotator table and the pairwise matrix stack.
WIDE = 100
#: Cells a section's round border and padding take across.
BOX = 4

VERDICT_TEXT = {
    "pass": "alpha ≥ {pass:.3f}: reliable enough to annotate live",
    "tentative": "{tentative:.3f} ≤ alpha < {pass:.3f}: tentative conclusions only",
    "fail": "alpha < {tentative:.3f}: not reliable; revise the rubric or retrain",
    "undefined": "no alpha to judge",
}


class ResultsScreen(Screen[None]):
    """Read-only: every section is text built once from the stored result, in one scroll."""

    BINDINGS = bindings(RESULTS)

    def __init__(self, result: RoundResult | Mapping[str, Any], *, closes_app: bool = True) -> None:
        super().__init__()
        #: A stored result (its JSON) is read back into the typed result.
        self.result = result if isinstance(result, RoundResult) else RoundResult.from_json(result)
        #: In `calibrate show` q ends the app; over the annotation app it only closes this.
        self.closes_app = closes_app
        self.thresholds = self.result.thresholds
        result = self.result
        self.annotators = annotator_table(result)
        self.pairwise = pairwise_matrix(result)

    def compose(self) -> ComposeResult:
        r = self.result
        yield Static(header(r), id="results-header")
        with VerticalScroll(id="results-body"):
            with VerticalGroup(id="agreement", classes="results-section") as box:
                box.border_title = f"{r.level} alpha".strip()
                yield Static(summary(r, self.thresholds), id="summary")
                yield AlphaBar(
                    r.alpha,
                    list(r.ci) if r.ci else None,
                    id="alpha-bar",
                    pass_at=self.thresholds.pass_at,
                    tentative_at=self.thresholds.tentative_at,
                )
            with HorizontalGroup(id="results-row"):
                yield Static(self.annotators, id="per-annotator", classes="results-section")
                yield Static(self.pairwise, id="pairwise", classes="results-section")
            yield Static(disputed_table(r), id="disputed", classes="results-section")
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "per-annotator": "per annotator",
            "pairwise": "pairwise agreement",
            "disputed": "most disputed items",
        }
        for name, title in titles.items():
            self.query_one(f"#{name}").border_title = title
        self.query_one(AlphaBar).display = self.result.alpha is not None
        self.query_one("#results-body").focus()

    def on_resize(self, event: Resize) -> None:
        # Side by side only when both tables fit whole (each box adds a border and padding).
        wanted = _width(self.annotators) + _width(self.pairwise) + 2 * BOX + 1
        self.set_class(event.size.width < max(WIDE, wanted), "narrow")

    async def action_quit(self) -> None:
        if self.closes_app:
            self.app.exit()
        else:
            self.dismiss(None)


def header(r: RoundResult) -> Content:
    parts: list[Content | str] = [
        Content.styled(" results", "bold"),
        " │ ",
        Content.styled(f"round {r.round}", "bold") if r.round is not None else "",
        f" · {one_line(r.rubric, 30)} {one_line(r.rubric_version, 12)}",
        f" · {r.level}",
        f" · {plural(len(r.annotators), 'annotator')} · {plural(r.items or r.units or 0, 'item')}",
    ]
    return Content.assemble(*parts)


def verdict_badge(verdict: str) -> Content:
    return Content.styled(f" {verdict.upper()} ", f"bold reverse {VERDICT_STYLE[verdict]}")


def summary(r: RoundResult, thresholds: Thresholds) -> Content:
    """Alpha (or why there is none), the interval, the verdict, P(alpha < pass), the sample."""
    alpha = r.alpha
    verdict = r.verdict or ("undefined" if alpha is None else "fail")
    verdict = verdict if verdict in VERDICT_STYLE else "fail"
    style = f"bold {VERDICT_STYLE[verdict]}"
    lines: list[Content] = []
    if alpha is None:
        reason = r.reason or "no reason given"
        lines.append(
            Content.assemble(
                Content.styled("alpha  ", "bold"),
                Content.styled(f"undefined: {reason}", style),
                "   ",
                verdict_badge("undefined"),
            )
        )
        lines.append(
            Content.styled(
                "Nothing to measure: alpha needs variation and units with two or more labels.",
                "dim",
            )
        )
    else:
        head: list[Content | str] = [
            Content.styled("alpha  ", "bold"),
            Content.styled(f"{alpha:.3f}", style),
        ]
        ci = r.ci
        if ci:
            level = round(100 * float(r.bootstrap.confidence if r.bootstrap else CONFIDENCE))
            head.append(f"   {level}% CI [{ci[0]:.3f}, {ci[1]:.3f}]")
        head += ["   ", verdict_badge(verdict), "  "]
        head.append(Content.styled(VERDICT_TEXT[verdict].format(**thresholds.to_json()), "dim"))
        lines.append(Content.assemble(*head))
        p_below = r.p_below_threshold
        if p_below is not None:
            lines.append(
                Content.assemble(
                    f"P(alpha < {thresholds.pass_at:.3f}) = ",
                    Content.styled(f"{p_below:.2f}", "bold"),
                    Content.styled("  share of bootstrap replicates below the pass line", "dim"),
                )
            )
        if verdict == "pass" and ci and ci[0] < thresholds.pass_at:
            lines.append(
                Content.styled(
                    "The interval reaches below the pass line: a larger round would settle it.",
                    "$warning",
                )
            )
    lines.append(Content.styled(sample_line(r), "dim"))
    return Content("\n").join(lines)


def sample_line(r: RoundResult) -> str:
    items = r.items
    of = plural(items, "item") if isinstance(items, int) else "? items"
    text = f"{plural(r.units or 0, 'pairable unit')} of {of}"
    text += f" · {plural(len(r.annotators), 'annotator')}"
    boot = r.bootstrap
    if boot:
        text += (
            f" · bootstrap {plural(boot.replicates, 'replicate')}, seed {boot.seed},"
            f" {boot.undefined} undefined skipped"
        )
    return text


def _width(content: Content) -> int:
    return max((line.cell_length for line in content.split("\n")), default=0)


def _cell(text: str, width: int, style: str = "", *, right: bool = False) -> Content:
    text = one_line(text, width)
    text = text.rjust(width) if right else text.ljust(width)
    return Content.styled(text, style) if style else Content(text)


def annotator_table(r: RoundResult) -> Content:
    """Annotator · labels/of · alpha without · bias (· accuracy vs gold)."""
    per = r.per_annotator
    if not per:
        return Content.styled("no annotators", "dim")
    alpha = r.alpha
    gold = any(p.graded for p in per)
    name_w = min(20, max(9, *(len(p.annotator) for p in per)))
    head = [
        _cell("annotator", name_w, "bold"),
        _cell("labels", 8, "bold", right=True),
        _cell("α without", 11, "bold", right=True),
        _cell("bias", 7, "bold", right=True),
    ]
    if gold:
        head.append(_cell("vs gold", 12, "bold", right=True))
    lines = [Content(" ").join(head)]
    raised = False
    for p in per:
        without = p.alpha_without
        # Leaving this annotator out raises alpha: they are the one the others disagree with.
        rises = alpha is not None and without is not None and without > alpha
        raised = raised or rises
        bias = p.bias
        labels = f"{p.labels}" + (f"/{p.of}" if p.of else "")
        row = [
            _cell(p.annotator, name_w),
            _cell(labels, 8, right=True),
            _cell(
                fmt(without) + (" ↑" if rises else "  "),
                11,
                "$warning" if rises else "",
                right=True,
            ),
            _cell(
                "—" if bias is None else f"{bias:+.2f}",
                7,
                "$warning" if bias is not None and abs(bias) >= 0.5 else "",
                right=True,
            ),
        ]
        if gold:
            acc = p.accuracy_vs_gold
            n = p.gold_items
            row.append(_cell("—" if acc is None else f"{acc:.0%} of {n}", 12, right=True))
        lines.append(Content(" ").join(row))
    lines.append(Content(""))
    if raised:
        lines.append(Content.styled("↑ alpha rises without them", "dim"))
    lines.append(Content.styled("bias: mean score − the others' (+ rates higher)", "dim"))
    return Content("\n").join(lines)


def pairwise_matrix(r: RoundResult) -> Content:
    """Exact agreement between every two annotators, as a symmetric matrix."""
    names = list(r.annotators)
    pairs = r.pairwise
    if len(names) < 2 or not pairs:
        return Content.styled("fewer than two annotators", "dim")
    cell: dict[tuple[str, str], PairRow] = {}
    for p in pairs:
        cell[(p.a, p.b)] = cell[(p.b, p.a)] = p
    units = {p.units for p in pairs}
    texts: dict[tuple[str, str], str] = {}
    for (a, b), p in cell.items():
        if p.agreement is not None:
            # The item count goes in every cell only when it differs between pairs.
            texts[(a, b)] = f"{p.agreement:.0%}" + ("" if len(units) == 1 else f"/{p.units}")
    name_w = min(12, max(len(n) for n in names))
    col_w = max(4, min(8, name_w), *(len(t) for t in texts.values()))
    lines = [
        Content.assemble(
            " " * name_w,
            *(Content.assemble(" ", _cell(n, col_w, "bold", right=True)) for n in names),
        )
    ]
    for a in names:
        row: list[Content | str] = [_cell(a, name_w, "bold")]
        for b in names:
            if a == b:
                row += [" ", _cell("·", col_w, "dim", right=True)]
            else:
                row += [" ", _cell(texts.get((a, b), "—"), col_w, right=True)]
        lines.append(Content.assemble(*row))
    lines.append(Content(""))
    on = (
        f"on the {plural(units.pop(), 'item')} both labelled"
        if len(units) == 1
        else "(% / items both labelled)"
    )
    lines.append(Content.styled(f"exact agreement {on}", "dim"))
    return Content("\n").join(lines)


def disputed_table(r: RoundResult) -> Content:
    """The items with the widest spread of scores, and every annotator's score on each."""
    disputed = r.disputed
    if not disputed:
        return Content.styled("no disputed items: the annotators agreed on every item", "dim")
    item_w = min(24, max(4, *(len(one_line(str(d.item), 24)) for d in disputed)))
    lines = [
        Content(" ").join(
            [
                _cell("item", item_w, "bold"),
                _cell("spread", 6, "bold", right=True),
                Content.styled("scores", "bold"),
            ]
        )
    ]
    for d in disputed:
        scores = d.scores
        top = Counter(scores.values()).most_common(2)
        # Only a clear majority makes a score "off"; a tie colours nothing.
        common = top[0][0] if top and (len(top) == 1 or top[0][1] > top[1][1]) else None
        parts: list[Content] = []
        for name, score in scores.items():
            parts.append(
                Content.assemble(
                    Content(one_line(str(name), 16)),
                    " ",
                    Content.styled(
                        str(score), "bold $warning" if common not in (None, score) else "bold"
                    ),
                )
            )
        lines.append(
            Content(" ").join(
                [
                    _cell(str(d.item), item_w),
                    _cell(f"{d.spread:g}", 6, right=True),
                    Content(" · ").join(parts),
                ]
            )
        )
    lines.append(Content(""))
    lines.append(Content.styled("in colour: a score off the item's most common one", "dim"))
    return Content("\n").join(lines)
