"""`import`: items (model outputs to rate) from a JSONL or CSV file, all or nothing."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from tui_annotate.cli.context import Context, errors_to_exit, lead_only
from tui_annotate.cli.output import emit_json, markup_safe, say
from tui_annotate.cli.stopping import stops_cleanly
from tui_annotate.core import ingest
from tui_annotate.core import source as sources
from tui_annotate.render import plural


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    help="Override the format guessed from the extension.",
)
@click.option("--prompt", help="Prompt name for items that don't name one.")
@click.option(
    "--prompt-version", metavar="X.Y.Z", help="Prompt version for items that don't give one."
)
@click.option(
    "--source", type=click.Choice(["batch", "live"]), help="Source for items that don't give one."
)
@click.option("--skip-invalid", is_flag=True, help="Import the good lines and list the bad ones.")
@click.option(
    "--max-item-bytes",
    type=click.IntRange(min=1),
    default=None,
    help="Refuse items whose text is larger [default: 1000000; max_item_bytes in "
    "tui-annotate.toml, env TUI_ANNOTATE_MAX_ITEM_BYTES].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
@errors_to_exit
@lead_only("import")
@stops_cleanly("stopped: nothing of the file was imported; run the same command to import it")
def import_cmd(
    obj: Context,
    file: Path,
    fmt: str | None,
    prompt: str | None,
    prompt_version: str | None,
    source: str | None,
    skip_invalid: bool,
    max_item_bytes: int | None,
    as_json: bool,
) -> None:
    """Import items (model outputs to rate) from a JSONL or CSV FILE ('-': standard input).

    All or nothing: one bad line and nothing is imported, unless --skip-invalid.
    Items already in the database (same content) are skipped.
    """
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    size = file.stat().st_size if file.is_file() else 0
    show_bar = size > 5_000_000 and sys.stderr.isatty() and not as_json
    limit = max_item_bytes or obj.settings.max_item_bytes

    def waiting(holder: str) -> None:
        who = f" ({holder})" if holder else ""
        say(f"waiting for another import into {obj.db_path}{who} to finish…", err=True)

    with obj.repo() as repo, contextlib.ExitStack() as stack:
        progress = None
        if show_bar:
            bar = stack.enter_context(
                Progress(
                    "[progress.description]{task.description}",
                    BarColumn(),
                    DownloadColumn(),
                    TimeRemainingColumn(),
                    transient=True,
                )
            )
            task = bar.add_task(f"importing {markup_safe(file.name)}", total=size)

            def progress(done: int) -> None:
                bar.update(task, completed=done)

        result = ingest.import_items(
            repo,
            file,
            fmt=fmt,
            prompt=prompt,
            prompt_version=prompt_version,
            source=source,
            skip_invalid=skip_invalid,
            max_item_bytes=limit,
            waiting=waiting,
            progress=progress,
        )
        if result.inserted:
            repo.optimize()  # the tables just grew: plans for the new sizes
    if as_json:
        emit_json(result.to_json())
        return
    for line in result.invalid:
        say(f"skipped: {line}", err=True)
    file_name = sources.display_name(file)
    if result.inserted == 0:
        every = "the only item is" if result.read == 1 else f"all {result.read} items are"
        say(f"{file_name}: nothing new — {every} already in {obj.db_path}")
    else:
        dup = f", {result.duplicates} already present" if result.duplicates else ""
        skipped = plural(len(result.invalid), "invalid line")
        bad = f", {skipped} skipped" if result.invalid else ""
        say(f"{file_name}: imported {plural(result.inserted, 'item')} into {obj.db_path}{dup}{bad}")
