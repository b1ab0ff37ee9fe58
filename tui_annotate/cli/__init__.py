"""The command line: parse, call a core service, print. The TUI is imported only by commands that open it."""

from __future__ import annotations

import contextlib
import functools
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from tui_annotate import __version__, access, config
from tui_annotate.cli import export_parts, outfile
from tui_annotate.cli.output import (
    add_row,
    console,
    emit_json,
    for_reading,
    literal,
    markup_safe,
    say,
    table,
)
from tui_annotate.cli.stopping import stops_cleanly
from tui_annotate.core import export as exporter
from tui_annotate.core import gate, ingest, names, report
from tui_annotate.core import rubric as rubrics
from tui_annotate.core import source as sources
from tui_annotate.core.models import Round, Rubric
from tui_annotate.errors import AnnotateError, InputError
from tui_annotate.render import plural
from tui_annotate.store.repository import Repository

F = TypeVar("F", bound=Callable[..., Any])
SAMPLE_ITEMS = Path(__file__).parent.parent / "data" / "sample_items.jsonl"
DEMO_RUBRIC = "faithfulness"


class Context:
    """What every command needs: settings (read when first needed, so --help always works)."""

    def __init__(self, db: str | None, rubrics_dir: str | None) -> None:
        self._db = db
        self._rubrics_dir = rubrics_dir
        self._settings: config.Settings | None = None

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            self._settings = config.load()
        return self._settings

    @property
    def db_path(self) -> Path:
        return Path(self._db or self.settings.db)

    @property
    def rubrics_dir(self) -> Path | None:
        chosen = self._rubrics_dir or self.settings.rubrics
        return Path(chosen) if chosen else None

    def rubric_dirs(self) -> list[Path]:
        return rubrics.search_path(self.rubrics_dir)

    def rubric(self, name: str) -> Rubric:
        return rubrics.find_rubric(name, self.rubric_dirs())

    @contextmanager
    def repo(self, *, readonly: bool = False) -> Iterator[Repository]:
        repo = Repository.open(self.db_path, readonly=readonly)
        try:
            yield repo
        finally:
            repo.close()


def fail(message: str, code: int = 2) -> NoReturn:
    # Messages quote the user's files (field names, ids): never let them drive the terminal.
    say(f"error: {message}", err=True)
    sys.exit(code)


def errors_to_exit(fn: F) -> F:
    """Turn AnnotateErrors into a message and the exit code the command contract names."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            if args and isinstance(args[0], Context):
                args[0].settings  # a broken config file is reported by every command  # noqa: B018
            return fn(*args, **kwargs)
        except AnnotateError as exc:
            fail(str(exc), exc.exit_code)

    return wrapper  # type: ignore[return-value]


def lead_only(command: str) -> Callable[[F], F]:
    """Refuse COMMAND to logins the project's tui-annotate.toml doesn't name as leads.

    Goes under @errors_to_exit, so the refusal is a message and exit 2.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(obj: Context, *args: Any, **kwargs: Any) -> Any:
            access.require_lead(command, obj.settings)
            return fn(obj, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


#: `annotate` and `serve` take the same overlap.
OVERLAP = click.option(
    "--overlap",
    type=click.IntRange(min=1),
    default=None,
    help="At most this many annotators per item [default: 1].",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="PATH",
    envvar="TUI_ANNOTATE_DB",
    help="The project database [default: ./annotations.db; env TUI_ANNOTATE_DB].",
)
@click.option(
    "--rubrics",
    "rubrics_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Look for rubrics here first (then ./rubrics, then the shipped ones).",
)
@click.version_option(__version__, prog_name="tui-annotate")
@click.pass_context
def main(ctx: click.Context, db: str | None, rubrics_dir: str | None) -> None:
    """Rate LLM outputs against a rubric from the keyboard; every label lands in SQLite at once."""
    ctx.obj = Context(db, rubrics_dir)


# -- import -------------------------------------------------------------------


@main.command("import")
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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
@errors_to_exit
@lead_only("import")
@stops_cleanly("stopped: nothing of the file was imported; run the same command to import it")
def import_cmd(obj: Context, file: Path, fmt: str | None, prompt: str | None,
               prompt_version: str | None, source: str | None, skip_invalid: bool,
               as_json: bool) -> None:  # fmt: skip
    """Import items (model outputs to rate) from a JSONL or CSV FILE ('-': standard input).

    All or nothing: one bad line and nothing is imported, unless --skip-invalid.
    Items already in the database (same content) are skipped.
    """
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    size = file.stat().st_size if file.is_file() else 0
    show_bar = size > 5_000_000 and sys.stderr.isatty() and not as_json
    with obj.repo() as repo:
        if show_bar:
            with Progress("[progress.description]{task.description}", BarColumn(),
                          DownloadColumn(), TimeRemainingColumn(), transient=True) as bar:  # fmt: skip
                task = bar.add_task(f"importing {markup_safe(file.name)}", total=size)
                result = ingest.import_items(
                    repo, file, fmt=fmt, prompt=prompt, prompt_version=prompt_version,
                    source=source, skip_invalid=skip_invalid,
                    progress=lambda done: bar.update(task, completed=done),
                )  # fmt: skip
        else:
            result = ingest.import_items(
                repo, file, fmt=fmt, prompt=prompt, prompt_version=prompt_version,
                source=source, skip_invalid=skip_invalid,
            )  # fmt: skip
    if as_json:
        emit_json({"file": result.file, "read": result.read, "inserted": result.inserted,
                   "duplicates": result.duplicates, "invalid": list(result.invalid)})  # fmt: skip
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


# -- status -------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def status(obj: Context, as_json: bool) -> None:
    """Items, labels per rubric and annotator, and what is left to label."""
    if not obj.db_path.exists():
        raise InputError(f"no database at {obj.db_path} (import items first, or pass --db)")
    names = sorted(rubrics.discover(obj.rubric_dirs()))
    with obj.repo(readonly=True) as repo:
        data = report.status(repo, names)
    if as_json:
        emit_json(data)
        return
    out = console()
    out.print(literal(data["db"], "bold") + literal(f": {plural(data['items'], 'item')}"))
    kinds = ("rated", "skipped", "flagged", "held", "lapsed")
    grid = table("rubric", "annotator", *kinds, "items left unlabeled", fixed=("rubric", *kinds))
    for name, entry in data["rubrics"].items():
        first = True
        for annotator, counts in entry["annotators"].items():
            add_row(grid, name if first else "", annotator,
                    *(counts[k] for k in kinds),
                    entry["unlabeled_items"] if first else "")  # fmt: skip
            first = False
        if first:
            add_row(grid, name, "—", 0, 0, 0, 0, 0, entry["unlabeled_items"])
    out.print(grid)
    out.print(
        literal(
            "held: handed out, not yet labelled; lapsed: held by an annotator whose "
            "app stopped answering (the next one who asks gets it)",
            "dim",
        )
    )


# -- rubrics ------------------------------------------------------------------


@main.group()
def rubric() -> None:
    """Validate and inspect rubrics."""


@rubric.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def rubric_check(obj: Context, files: tuple[Path, ...]) -> None:
    """Validate rubric FILES; exit 2 naming the file, field and reason of each fault."""
    bad = 0
    for path in files:
        try:
            loaded = rubrics.load_rubric(path)
        except AnnotateError as exc:
            say(f"error: {exc}", err=True)
            bad += 1
            continue
        say(f"ok: {path} ({loaded.name} {loaded.version}, {len(loaded.scale)}-point "
            f"{loaded.level}, {plural(len(loaded.tags), 'tag')}, "
            f"{plural(len(loaded.examples), 'example')})")  # fmt: skip
    if bad:
        sys.exit(2)


@rubric.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def rubric_list(obj: Context, as_json: bool) -> None:
    """The rubrics found, and where."""
    found = rubrics.discover(obj.rubric_dirs())
    entries = []
    for name, path in sorted(found.items()):
        try:
            r = rubrics.load_rubric(path)
            entries.append({"name": name, "version": r.version, "title": r.title,
                            "points": len(r.scale), "path": str(path), "error": None})  # fmt: skip
        except AnnotateError as exc:
            entries.append({"name": name, "version": None, "title": None, "points": None,
                            "path": str(path), "error": str(exc)})  # fmt: skip
    if as_json:
        emit_json(entries)
        return
    if not entries:
        say("no rubrics found")
        return
    # No borders and no header: the columns read like the plain list they are, and
    # a long name widens its column instead of pushing the rest out of line.
    grid = table("name", "version", "points", "title", "path", box=None, show_header=False,
                 pad_edge=False, fixed=("name", "version", "points"))  # fmt: skip
    for e in entries:
        if e["error"]:
            add_row(grid, e["name"], "INVALID", "", e["error"], "")
        else:
            add_row(grid, e["name"], e["version"], f"{e['points']}-point", e["title"],
                    f"({e['path']})")  # fmt: skip
    console().print(grid)


@rubric.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def rubric_show(obj: Context, name: str, as_json: bool) -> None:
    """Print rubric NAME: question, anchors, tags and examples."""
    import dataclasses

    r = obj.rubric(name)
    if as_json:
        emit_json(dataclasses.asdict(r))
        return
    out = console()
    out.print(literal(f"{r.title} ({r.name} {r.version}, {r.level})", "bold"))
    out.print(literal(r.question))
    if r.guidelines:
        out.print(literal(r.guidelines, "italic"))
    scale = table("key", "score", "label", "meaning", title=f"PASS at {r.pass_threshold} or more",
                  fixed=("key", "score"))  # fmt: skip
    for level in r.scale:
        add_row(scale, level.key, level.value, level.label, level.description)
    out.print(scale)
    if r.tags:
        tags = table("key", "tag", "meaning", title="failure tags")
        for tag in r.tags:
            add_row(tags, tag.key, tag.name, tag.description)
        out.print(tags)
    for ex in r.examples:
        out.print(literal(f"\n{ex.kind} example — score {ex.score}", "bold"))
        if ex.input:
            out.print(literal(f"input: {ex.input}"))
        out.print(literal(f"output: {ex.output}"))
        out.print(literal(f"why: {ex.rationale}", "italic"))


# -- annotate -----------------------------------------------------------------


def _open_app(obj: Context, db_path: Path, rubric_name: str, annotator: str, overlap: int,
              show_prompt_version: bool, allow_uncalibrated: bool = False) -> None:  # fmt: skip
    loaded = obj.rubric(rubric_name)
    repo, readonly_reason = Repository.open_or_browse(db_path)
    try:
        from tui_annotate.tui.factory import GateRefused, make_annotate_app  # loads the TUI

        try:
            app = make_annotate_app(
                obj.settings,
                repo=repo,
                rubric=loaded,
                annotator=annotator,
                overlap=overlap,
                show_prompt_version=show_prompt_version,
                allow_uncalibrated=allow_uncalibrated,
                readonly_reason=readonly_reason,
            )
        except GateRefused as refused:
            if refused.decision.results is not None:
                _show_results_first(repo, annotator, refused.decision.results)
            fail(refused.decision.message, code=1)
        if readonly_reason is not None:
            say(f"warning: {readonly_reason}; opening it read-only for "
                "browsing: nothing will be saved", err=True)  # fmt: skip
        app.run()
    finally:
        repo.close()


def _show_results_first(repo: Repository, annotator: str, round_: Round) -> None:
    """A member of a closed round sees its results once before being refused, as the app
    shows them once before the queue (README: Calibration)."""
    from tui_annotate.tui.results_app import ResultsApp

    ResultsApp(round_.result).run()
    key = gate.RESULTS_SEEN.format(annotator=annotator, round_id=round_.id)
    with contextlib.suppress(AnnotateError):  # read-only database: shown again next time
        repo.set_setting(key, "1")


@main.command()
@click.option(
    "--annotator",
    default=None,
    help="Your name on the labels [default: your login; a team project can turn this off].",
)
@click.option("--rubric", "rubric_name", required=True, help="The rubric to rate against.")
@OVERLAP
@click.option(
    "--show-prompt-version", is_flag=True, help="Show items' prompt versions (unblinds them)."
)
@click.option(
    "--allow-uncalibrated",
    is_flag=True,
    help="Let an annotator without a passed calibration round through (recorded on the labels).",
)
@click.pass_obj
@errors_to_exit
def annotate(obj: Context, annotator: str | None, rubric_name: str, overlap: int | None,
             show_prompt_version: bool, allow_uncalibrated: bool) -> None:  # fmt: skip
    """Open the annotation app: rate items with one key each."""
    name = access.annotator_name(annotator, obj.settings)
    if not obj.db_path.exists():
        raise InputError(f"no database at {obj.db_path} (import items first, or pass --db)")
    _open_app(obj, obj.db_path, rubric_name, name, overlap or obj.settings.overlap,
              show_prompt_version or obj.settings.show_prompt_version,
              allow_uncalibrated)  # fmt: skip


@main.command()
@click.option(
    "--rubric",
    "rubric_name",
    default=DEMO_RUBRIC,
    show_default=True,
    help="The rubric to rate the sample against.",
)
@click.option("--annotator", default=None, help="Your name [default: your login].")
@click.pass_obj
@errors_to_exit
def demo(obj: Context, rubric_name: str, annotator: str | None) -> None:
    """Open the app on a bundled sample project (a support assistant's answers) in a fresh database."""
    folder = Path(tempfile.mkdtemp(prefix="tui-annotate-demo-"))
    db_path = folder / "annotations.db"
    with Repository.open(db_path) as repo:
        ingest.import_items(repo, SAMPLE_ITEMS)
    try:
        name = names.check(annotator or access.login_name(), field="--annotator")
        _open_app(obj, db_path, rubric_name, name, 1, True)
    finally:
        say(f"Demo database: {db_path}")
        say(f"Export it: tui-annotate --db {db_path} export --rubric {rubric_name}")


# -- export -------------------------------------------------------------------


@main.command()
@click.option("--rubric", "rubric_name", required=True, help="The rubric whose labels to export.")
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
) -> None:
    """Export PASS/FAIL labels: one row per labeled item, its resolved label and where it came from.

    The score is the golden label if there is one, else the median of the
    annotators' current scores, else (with --include-judge) the judge's.
    """
    if not obj.db_path.exists():
        raise InputError(f"no database at {obj.db_path}")
    loaded = obj.rubric(rubric_name)
    if fmt is None:
        fmt = (
            "jsonl"
            if output is not None and output.suffix.lower() in (".jsonl", ".ndjson")
            else "csv"
        )
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


# -- backup -------------------------------------------------------------------


@main.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
@click.pass_obj
@errors_to_exit
@lead_only("backup")
def backup(obj: Context, dest: Path, force: bool) -> None:
    """Copy the database to DEST safely while annotators keep working.

    A plain `cp` of the .db file misses every label still in its -wal file;
    this copies one consistent snapshot, the WAL included, into one file.
    """
    if not obj.db_path.exists():
        raise InputError(f"no database at {obj.db_path}")
    # SQLite writes a database page by page into a file it can reopen; a device
    # or a pipe can't hold one, so they are refused rather than half-written.
    path = outfile.refuse_unless_file(dest, "backup writes a database, which needs a regular file")
    if dest.exists() and not force:
        raise InputError(f"{dest} exists; pass --force to replace it", file=str(dest))
    with obj.repo(readonly=True) as repo:
        size = repo.backup_to(path)
    say(f"backed up {obj.db_path} to {dest} ({size / 1e6:.1f} MB)", err=True)


# Commands defined in sibling modules register themselves on `main` when imported.
from tui_annotate.cli import calibration as _calibration  # noqa: E402
from tui_annotate.cli import judge as _judge  # noqa: E402
from tui_annotate.cli import keys as _keys  # noqa: E402, F401
from tui_annotate.cli import serve as _serve  # noqa: E402

__all__ = ["_calibration", "_judge", "_serve", "main"]
