"""`import-labels`: labels made elsewhere (another tool, a spreadsheet) into the database."""

from __future__ import annotations

from pathlib import Path

import click

from tui_annotate.cli.context import Context, errors_to_exit, lead_only
from tui_annotate.cli.output import say
from tui_annotate.cli.stopping import stops_cleanly
from tui_annotate.core import source
from tui_annotate.core.models import Rubric
from tui_annotate.errors import NotFound
from tui_annotate.render import plural


@click.command("import-labels")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--rubric", "rubric_name", default=None, help="Rubric for rows without a rubric column."
)
@click.option(
    "--format",
    "fmt_name",
    type=click.Choice(["jsonl", "csv"]),
    default=None,
    help="Override the format guessed from the extension.",
)
@click.pass_obj
@errors_to_exit
@lead_only("import-labels")
@stops_cleanly("stopped: no label of the file was imported; run the same command to import it")
def import_labels_cmd(
    obj: Context, file: Path, rubric_name: str | None, fmt_name: str | None
) -> None:
    """Labels made elsewhere (item_id, annotator, score; optional rubric, comment, tags).

    FILE '-' reads standard input (with --format).
    """
    from tui_annotate.core import label_import

    def find(name: str) -> Rubric | None:
        try:
            return obj.rubric(name)
        except NotFound:
            return None  # reported per line by import_labels

    def waiting(holder: str) -> None:
        who = f" ({holder})" if holder else ""
        say(f"waiting for another import into {obj.db_path}{who} to finish…", err=True)

    obj.require_db(" (import the items first)")
    # The file is read once, by import_labels (a FIFO or <(cmd) can't be read twice), so
    # the rubrics it names are loaded as it asks for them.
    with obj.repo() as repo:
        result = label_import.import_labels(repo, file, find, rubric_name, fmt_name, waiting)
        if result.inserted:
            repo.optimize()  # the label tables just grew: plans for the new sizes
    shown = source.display_name(file)
    if result.inserted == 0:
        every = "the only label is" if result.read == 1 else f"all {result.read} labels are"
        say(f"{shown}: nothing new — {every} already in {obj.db_path}")
    else:
        dup = f", {result.duplicates} already present" if result.duplicates else ""
        say(f"{shown}: imported {plural(result.inserted, 'label')} into {obj.db_path}{dup}")
