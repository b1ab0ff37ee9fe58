"""Results printed for people: alpha and its diagnostics, judge against humans, status tables.

The commands print `--json` themselves (the result's `to_json()`); these render the
same results as text, reading their attributes. Everything goes through `cli.output`, so text from data is
shown literally, and Rich loads only when a table is printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_annotate.cli.output import add_row, console, literal, say, table
from tui_annotate.core.results.alpha import CONFIDENCE
from tui_annotate.core.results.status import KINDS
from tui_annotate.core.textsafe import visible
from tui_annotate.render import alpha_scale, fmt, plural

if TYPE_CHECKING:
    from tui_annotate.core.results.agreement import AgreementReport
    from tui_annotate.core.results.judge import JudgeReport
    from tui_annotate.core.results.round import RoundResult, RoundStatus
    from tui_annotate.core.results.status import ProjectStatus


def print_result(data: RoundResult | AgreementReport) -> None:
    """Alpha, its interval against the thresholds, and the diagnostics, for people.

    A calibration round's result and `agreement` share these fields.
    """
    out = console()
    th = data.thresholds
    title = f"round {data.round} · " if data.round is not None else ""
    title += f"{data.rubric or ''} · {data.level} alpha"
    out.print(literal(title, "bold"))
    ci = data.ci
    verdict = data.verdict
    line = literal(f"alpha = {fmt(data.alpha)}")
    if ci:
        confidence = data.bootstrap.confidence if data.bootstrap else CONFIDENCE
        line.append(f"   {int(100 * confidence)}% CI [{ci[0]:.3f}, {ci[1]:.3f}]")
    if data.p_below_threshold is not None:
        line.append(f"   P(alpha < {th.pass_at:.3f}) = {data.p_below_threshold:.2f}")
    if verdict:
        style = {"pass": "bold green", "tentative": "bold yellow"}.get(verdict, "bold red")
        line.append("   ")
        line.append_text(literal(verdict.upper(), style))
    out.print(line)
    if data.alpha is None:
        out.print(literal(f"undefined: {data.reason}", "yellow"))
    else:
        for row in alpha_scale(data.alpha, ci, pass_at=th.pass_at, tentative_at=th.tentative_at):
            out.print(literal(row))
    boot = data.bootstrap
    units = f"{plural(data.units, 'pairable unit')}, {plural(len(data.annotators), 'annotator')}"
    if boot:
        units += (
            f"; bootstrap {plural(boot.replicates, 'replicate')} (seed {boot.seed}, "
            f"{boot.undefined} undefined skipped)"
        )
    out.print(literal(units, "dim"))
    per = data.per_annotator
    if per:
        gold = any(p.graded for p in per)
        grid = table(
            "annotator",
            "labels",
            "alpha without",
            "bias",
            *(["accuracy vs gold"] if gold else []),
            title="per annotator",
        )
        for p in per:
            bias = "—" if p.bias is None else f"{p.bias:+.2f}"
            labels = f"{p.labels}" + (f"/{p.of}" if p.of else "")
            extra = [fmt(p.accuracy_vs_gold, 2)] if gold else []
            add_row(grid, p.annotator, labels, fmt(p.alpha_without), bias, *extra)
        out.print(grid)
    if data.disputed:
        grid = table("item", "spread", "scores", title="most disputed")
        for d in data.disputed:
            scores = ", ".join(f"{a}: {s}" for a, s in d.scores.items())
            add_row(grid, d.item, f"{d.spread:g}", scores)
        out.print(grid)


def print_judge_agreement(data: JudgeReport) -> None:
    """`agreement --judge`: the judge against the human consensus, PASS/FAIL, tags, worst gaps."""
    out = console()
    vs = data.vs_consensus
    pf = data.pass_fail
    out.print(
        literal(
            f"{data.judge} vs people on {data.rubric}: "
            f"{plural(data.items, 'item')} labelled by both",
            "bold",
        )
    )
    ci = f" [{vs.ci[0]:.3f}, {vs.ci[1]:.3f}]" if vs.ci else ""
    out.print(
        literal(
            f"alpha judge vs human consensus = {fmt(vs.alpha)}{ci}"
            + (f" ({vs.reason})" if vs.alpha is None else "")
        )
    )
    out.print(literal(f"alpha with the judge as one more annotator = {fmt(data.with_judge.alpha)}"))
    out.print(literal(f"PASS/FAIL: kappa {fmt(pf.kappa)}, agreement {fmt(pf.percent)}"))
    style = "bold green" if data.trustworthy else "bold red"
    out.print(
        literal(
            ("TRUSTWORTHY: " if data.trustworthy else "NOT TRUSTWORTHY: ") + data.trust_reason,
            style,
        )
    )
    grid = table("", "judge PASS", "judge FAIL", title="PASS/FAIL confusion")
    for human, row in data.confusion.items():
        add_row(grid, human, row["judge PASS"], row["judge FAIL"])
    out.print(grid)
    if data.tags:
        tags = table("tag", "humans", "judge", "both", "recall", "precision", title="failure tags")
        for name, t in data.tags.items():
            add_row(tags, name, t.humans, t.judge, t.both, fmt(t.recall, 2), fmt(t.precision, 2))
        out.print(tags)
    if data.largest_disagreements:
        gaps = table("item", "judge", "humans", "judge's rationale", title="largest disagreements")
        for g in data.largest_disagreements:
            add_row(gaps, g.item, g.judge, g.humans, g.rationale)
        out.print(gaps)


def print_status(data: ProjectStatus) -> None:
    """`status`: items, then labels per rubric and annotator and what is left unlabelled."""
    out = console()
    out.print(literal(data.db, "bold") + literal(f": {plural(data.items, 'item')}"))
    grid = table("rubric", "annotator", *KINDS, "items left unlabeled", fixed=("rubric", *KINDS))
    for name, entry in data.rubrics.items():
        first = True
        for annotator, counts in entry.annotators.items():
            add_row(
                grid,
                name if first else "",
                annotator,
                *(getattr(counts, k) for k in KINDS),
                entry.unlabeled_items if first else "",
            )
            first = False
        if first:
            add_row(grid, name, "—", 0, 0, 0, 0, 0, entry.unlabeled_items)
    out.print(grid)
    out.print(
        literal(
            "held: handed out, not yet labelled; lapsed: held by an annotator whose "
            "app stopped answering (the next one who asks gets it)",
            "dim",
        )
    )


def print_round_status(data: RoundStatus | list[RoundStatus]) -> None:
    """`calibrate status`: each round's progress per annotator, one line each."""
    for entry in data if isinstance(data, list) else [data]:
        verdict = f", {entry.verdict} (alpha {fmt(entry.alpha)})" if entry.verdict else ""
        say(
            f"round {entry.round} · {entry.rubric} {entry.rubric_version} · "
            f"{entry.status}{verdict} · {plural(entry.items, 'item')}"
        )
        for name, p in entry.annotators.items():
            say(f"  {visible(name):<20} {p.done:>4} / {p.of}")
    if isinstance(data, list) and not data:
        say("no calibration rounds yet")
