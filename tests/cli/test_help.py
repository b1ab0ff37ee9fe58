"""Every command explains itself, answers --help, and is documented in the README."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest

from tests.cli.conftest import ok
from tests.conftest import ROOT
from tui_annotate import __version__
from tui_annotate.cli import main
from tui_annotate.cli.group import COMMANDS as REGISTERED


def walk(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)  # the top-level group loads its commands lazily (cli/group.py)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


COMMANDS = list(walk(main))
IDS = [" ".join(path) for path, _ in COMMANDS]


def test_the_walk_finds_the_commands_the_spec_names() -> None:
    found = set(IDS)
    for expected in (
        "import",
        "status",
        "rubric",
        "rubric check",
        "rubric list",
        "rubric show",
        "annotate",
        "demo",
        "export",
    ):
        assert expected in found


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_command_has_help_text(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"`{' '.join(path)}` has no help text"
    assert command.get_short_help_str().strip()


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_exits_0_and_shows_the_usage(
    runner, path: tuple[str, ...], command: click.Command
) -> None:
    result = ok(runner.invoke(main, [*path, "--help"]))
    assert re.search(rf"^Usage: \S+ {re.escape(' '.join(path))}\b", result.stdout, re.MULTILINE)
    first_line = (command.help or "").strip().splitlines()[0]
    assert " ".join(first_line.split()[:4]) in " ".join(result.stdout.split())


def test_top_level_help_lists_every_command(runner) -> None:
    result = ok(runner.invoke(main, ["--help"]))
    for name in REGISTERED:
        assert re.search(rf"^\s+{re.escape(name)}\b", result.stdout, re.MULTILINE), name


def documented(name: str, readme: str) -> bool:
    """NAME is shown as a command: on a `tui-annotate …` line, or as a code span `NAME …`."""
    word = rf"(?<![\w-]){re.escape(name)}(?![\w-])"
    on_command_line = any(
        "tui-annotate" in line and re.search(word, line.split("tui-annotate", 1)[1])
        for line in readme.splitlines()
    )
    return on_command_line or bool(re.search(rf"`{re.escape(name)}(?![\w-])", readme))


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_every_top_level_command_is_in_the_readme(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert documented(name, readme), f"command {name!r} is not in README.md's command reference"


def test_the_readme_check_is_not_fooled_by_prose() -> None:
    assert documented("status", "Run `tui-annotate --db x.db status --json`.")
    assert documented("export", "| `export --rubric NAME` | labels |")
    assert not documented("status", "It shows the order status of each item.")
    assert not documented("import", "An important note: tui-annotate is fast.")


def test_version(runner) -> None:
    result = ok(runner.invoke(main, ["--version"]))
    assert __version__ in result.stdout
    assert "tui-annotate" in result.stdout
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)
