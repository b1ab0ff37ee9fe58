"""`prompt add|list|show|diff`: the versioned prompt texts in prompts/NAME.toml."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tui_annotate.cli.context import errors_to_exit
from tui_annotate.cli.output import emit_json, say
from tui_annotate.core import prompt_registry as registry
from tui_annotate.errors import InputError

_DIR = click.option(
    "--prompts",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=registry.DEFAULT_DIR,
    show_default=True,
    help="The registry's directory.",
)


def _load(name: str, directory: Path) -> registry.Prompt:
    path = registry.path_of(name, directory)
    if not path.exists():
        known = ", ".join(registry.discover(directory)) or "none"
        raise InputError(f"no prompt {name!r} in {directory}/ (prompts there: {known})")
    return registry.load(path)


@click.group()
def prompt() -> None:
    """Versioned prompt texts (prompts/NAME.toml): add, list, show, diff."""


@prompt.command("add")
@click.argument("name")
@click.option("--version", "version", required=True, metavar="X.Y.Z", help="Semantic version.")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="The file holding the prompt text ('-': standard input).",
)
@click.option("--notes", default="", help="What changed and why.")
@_DIR
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@errors_to_exit
def add(name: str, version: str, source: Path, notes: str, directory: Path, as_json: bool) -> None:
    """Add VERSION of prompt NAME from a file.

    Refused unless the version is semantic and greater than the last. A change
    that alters the output format (JSON keys, headings, "respond in …"
    instructions) under a minor or patch bump is warned about.
    """
    if str(source) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"can't be read as UTF-8 text: {exc}", file=str(source)) from None
    if not text.strip():
        raise InputError("is empty", file=str(source))
    added = registry.add(name, version, text, notes=notes, directory=directory)
    for warning in added.warnings:
        say(f"warning: {warning}", err=True)
    if as_json:
        emit_json(
            {
                "prompt": name,
                "version": version,
                "path": str(added.path),
                "warnings": list(added.warnings),
            }
        )
        return
    say(f"added {name} {version} to {added.path}")


@prompt.command("list")
@_DIR
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@errors_to_exit
def list_(directory: Path, as_json: bool) -> None:
    """Every prompt in the registry with its versions."""
    prompts = registry.load_all(directory)
    if as_json:
        emit_json(
            {
                name: {
                    "versions": [v.version for v in p.versions],
                    "drafts": [v.version for v in p.drafts],
                }
                for name, p in prompts.items()
            }
        )
        return
    if not prompts:
        say(
            f"no prompts in {directory}/ (tui-annotate prompt add NAME --version 1.0.0 --from FILE)"
        )
        return
    for name, p in prompts.items():
        drafts = f" (drafts: {', '.join(v.version for v in p.drafts)})" if p.drafts else ""
        say(f"{name}: {', '.join(v.version for v in p.versions) or '—'}{drafts}")


@prompt.command("show")
@click.argument("name")
@click.argument("version", required=False)
@click.option("--drafts", is_flag=True, help="Also the draft versions (from suggest).")
@_DIR
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@errors_to_exit
def show(name: str, version: str | None, drafts: bool, directory: Path, as_json: bool) -> None:
    """The text of VERSION of prompt NAME (default: the latest)."""
    p = _load(name, directory)
    if drafts and version is None:
        shown = list(p.drafts)
        if as_json:
            emit_json({"prompt": name, "drafts": [v.to_json() for v in shown]})
            return
        if not shown:
            say(f"{name} has no drafts")
        for v in shown:
            say(f"== {name} {v.version} (draft, {v.created}) {v.notes}".rstrip())
            say(v.text)
        return
    v = p.get(version, drafts=True)
    if as_json:
        emit_json({"prompt": name, **v.to_json()})
        return
    say(f"== {name} {v.version} ({v.created}) {v.notes}".rstrip())
    say(v.text)


@prompt.command("diff")
@click.argument("name")
@click.argument("a")
@click.argument("b")
@_DIR
@errors_to_exit
def diff(name: str, a: str, b: str, directory: Path) -> None:
    """A unified diff of prompt NAME's text from version A to version B, and any format change."""
    p = _load(name, directory)
    say(registry.diff(p, a, b).rstrip("\n") or f"{name}: {a} and {b} have the same text")
    changes = registry.format_changes(p.get(a, drafts=True).text, p.get(b, drafts=True).text)
    for change in changes:
        say(f"output format: {change}", err=True)
