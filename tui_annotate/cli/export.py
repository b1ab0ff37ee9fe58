"""`export`: PASS/FAIL labels (or the golden set) as CSV or JSONL, to stdout or a file."""

from __future__ import annotations

from pathlib import Path

import click

from tui_annotate.cli import outfile
from tui_annotate.cli.context import Context, errors_to_exit, lead_only
from tui_annotate.cli.output import for_reading, say
from tui_annotate.errors import InputError
from tui_annotate.render import plural


@click.command()
@click.option(
    "--rubric", "rubric_name", default=None, help="The rubric whose labels to export (required)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="Output format [default: from -o's extension, else csv].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Write here instead of stdout ('-': stdout). A file is replaced whole; a device,"
    " FIFO or terminal is written straight.",
)
@click.option("--golden", is_flag=True, help="Export the golden (adjudicated) set instead.")
@click.option(
    "--include-judge",
    is_flag=True,
    help="Also export items only the LLM judge labelled (golden and human labels still win).",
)
@click.option(
    "--pairwise",
    "pairwise_id",
    type=int,
    default=None,
    metavar="ID",
    help="Export pairwise task ID's votes instead (one row per vote; no --rubric).",
)
@click.pass_obj
@errors_to_exit
@lead_only("export")
def export(
    obj: Context,
    rubric_name: str,
    fmt: str | None,
    output: Path | None,
    golden: bool,
    include_judge: bool,
    pairwise_id: int | None,
) -> None:
    """Export PASS/FAIL labels: one row per labeled item, its resolved label and where it came from.

    The score is the golden label if there is one, else the median of the
    annotators' current scores, else (with --include-judge) the judge's.
    """
    # Loaded here, not at start-up: the writers bring multiprocessing and the export core.
    from tui_annotate.cli import export_parts
    from tui_annotate.core import export as exporter

    obj.require_db()
    if fmt is None:
        fmt = (
            "jsonl"
            if output is not None and output.suffix.lower() in (".jsonl", ".ndjson")
            else "csv"
        )
    if pairwise_id is not None:
        _export_pairwise(obj, pairwise_id, fmt, output)
        return
    if rubric_name is None:
        raise InputError("give --rubric NAME (or --pairwise ID)", field="--rubric")
    loaded = obj.rubric(rubric_name)
    if golden and include_judge:
        raise InputError("--golden exports the golden set alone; drop --include-judge")
    left_out = exporter.LeftOut()
    outfile.target("-" if output is None else output)  # refuse a bad -o before any work
    with obj.repo(readonly=True) as repo, outfile.open_text(output) as raw:
        out = for_reading(raw)  # a person reading on a terminal sees data, never obeys it
        if golden:
            count = export_parts.writer_for(fmt)(out, exporter.golden_rows(repo, loaded))
        else:
            count = export_parts.write_export(
                repo, loaded, out, fmt=fmt, include_judge=include_judge, left_out=left_out
            )
    notice = left_out.notice()
    if notice:
        say(f"export: {notice}", err=True)
    if output is not None and str(output) != "-":
        say(f"exported {plural(count, 'item')} to {output}", err=True)


def _export_pairwise(obj: Context, task_id: int, fmt: str, output: Path | None) -> None:
    """A pairwise task's current votes (core/pairwise/export.py)."""
    from tui_annotate.core.pairwise import export as pairwise_export
    from tui_annotate.core.pairwise import tasks

    outfile.target("-" if output is None else output)
    with obj.repo(readonly=True) as repo:
        task = tasks.find(repo, task_id)
        rows = repo.pairwise.export_rows(task.id)
    with outfile.open_text(output) as raw:
        count = pairwise_export.write(for_reading(raw), rows, fmt)
    if output is not None and str(output) != "-":
        say(f"exported {plural(count, 'vote')} to {output}", err=True)
