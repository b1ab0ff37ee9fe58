"""Deciding's results for people: the text tables, the numbers' format and the forest plot.

Every rate is printed with its n and interval ("0.85 [0.64, 0.95] n=20") and
an undefined one as "—", never 0: the point of these commands is that 17/20
and 850/1000 do not look alike. Each renderer reads one result object
(core/results/decide.py), the same one `--json` prints, so text, JSON, the
JUnit report, the PR comment and the gate's exit code cannot disagree.

Names, tags, comments and case ids are data: they go through `cli.output`, so
they are shown literally. The gate's JUnit and Markdown files are in `gate_files`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_annotate.cli.output import add_row, console, literal, say, table
from tui_annotate.core.decide.draw import interval_bar, sparkline
from tui_annotate.render import plural

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tui_annotate.core.results.decide import (
        CI,
        Comparison,
        DuplicateInCase,
        Estimate,
        GateCheck,
        GateReport,
        RubricInfo,
        Scorecard,
        TagReport,
        Trend,
    )

#: What an undefined number prints as (n = 0, no pairs): a dash, never a 0.
UNDEFINED = "—"
#: Regressed cases listed per rubric in the text (a table of thousands helps nobody);
#: --json has them all.
REGRESSED_SHOWN = 20
#: Width of the forest plot's bars.
BAR_WIDTH = 24


# --- numbers -------------------------------------------------------------------------------


def num(value: float | None, digits: int = 2, *, signed: bool = False) -> str:
    if value is None:
        return UNDEFINED
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def interval(ci: CI, digits: int = 2, *, signed: bool = False) -> str:
    if ci is None:
        return ""
    return f"[{num(ci[0], digits, signed=signed)}, {num(ci[1], digits, signed=signed)}]"


def rate_text(value: float | None, ci: CI, n: int, *, signed: bool = False) -> str:
    """'0.85 [0.64, 0.95] n=20', or '— n=0' when nothing was measured."""
    parts = [num(value, signed=signed)]
    if value is not None and ci is not None:
        parts.append(interval(ci, signed=signed))
    parts.append(f"n={n}")
    return " ".join(parts)


def estimate_text(e: Estimate, *, signed: bool = False) -> str:
    return num(e.value, signed=signed) + (
        "" if e.ci is None else " " + interval(e.ci, signed=signed)
    )


def p_text(p: float | None) -> str:
    if p is None:
        return UNDEFINED
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def rule_text(info: RubricInfo) -> str:
    """How the rubric passes: 'PASS at 4+' or 'PASS at 1 or less', and its gate settings."""
    rule = (
        f"PASS at {info.threshold}+"
        if info.direction == "higher"
        else f"PASS at {info.threshold} or less"
    )
    extra = []
    if info.min_pass_rate is not None:
        extra.append(f"min pass rate {info.min_pass_rate:.2f}")
    if info.zero_tolerance:
        extra.append("zero tolerance")
    if info.weight != 1.0:
        extra.append(f"weight {info.weight:g}")
    return f"{info.name} v{info.version}: {rule}" + "".join(f" · {e}" for e in extra)


# --- scorecard -----------------------------------------------------------------------------


def print_scorecard(card: Scorecard) -> None:
    out = console()
    out.print(literal(f"scorecard · {card.prompt} · source {card.source}", "bold"))
    for info in card.rubrics.values():
        out.print(literal(rule_text(info), "dim"))
    names = list(card.rubrics)
    grid = table("version", "composite", *names, fixed=("version",))
    for v in card.versions:
        cells = []
        for name in names:
            m = v.metrics.get(name)
            if m is None:
                cells.append(UNDEFINED)
                continue
            lines = [rate_text(m.pass_rate, m.ci, m.n)]
            if m.mean_score is not None:
                lines.append(f"mean {m.mean_score:.2f} {interval(m.mean_ci)}".rstrip())
            if m.fail_rate_upper is not None:
                lines.append(f"0 FAIL: fail rate ≤ {m.fail_rate_upper:.2f} (rule of three)")
            if card.source != "human":
                lines.append(
                    f"judge only {m.n_judge_only}, both {m.n_both}, "
                    f"judge pass rate {num(m.judge_pass_rate)}"
                )
            cells.append("\n".join(lines))
        add_row(grid, v.version, estimate_text(v.composite), *cells)
    out.print(grid)
    out.print(literal(_SCORECARD_NOTE.get(card.source, _SCORECARD_NOTE["human"]), "dim"))
    out.print(
        literal(
            f"mean: bootstrap {plural(card.bootstrap, 'replicate')} (seed {card.seed}); "
            "the composite ranks versions and never decides a gate",
            "dim",
        )
    )


#: What a scorecard's rate and n are, by --source.
_SCORECARD_NOTE = {
    "human": "pass rate [95% Wilson interval] n=items with a golden or human label",
    "judge": "pass rate [95% Wilson interval] n=items with a golden or human label, "
    "else the judge's",
    "ppi": "pass rate: the prediction-powered estimate [its 95% interval] over n = items only "
    "the judge labelled + items with both; beside it the judge's plain pass rate",
}


# --- compare -------------------------------------------------------------------------------


def print_comparison(cmp: Comparison) -> None:
    out = console()
    out.print(
        literal(
            f"compare · {cmp.prompt} · {cmp.baseline} → {cmp.candidate} · source {cmp.source}",
            "bold",
        )
    )
    grid = table(
        "rubric",
        "pairs",
        "PASS→FAIL",
        "FAIL→PASS",
        "McNemar p",
        "Holm p",
        "Δ pass rate",
        "Δ mean",
        "verdict",
        fixed=("pairs", "PASS→FAIL", "FAIL→PASS", "McNemar p", "Holm p"),
    )
    for name, r in cmp.rubrics.items():
        verdict: str = r.verdict
        if verdict == "no detectable difference" and r.mde is not None:
            verdict += f" (could not detect changes smaller than ±{r.mde:.2f})"
        style = {"better": "green", "worse": "bold red"}.get(r.verdict, "")
        add_row(
            grid,
            name,
            r.n_pairs,
            r.pass_to_fail,
            r.fail_to_pass,
            p_text(r.mcnemar_p) if r.n_pairs else UNDEFINED,
            p_text(r.p_holm) if r.n_pairs else UNDEFINED,
            estimate_text(r.diff, signed=True),
            estimate_text(r.mean_diff, signed=True),
            literal(verdict, style),
        )
    out.print(grid)
    for name, r in cmp.rubrics.items():
        if not r.regressed:
            continue
        grid = table(
            "case", "item", "tags", "comment", title=f"{name}: PASS → FAIL ({len(r.regressed)})"
        )
        for case in r.regressed[:REGRESSED_SHOWN]:
            add_row(grid, case.case, case.item, ", ".join(case.tags), case.comment)
        out.print(grid)
        if len(r.regressed) > REGRESSED_SHOWN:
            more = len(r.regressed) - REGRESSED_SHOWN
            out.print(literal(f"… and {more} more (--json lists every one)", "dim"))
    say_duplicates("compare", cmp.duplicates_in_case)


def say_duplicates(command: str, found: Sequence[DuplicateInCase]) -> None:
    """On stderr: each case where a version has several items, and the one that was paired."""
    for d in found:
        say(
            f"{command}: version {d.version} has {1 + len(d.dropped)} items in case {d.case}; "
            f"compared {d.kept} (more human labels, then lower id)",
            err=True,
        )


# --- gate ----------------------------------------------------------------------------------

_DECISION_STYLE = {"pass": "bold green", "fail": "bold red", "inconclusive": "bold yellow"}


def check_value(c: GateCheck) -> str:
    """The check's number: a difference is signed, a count is whole, a rate has n and an interval."""
    if c.kind == "non_inferiority":
        return rate_text(c.value, c.ci, c.n, signed=True)
    if c.kind == "zero_tolerance":  # the value is the count of FAIL labels
        return f"{UNDEFINED if c.value is None else int(c.value)} FAIL n={c.n}"
    return rate_text(c.value, c.ci, c.n)


def check_threshold(c: GateCheck) -> str:
    if c.kind == "zero_tolerance":
        return "0 FAIL"
    return num(c.threshold, signed=c.kind == "non_inferiority")


def print_gate(report: GateReport, exit_code: int) -> None:
    out = console()
    against = f" vs {report.baseline}" if report.baseline else ""
    head = literal(f"gate · {report.prompt} · {report.candidate}{against}: ")
    head.append_text(literal(report.decision.upper(), _DECISION_STYLE[report.decision]))
    head.append(f" (exit {exit_code})")
    out.print(head)
    grid = table(
        "metric",
        "check",
        "decision",
        "value",
        "threshold",
        "reason",
        fixed=("check", "decision", "threshold"),
    )
    for c in report.checks:
        add_row(
            grid,
            c.metric,
            c.kind,
            literal(c.decision, _DECISION_STYLE[c.decision]),
            check_value(c),
            check_threshold(c),
            c.reason,
        )
    out.print(grid)
    if not report.checks:
        say(
            "gate: nothing to check: set [scorecard.metrics.NAME] min_pass_rate or "
            "zero_tolerance in tui-annotate.toml, or pass --baseline",
            err=True,
        )
    out.print(literal(f"lock {report.lock}", "dim"))
    say_duplicates("gate", report.duplicates_in_case)


# --- tags ----------------------------------------------------------------------------------


def print_tags(report: TagReport) -> None:
    out = console()
    rubrics = ", ".join(report.rubrics)
    out.print(
        literal(f"failure tags · {report.prompt} · {rubrics} · source {report.source}", "bold")
    )
    for v in report.versions:
        if not v.failures:
            out.print(literal(f"{v.version}: no failures"))
            continue
        grid = table(
            "tag",
            "count",
            "share [95% CI]",
            "cumulative",
            "change",
            "",
            title=f"{v.version}: {plural(v.failures, 'failure')}, {v.untagged} untagged",
            fixed=("count", "cumulative", "change"),
        )
        for t in v.tags:
            add_row(
                grid,
                t.tag,
                t.count,
                f"{num(t.share)} {interval(t.ci)}".rstrip(),
                num(t.cumulative),
                num(t.change, signed=True),
                "new" if t.new else "",
            )
        out.print(grid)


# --- trend ---------------------------------------------------------------------------------


def forest_lines(trend: Trend, *, ascii: bool = False) -> list[str]:
    """The text forest plot: per rubric a heading with its sparkline, then a bar per row."""
    lines: list[str] = []
    for name, points in trend.rubrics.items():
        info = trend.thresholds.get(name)
        threshold = info.min_pass_rate if info is not None else None
        spark = sparkline([p.pass_rate for p in points], ascii=ascii)
        rule = f" ({rule_text(info)})" if info is not None else ""
        lines.append(f"{name}{rule}  {spark}")
        width = max((len(p.label) for p in points), default=0)
        lines.append(f"  {''.ljust(width)}  0{' ' * (BAR_WIDTH - 2)}1")
        for p in points:
            lo, hi = p.ci if p.ci is not None else (None, None)
            bar = interval_bar(lo, hi, p.pass_rate, BAR_WIDTH, threshold=threshold, ascii=ascii)
            text = rate_text(p.pass_rate, p.ci, p.n)
            lines.append(f"  {p.label.ljust(width)}  {bar} {text}")
        if threshold is not None:
            mark = "|" if ascii else "│"
            lines.append(f"  {''.ljust(width)}  {mark} = min pass rate {threshold:.2f}")
        lines.append("")
    return lines


def print_trend(trend: Trend, *, ascii: bool = False) -> None:
    out = console()
    out.print(literal(f"trend · {trend.prompt} · by {trend.by} · source {trend.source}", "bold"))
    # The interval is Wilson's except under --source ppi, where it is the PPI interval.
    rate = (
        "the prediction-powered pass rate with its 95% interval"
        if trend.source == "ppi"
        else "pass rate with its 95% Wilson interval"
    )
    out.print(literal(f"{rate}, on an axis from 0 to 1", "dim"))
    for line in forest_lines(trend, ascii=ascii):
        out.print(literal(line))
