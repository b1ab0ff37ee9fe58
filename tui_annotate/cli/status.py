"""`status`: items, labels per rubric and annotator, and what is left to label."""

from __future__ import annotations

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.output import emit_json, say
from tui_annotate.cli.printers import print_status
from tui_annotate.core import report
from tui_annotate.core import rubric as rubrics


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def status(obj: Context, as_json: bool) -> None:
    """Items, labels per rubric and annotator, and what is left to label."""
    obj.require_db(" (import items first, or pass --db)")
    names = sorted(rubrics.discover(obj.rubric_dirs()))
    with obj.repo(readonly=True) as repo:
        data = report.status(repo, names)
        quarantined = repo.follow.quarantine_count()
    if as_json:
        emit_json({**data.to_json(), "quarantined": quarantined})
        return
    print_status(data)
    if quarantined:
        say(
            f"quarantined: {quarantined} live lines could not be imported "
            "(tui-annotate quarantine lists them)"
        )
