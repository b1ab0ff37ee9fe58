"""`pairwise`: blind side-by-side A/B of prompt versions — start a task, annotate, status, results.

Thin: each command parses its options, calls core/pairwise, and prints the
result as text or `--json`. The app loads only in `pairwise annotate`.
"""

from __future__ import annotations

import click

from tui_annotate import access
from tui_annotate.cli.context import Context, errors_to_exit, lead_only, split_names
from tui_annotate.cli.output import emit_json, say
from tui_annotate.core.pairwise import tasks
from tui_annotate.errors import InputError
from tui_annotate.render import plural

TASK_ID = click.argument("task_id", metavar="[ID]", type=int, required=False)


@click.group()
def pairwise() -> None:
    """Blind side-by-side A/B of prompt versions: win rates, a ranking and position bias."""


@pairwise.command()
@click.option("--prompt", required=True, help="The prompt whose versions to compare.")
@click.option(
    "--versions",
    required=True,
    help="Two or more versions, comma-separated; in each pair, a is the one listed first.",
)
@click.option("--items", type=int, default=None, help="At most this many cases.")
@click.option(
    "--annotators",
    default=None,
    help="Everyone named judges every pair (agreement is measured); else pairs go to whoever opens the task.",
)
@click.option(
    "--overlap",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Without --annotators: people per pair.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds pairing and sides.")
@click.option(
    "--rubric",
    "rubric_name",
    default=None,
    help="Its pairwise_question (else question) and failure tags are shown.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
@lead_only("pairwise start")
def start(
    obj: Context,
    prompt: str,
    versions: str,
    items: int | None,
    annotators: str | None,
    overlap: int,
    seed: int,
    rubric_name: str | None,
    as_json: bool,
) -> None:
    """Draw the pairs of a new task and print its id."""
    obj.require_db(" (import items first, or pass --db)")
    if rubric_name is not None:
        obj.rubric(rubric_name)  # refuse an unknown rubric now, not in the app
    with obj.repo() as repo:
        task_id, drawn = tasks.start(
            repo,
            prompt=prompt,
            versions=versions.split(","),
            seed=seed,
            items=items,
            annotators=split_names(annotators) or (),
            overlap=overlap,
            rubric=rubric_name or "",
        )
    if as_json:
        emit_json(
            {
                "task": task_id,
                "pairs": len(drawn.pairs),
                "skipped_identical": drawn.skipped_identical,
            }
        )
        return
    say(
        f"pairwise task {task_id}: {plural(len(drawn.pairs), 'pair')}"
        f" ({drawn.skipped_identical} left out as identical)"
    )
    say(f"annotate: tui-annotate pairwise annotate {task_id}")


@pairwise.command()
@TASK_ID
@click.option("--annotator", default=None, help="Your name on the votes [default: your login].")
@click.pass_obj
@errors_to_exit
def annotate(obj: Context, task_id: int | None, annotator: str | None) -> None:
    """Open the pairwise app: two responses side by side, one key to pick."""
    name = access.annotator_name(annotator, obj.settings)
    obj.require_db(" (import items first, or pass --db)")
    from tui_annotate.cli.pairwise_open import open_app  # loads the TUI

    open_app(obj, task_id, name)


@pairwise.command()
@TASK_ID
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def status(obj: Context, task_id: int | None, as_json: bool) -> None:
    """Pairs, votes so far, and each annotator's progress."""
    from tui_annotate.core.pairwise.progress import task_status

    obj.require_db()
    with obj.repo(readonly=True) as repo:
        found = task_status(repo, tasks.find(repo, task_id))
    if as_json:
        emit_json(found.to_json())
        return
    say(
        f"pairwise task {found.task}: prompt {found.prompt!r}, versions {', '.join(found.versions)}"
    )
    who = ", ".join(found.annotators) if found.annotators else f"open (overlap {found.overlap})"
    say(f"annotators: {who}")
    say(
        f"{plural(found.pairs, 'pair')} ({found.skipped_identical} left out as identical);"
        f" {found.pairs_voted} with a vote; {found.votes} of {found.votes_wanted} votes"
    )
    for p in found.progress:
        say(f"  {p.annotator}: {p.voted} voted, {p.skipped} skipped")


@pairwise.command()
@TASK_ID
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap replicates for the intervals of the ranking and of alpha.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The bootstrap's seed.")
@click.option("--view", is_flag=True, help="Show them on a screen (q quits).")
@click.pass_obj
@errors_to_exit
def results(
    obj: Context, task_id: int | None, as_json: bool, bootstrap: int, seed: int, view: bool
) -> None:
    """Win rates with intervals, a Bradley–Terry ranking, position bias and agreement."""
    from tui_annotate.core.pairwise import draw, report

    obj.require_db()
    with obj.repo(readonly=True) as repo:
        task = tasks.find(repo, task_id)
        votes = repo.pairwise.current_votes(task.id)
    found = report.report(task, votes, bootstrap=bootstrap, seed=seed)
    if as_json:
        emit_json(found.to_json())
        return
    if not votes:
        raise InputError(f"pairwise task {task.id} has no votes yet")
    if view:
        from tui_annotate.tui import keymap  # loads the TUI
        from tui_annotate.tui.pairwise_app import PairwiseResultsApp

        PairwiseResultsApp(found, keymap=keymap.check(obj.settings.keymap, None)).run()
        return
    for line in draw.lines(found):
        say(line)
