"""`rubric check|list|show`: validate and inspect rubric files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.output import add_row, console, emit_json, literal, say, table
from tui_annotate.core import rubric as rubrics
from tui_annotate.errors import AnnotateError
from tui_annotate.render import plural


@click.group()
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
        say(
            f"ok: {path} ({loaded.name} {loaded.version}, {len(loaded.scale)}-point "
            f"{loaded.level}, {plural(len(loaded.tags), 'tag')}, "
            f"{plural(len(loaded.examples), 'example')})"
        )
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
            entries.append(
                {
                    "name": name,
                    "version": r.version,
                    "title": r.title,
                    "points": len(r.scale),
                    "path": str(path),
                    "error": None,
                }
            )
        except AnnotateError as exc:
            entries.append(
                {
                    "name": name,
                    "version": None,
                    "title": None,
                    "points": None,
                    "path": str(path),
                    "error": str(exc),
                }
            )
    if as_json:
        emit_json(entries)
        return
    if not entries:
        say("no rubrics found")
        return
    # No borders and no header: the columns read like the plain list they are, and
    # a long name widens its column instead of pushing the rest out of line.
    grid = table(
        "name",
        "version",
        "points",
        "title",
        "path",
        box=None,
        show_header=False,
        pad_edge=False,
        fixed=("name", "version", "points"),
    )
    for e in entries:
        if e["error"]:
            add_row(grid, e["name"], "INVALID", "", e["error"], "")
        else:
            add_row(
                grid, e["name"], e["version"], f"{e['points']}-point", e["title"], f"({e['path']})"
            )
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
    scale = table(
        "key",
        "score",
        "label",
        "meaning",
        title=r.pass_rule,
        fixed=("key", "score"),
    )
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
