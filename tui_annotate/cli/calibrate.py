"""`calibrate start|status|close|show|review|adjudicate`: rounds that decide who goes live."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from tui_annotate import access
from tui_annotate.cli.context import Context, errors_to_exit, lead_only, split_names, thresholds
from tui_annotate.cli.output import emit_json, say
from tui_annotate.cli.printers import print_result, print_round_status
from tui_annotate.core.results.alpha import DEFAULT_BOOTSTRAP
from tui_annotate.errors import InputError
from tui_annotate.render import plural

if TYPE_CHECKING:
    from tui_annotate.core.results.round import RoundStatus


@click.group()
def calibrate() -> None:
    """Calibration rounds: annotators label the same items blind; alpha decides who goes live."""


@calibrate.command("start")
@click.option("--rubric", "rubric_name", required=True, help="The rubric to calibrate.")
@click.option("--annotators", required=True, metavar="A,B,C", help="Who takes part (two or more).")
@click.option(
    "--items",
    type=click.IntRange(min=1),
    default=None,
    help="How many items to sample [default: 30, or every golden item].",
)
@click.option("--from-golden", is_flag=True, help="Sample from the golden (adjudicated) items.")
@click.option("--seed", type=int, default=None, help="Seed for the sample and the bootstrap.")
@click.option("--json", "as_json", is_flag=True, help="Print the round as JSON.")
@click.pass_obj
@errors_to_exit
@lead_only("calibrate start")
def calibrate_start(
    obj: Context,
    rubric_name: str,
    annotators: str,
    items: int | None,
    from_golden: bool,
    seed: int | None,
    as_json: bool,
) -> None:
    """Open a round: a sample stratified over prompts and prompt versions."""
    from tui_annotate.core import calibration

    rubric = obj.rubric(rubric_name)
    with obj.repo() as repo:
        round_ = calibration.start_round(
            repo,
            rubric,
            split_names(annotators) or [],
            items=items,
            from_golden=from_golden,
            seed=seed,
            created_by=access.login_name(),
        )
        data = calibration.status(repo, round_)
    if as_json:
        emit_json(data.to_json())
        return
    say(str(round_.id))
    say(
        f"round {round_.id} open: {plural(round_.items, 'item')} of {rubric.name} "
        f"{rubric.version} for {', '.join(round_.annotators)} (seed {round_.seed}). "
        "They get these items first, blind.",
        err=True,
    )


@calibrate.command("status")
@click.argument("round_id", metavar="[ROUND]", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def calibrate_status(obj: Context, round_id: int | None, as_json: bool) -> None:
    """Progress per annotator in ROUND (default: the open round; every round if none is open)."""
    from tui_annotate.core import calibration

    with obj.repo() as repo:
        if round_id is None and not repo.rounds.find(status="open"):
            data: RoundStatus | list[RoundStatus] = [
                calibration.status(repo, r) for r in repo.rounds.find()
            ]
        else:
            data = calibration.status(repo, calibration.find_round(repo, round_id))
    if as_json:
        emit_json([d.to_json() for d in data] if isinstance(data, list) else data.to_json())
        return
    print_round_status(data)


@calibrate.command("close")
@click.argument("round_id", metavar="[ROUND]", type=int, required=False)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=DEFAULT_BOOTSTRAP,
    show_default=True,
    help="Bootstrap replicates for the confidence interval.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--force", is_flag=True, help="Close even a round nobody has labelled yet.")
@click.pass_obj
@errors_to_exit
@lead_only("calibrate close")
def calibrate_close(
    obj: Context, round_id: int | None, bootstrap: int, as_json: bool, force: bool
) -> None:
    """Compute alpha, its interval and diagnostics; store the verdict; exit 1 unless it passed."""
    from tui_annotate.core import calibration

    with obj.repo() as repo:
        round_ = calibration.find_round(repo, round_id)
        rubric = obj.rubric(round_.rubric)
        data = calibration.close_round(
            repo, round_, rubric, thresholds=thresholds(obj), bootstrap=bootstrap, force=force
        )
    if as_json:
        emit_json(data.to_json())
    else:
        print_result(data)
    if data.verdict != "pass":
        sys.exit(1)


@calibrate.command("show")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON instead of opening the app.")
@click.option("--text", "as_text", is_flag=True, help="Print as text instead of opening the app.")
@click.pass_obj
@errors_to_exit
def calibrate_show(obj: Context, round_id: int, as_json: bool, as_text: bool) -> None:
    """Show a closed round's result: in the app, or as text or JSON."""
    from tui_annotate.core import calibration

    with obj.repo(readonly=True) as repo:
        round_ = calibration.find_round(repo, round_id)
    if round_.is_open:
        raise InputError(f"round {round_id} is still open; results come after close (blind)")
    if as_json:
        # The stored document itself, as close wrote it (RoundResult.to_json()).
        emit_json(round_.result)
        return
    if as_text or not sys.stdout.isatty():
        from tui_annotate.core.results.round import RoundResult

        print_result(RoundResult.from_json(round_.result))
        return
    from tui_annotate.tui.keymap import check
    from tui_annotate.tui.results_app import ResultsApp

    keys = check(obj.settings.keymap, None)  # a clash: exit 2 before the app opens
    ResultsApp(round_.result, keymap=keys).run()


@calibrate.command("review")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--adjudicator", default=None, help="Your name on golden labels [default: login].")
@click.pass_obj
@errors_to_exit
@lead_only("calibrate review")
def calibrate_review(obj: Context, round_id: int, adjudicator: str | None) -> None:
    """Walk the round's disputed items and adjudicate golden labels (the app)."""
    from tui_annotate.core import calibration
    from tui_annotate.store.repository import Repository

    adjudicator = access.annotator_name(adjudicator, obj.settings, "--adjudicator")
    repo = Repository.open(obj.db_path)
    try:
        round_ = calibration.find_round(repo, round_id)
        rubric = obj.rubric(round_.rubric)
        items = calibration.review_items(repo, round_, rubric)
        if not items:
            say(f"round {round_id}: no disputed items; nothing to adjudicate")
            return
        from tui_annotate.tui.keymap import check
        from tui_annotate.tui.review_app import ReviewApp

        keymap = check(obj.settings.keymap, rubric)  # a clash: exit 2 before the app opens
        app = ReviewApp(
            repo=repo,
            round_=round_,
            rubric=rubric,
            items=items,
            adjudicator=adjudicator,
            keymap=keymap,
        )
        app.run()
    finally:
        repo.close()


@calibrate.command("adjudicate")
@click.argument("round_id", metavar="ROUND", type=int)
@click.argument("item_id", metavar="ITEM")
@click.argument("score", type=int)
@click.option("--note", default="", help="Why this is the consensus label.")
@click.option("--adjudicator", default=None, help="Your name [default: login].")
@click.pass_obj
@errors_to_exit
@lead_only("calibrate adjudicate")
def calibrate_adjudicate(
    obj: Context, round_id: int, item_id: str, score: int, note: str, adjudicator: str | None
) -> None:
    """Set the golden label of ITEM (its external id) from ROUND without opening the app."""
    from tui_annotate.core import calibration, review

    adjudicator = access.annotator_name(adjudicator, obj.settings, "--adjudicator")
    with obj.repo() as repo:
        round_ = calibration.find_round(repo, round_id)
        review.require_closed(round_)
        rubric = obj.rubric(round_.rubric)
        review.adjudicate_in_round(
            repo, round_, rubric, item_id, score, note=note, adjudicator=adjudicator
        )
    say(f"golden: {item_id} = {score} ({rubric.name})")
