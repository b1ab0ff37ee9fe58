"""`import-labels`: labels made elsewhere (another tool, a spreadsheet) into the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tui_annotate.cli.context import Context, errors_to_exit, lead_only
from tui_annotate.cli.output import say
from tui_annotate.cli.stopping import stops_cleanly
from tui_annotate.core import source
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

    obj.require_db(" (import the items first)")
    # The file is read once, by import_labels (a FIFO or <(cmd) can't be read twice), so
    # the rubrics it names are loaded as it asks for them.
    with obj.repo() as repo:
        count = label_import.import_labels(repo, file, _RubricsByName(obj), rubric_name, fmt_name)
    say(f"{source.display_name(file)}: imported {plural(count, 'label')} into {obj.db_path}")


class _RubricsByName(dict[str, Any]):
    """The rubrics a label file names, loaded when first asked for; unknown ones are absent."""

    def __init__(self, obj: Context) -> None:
        super().__init__()
        self._obj = obj

    def _load(self, name: str) -> bool:
        if not dict.__contains__(self, name):
            try:
                self[name] = self._obj.rubric(name)
            except NotFound:
                return False  # reported per line by import_labels
        return True

    def __missing__(self, name: str) -> Any:
        if self._load(name):
            return self[name]
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._load(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._load(name)
        return dict.get(self, name, default)
