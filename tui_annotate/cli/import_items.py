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
@click.argument("file", type=click.Path(path_type=Path), required=False)
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
@click.option(
    "--follow",
    is_flag=True,
    help="Live mode: keep importing lines appended to FILE (or to a directory's *.jsonl), "
    "exactly once, through rotation; bad lines go to the quarantine.",
)
@click.option(
    "--sample",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="With --follow: route this seeded share of new items to people (--rubric).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --sample.")
@click.option(
    "--rubric",
    "rubrics",
    multiple=True,
    metavar="NAME",
    help="With --sample: the rubric whose human queue gets the sample (repeatable).",
)
@click.option(
    "--retry-quarantine",
    is_flag=True,
    help="Try the quarantined live lines again (after raising a limit, say).",
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
    follow: bool,
    sample: float,
    seed: int,
    rubrics: tuple[str, ...],
    retry_quarantine: bool,
    as_json: bool,
) -> None:
    """Import items (model outputs to rate) from a JSONL or CSV FILE ('-': standard input).

    All or nothing: one bad line and nothing is imported, unless --skip-invalid.
    Items already in the database (same content) are skipped.
    With --follow, FILE (a file or a directory) is followed as a production log.
    """
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    limit = max_item_bytes or obj.settings.max_item_bytes
    if retry_quarantine or follow:
        from tui_annotate.cli import live_import

        if retry_quarantine:
            live_import.retry_quarantine(obj, max_item_bytes=limit, as_json=as_json)
            return
        if file is None:
            raise click.UsageError("--follow needs the FILE or directory to follow")
        if source == "batch":
            raise click.UsageError("--follow imports live items; leave out --source batch")
        live_import.follow(
            obj,
            file,
            prompt=prompt,
            prompt_version=prompt_version,
            max_item_bytes=limit,
            sample=sample,
            seed=seed,
            rubrics=rubrics,
        )
        return
    if file is None:
        raise click.UsageError("Missing argument 'FILE'.")
    size = file.stat().st_size if file.is_file() else 0
    show_bar = size > 5_000_000 and sys.stderr.isatty() and not as_json

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
