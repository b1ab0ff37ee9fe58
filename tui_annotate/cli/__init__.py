"""The command line: parse, call a core service, print. The TUI is imported only by commands that open it."""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from tui_annotate import __version__, access, config
from tui_annotate.core import export as exporter
from tui_annotate.core import gate, ingest, report, snapshot
from tui_annotate.core import rubric as rubrics
from tui_annotate.core.models import Rubric
from tui_annotate.core.textsafe import visible
from tui_annotate.errors import AnnotateError, InputError
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
    click.echo(f"error: {visible(message)}", err=True)
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


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


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
def import_cmd(obj: Context, file: Path, fmt: str | None, prompt: str | None,
               prompt_version: str | None, source: str | None, skip_invalid: bool,
               as_json: bool) -> None:  # fmt: skip
    """Import items (model outputs to rate) from a JSONL or CSV FILE.

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
                task = bar.add_task(f"importing {file.name}", total=size)
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
        if result.inserted:
            repo.optimize()  # the tables just grew: plans for the new sizes
    if as_json:
        emit_json({"file": result.file, "read": result.read, "inserted": result.inserted,
                   "duplicates": result.duplicates, "invalid": list(result.invalid)})  # fmt: skip
        return
    for line in result.invalid:
        click.echo(f"skipped: {visible(line)}", err=True)
    if result.inserted == 0:
        click.echo(f"{file}: nothing new — all {result.read} items are already in {obj.db_path}")
    else:
        dup = f", {result.duplicates} already present" if result.duplicates else ""
        bad = f", {len(result.invalid)} invalid lines skipped" if result.invalid else ""
        click.echo(f"{file}: imported {result.inserted} items into {obj.db_path}{dup}{bad}")


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
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    console.print(Text.assemble((data["db"], "bold"), f": {data['items']} items"))
    table = Table("rubric", "annotator", "rated", "skipped", "flagged", "held", "lapsed",
                  "items left unlabeled")  # fmt: skip
    for name, entry in data["rubrics"].items():
        first = True
        for annotator, counts in entry["annotators"].items():
            table.add_row(name if first else "", Text(annotator),
                          *(str(counts[k]) for k in ("rated", "skipped", "flagged", "held",
                                                     "lapsed")),
                          str(entry["unlabeled_items"]) if first else "")  # fmt: skip
            first = False
        if first:
            table.add_row(name, "—", "0", "0", "0", "0", "0", str(entry["unlabeled_items"]))
    console.print(table)
    console.print(
        Text(
            "held: handed out, not yet labelled; lapsed: held by an annotator whose "
            "app stopped answering (the next one who asks gets it)",
            style="dim",
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
            click.echo(f"error: {visible(str(exc))}", err=True)
            bad += 1
            continue
        click.echo(f"ok: {path} ({loaded.name} {loaded.version}, {len(loaded.scale)}-point "
                   f"{loaded.level}, {len(loaded.tags)} tags, {len(loaded.examples)} examples)")  # fmt: skip
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
        click.echo("no rubrics found")
    for e in entries:
        if e["error"]:
            click.echo(f"{e['name']:<16} INVALID  {e['error']}")
        else:
            click.echo(
                f"{e['name']:<16} {e['version']:<8} {e['points']}-point  {e['title']}  ({e['path']})"
            )


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
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    console.print(Text(f"{r.title} ({r.name} {r.version}, {r.level})", style="bold"))
    console.print(Text(r.question))
    if r.guidelines:
        console.print(Text(r.guidelines, style="italic"))
    scale = Table("key", "score", "label", "meaning", title=f"PASS at {r.pass_threshold} or more")
    for level in r.scale:
        scale.add_row(level.key, str(level.value), Text(level.label), Text(level.description))
    console.print(scale)
    if r.tags:
        tags = Table("key", "tag", "meaning", title="failure tags")
        for tag in r.tags:
            tags.add_row(tag.key, tag.name, Text(tag.description))
        console.print(tags)
    for ex in r.examples:
        console.print(Text(f"\n{ex.kind} example — score {ex.score}", style="bold"))
        if ex.input:
            console.print(Text(f"input: {ex.input}"))
        console.print(Text(f"output: {ex.output}"))
        console.print(Text(f"why: {ex.rationale}", style="italic"))


# -- annotate -----------------------------------------------------------------


def _open_app(obj: Context, db_path: Path, rubric_name: str, annotator: str, overlap: int,
              show_prompt_version: bool, allow_uncalibrated: bool = False) -> None:  # fmt: skip
    loaded = obj.rubric(rubric_name)
    repo, readonly_reason = Repository.open_or_browse(db_path)
    repo.lease_seconds = obj.settings.lease_seconds
    try:
        decision = gate.decide(
            repo, loaded, annotator, require_calibration=obj.settings.require_calibration,
            allow_uncalibrated=allow_uncalibrated,
        )  # fmt: skip
        if not decision.allowed:
            fail(decision.message, code=1)
        if readonly_reason is None:
            snapshot.register(repo, loaded)
        else:
            click.echo(f"warning: {visible(readonly_reason)}; opening it read-only for "
                       "browsing: nothing will be saved", err=True)  # fmt: skip
        if repo.get_setting("show_prompt_version") == "true":
            show_prompt_version = True
        calibrated_rubric = bool(repo.rounds.find(rubric=loaded.name))
        from tui_annotate.tui.app import AnnotateApp  # the TUI loads only when it opens

        app = AnnotateApp(
            repo=repo, rubric=loaded, annotator=annotator, overlap=overlap,
            show_prompt_version=show_prompt_version,
            calibration_only=decision.calibration_only,
            uncalibrated=decision.uncalibrated,
            # Drift is measured once a team calibrates; a solo user keeps a plain overlap.
            drift_permille=round(obj.settings.drift_share * 1000) if calibrated_rubric else 0,
            readonly_reason=readonly_reason,
        )  # fmt: skip
        app.run()
    finally:
        if readonly_reason is None:
            repo.optimize(wait_ms=200)  # SQLite's advice for a connection that lived long
        repo.close()


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
        _open_app(obj, db_path, rubric_name, (annotator or access.login_name()), 1, True)
    finally:
        click.echo(f"Demo database: {db_path}")
        click.echo(f"Export it: tui-annotate --db {db_path} export --rubric {rubric_name}")


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
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of stdout.",
)
@click.option("--golden", is_flag=True, help="Export the golden (adjudicated) set instead.")
@click.pass_obj
@errors_to_exit
@lead_only("export")
def export(obj: Context, rubric_name: str, fmt: str | None, output: Path | None,
           golden: bool) -> None:  # fmt: skip
    """Export PASS/FAIL labels: one row per labeled item, scores resolved by median."""
    if not obj.db_path.exists():
        raise InputError(f"no database at {obj.db_path}")
    loaded = obj.rubric(rubric_name)
    if fmt is None:
        fmt = (
            "jsonl"
            if output is not None and output.suffix.lower() in (".jsonl", ".ndjson")
            else "csv"
        )
    write = exporter.write_jsonl if fmt == "jsonl" else exporter.write_csv
    source = exporter.golden_rows if golden else exporter.rows
    with obj.repo(readonly=True) as repo:
        if output is None:
            count = write(sys.stdout, source(repo, loaded))
        else:
            if not output.parent.is_dir():
                raise InputError(f"the directory {output.parent} does not exist", file=str(output))
            tmp = output.with_name(output.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as out:
                count = write(out, source(repo, loaded))
            tmp.replace(output)  # a reader never sees half a file
            click.echo(f"exported {count} items to {output}", err=True)


# -- backup -------------------------------------------------------------------


@main.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
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
    if dest.exists() and not force:
        raise InputError(f"{dest} exists; pass --force to replace it", file=str(dest))
    if not dest.parent.is_dir():
        raise InputError(f"the directory {dest.parent} does not exist", file=str(dest))
    with obj.repo(readonly=True) as repo:
        size = repo.backup_to(dest)
    click.echo(f"backed up {obj.db_path} to {dest} ({size / 1e6:.1f} MB)", err=True)


# Commands defined in sibling modules register themselves on `main` when imported.
from tui_annotate.cli import calibration as _calibration  # noqa: E402
from tui_annotate.cli import judge as _judge  # noqa: E402
from tui_annotate.cli import serve as _serve  # noqa: E402

__all__ = ["_calibration", "_judge", "_serve", "main"]
