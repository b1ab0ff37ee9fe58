"""`agreement`: Krippendorff's alpha over the database or a label file, or the judge against people."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui_annotate.cli.context import Context, errors_to_exit, split_names, thresholds
from tui_annotate.cli.output import emit_json, say
from tui_annotate.cli.printers import print_judge_agreement, print_result
from tui_annotate.core.results.alpha import DEFAULT_BOOTSTRAP
from tui_annotate.errors import InputError
from tui_annotate.render import plural

if TYPE_CHECKING:
    from tui_annotate.core.results.agreement import AgreementReport


@click.command()
@click.option(
    "--rubric", "rubric_name", default=None, help="The rubric [default: the only one in use]."
)
@click.option("--round", "round_id", type=int, default=None, help="Only this (closed) round.")
@click.option("--annotators", default=None, metavar="A,B", help="Only these annotators.")
@click.option(
    "--level",
    type=click.Choice(["nominal", "ordinal", "interval", "ratio"]),
    default=None,
    help="Level of measurement [default: the rubric's].",
)
@click.option("--live", is_flag=True, help="Only live labels (drift after calibration).")
@click.option(
    "--window",
    default=None,
    metavar="DURATION",
    help="With --live: only items of the last DURATION (m, h, d, w), by their timestamp, "
    "else imported_at: the alpha `drift` shows beside the pass rate.",
)
@click.option("--prompt", default=None, help="With --window: only this prompt's items.")
@click.option(
    "--now",
    "at",
    default=None,
    metavar="ISO-8601",
    help="With --window: the window ends at this moment (with a zone) [default: now].",
)
@click.option(
    "--judge",
    "judge_model",
    default=None,
    metavar="MODEL",
    help="Measure the LLM judge judge:MODEL against the humans.",
)
@click.option(
    "--file",
    "label_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Labels from a CSV/JSONL file (item_id, annotator, score) instead of the database.",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=DEFAULT_BOOTSTRAP,
    show_default=True,
    help="Bootstrap replicates for the confidence interval (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def agreement(
    obj: Context,
    rubric_name: str | None,
    round_id: int | None,
    annotators: str | None,
    level: str | None,
    live: bool,
    window: str | None,
    prompt: str | None,
    at: str | None,
    judge_model: str | None,
    label_file: Path | None,
    bootstrap: int,
    seed: int,
    as_json: bool,
) -> None:
    """Krippendorff's alpha with a bootstrap interval and per-annotator diagnostics."""
    from tui_annotate.core import agreement_report

    if judge_model is not None:
        _judge_agreement(obj, rubric_name, judge_model, bootstrap, seed, as_json)
        return

    wanted = split_names(annotators)
    limits = thresholds(obj)
    if window is None and (prompt is not None or at is not None):
        raise click.UsageError("--prompt and --now go with --live --window")
    if window is not None and not live:
        raise click.UsageError("--window needs --live: the window's live labels")
    if window is not None and (label_file is not None or round_id is not None):
        raise click.UsageError(
            "--window counts the project's live labels: not with --file or --round"
        )
    if label_file is not None:
        rubric = obj.rubric(rubric_name) if rubric_name else None
        data = agreement_report.from_file(
            label_file,
            rubric=rubric,
            level=level,
            annotators=wanted,
            bootstrap=bootstrap,
            seed=seed,
            thresholds=limits,
        )
    else:
        obj.require_db()
        with obj.repo(readonly=True) as repo:
            if rubric_name is None:
                rubric_name = agreement_report.only_rubric(repo, round_id)
            rubric = obj.rubric(rubric_name)
            span = None
            if window is not None:
                from tui_annotate.cli.drift import moment
                from tui_annotate.core.live.window import live_window

                known = repo.decide_prompts()
                if prompt is not None and prompt not in known:
                    raise InputError(
                        f"no items of prompt {prompt!r} (prompts: {', '.join(known) or 'none'})",
                        field="--prompt",
                    )
                span = live_window(repo, moment(at), window, prompt)
            data = agreement_report.from_db(
                repo,
                rubric,
                round_id=round_id,
                level=level,
                annotators=wanted,
                live=live,
                bootstrap=bootstrap,
                seed=seed,
                thresholds=limits,
                only_items=None if span is None else span.item_ids,
                window=None if span is None else span.to_json(),
            )
    _say_what_was_left_out(data)
    if data.window is not None:
        w = data.window
        of = f" of prompt {w['prompt']}" if w["prompt"] else ""
        say(
            f"agreement: live labels on the {plural(w['items'], 'item')}{of} from {w['from']}"
            f" to {w['to']} ({w['window']})",
            err=True,
        )
    if as_json:
        emit_json(data.to_json())
    else:
        print_result(data)


def _say_what_was_left_out(data: AgreementReport) -> None:
    """On stderr, beside the table or the JSON: labels held back and annotators with none."""
    left = data.left_out
    if left is not None and left.labels:
        say(f"agreement: left out {plural(left.labels, 'label')} {left.reason}", err=True)
    if data.without_labels:
        where = f" on {data.rubric}" if data.rubric else ""
        names = ", ".join(data.without_labels)
        say(f"agreement: no labels{where} from {names}", err=True)


def _judge_agreement(
    obj: Context, rubric_name: str | None, model: str, bootstrap: int, seed: int, as_json: bool
) -> None:
    from tui_annotate.core import agreement_report
    from tui_annotate.core.judge import report as judge_report

    obj.require_db()
    with obj.repo(readonly=True) as repo:
        rubric = obj.rubric(rubric_name or agreement_report.only_rubric(repo, None))
        data = judge_report.judge_vs_humans(
            repo,
            rubric,
            model,
            bootstrap=bootstrap,
            seed=seed,
            threshold=thresholds(obj).pass_at,
            min_kappa=obj.settings.judge_min_kappa,
        )
    if as_json:
        emit_json(data.to_json())
    else:
        print_judge_agreement(data)
    if not data.trustworthy:
        sys.exit(1)  # a failed check, like a round below threshold
