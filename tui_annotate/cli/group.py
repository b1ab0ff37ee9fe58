"""The `tui-annotate` click group: its global options, and the one place every command is registered.

Each command (or command group) lives in its own module named after it, and
imports what it shares from `cli.context`, never this module, so there is no
import cycle. A new command (`scorecard`, `gate`, `pairwise`, `prompt`, …) is
one new module in `cli/` and one line in `COMMANDS` below.

Command modules load lazily (click's LazyGroup pattern): a command's module
is imported when that command runs, so `annotate` starts without importing
the judge, export, calibration or serve code (start-up is measured against a
bare Textual app: bench/startup.py). `--help` imports them all, to list each
with its own help text, which stays in the command's docstring alone.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from tui_annotate import __version__
from tui_annotate.cli import startup
from tui_annotate.cli.context import Context

#: Every command: its name → "module:attribute" in `tui_annotate.cli`. One line each;
#: `--help` lists them alphabetically whatever the order here.
COMMANDS: dict[str, str] = {
    "import": "import_items:import_cmd",
    "status": "status:status",
    "rubric": "rubric:rubric",  # rubric check | list | show
    "annotate": "annotate:annotate",
    "demo": "annotate:demo",
    "export": "export:export",
    "backup": "backup:backup",
    "calibrate": "calibrate:calibrate",  # start | status | close | show | review | adjudicate
    "agreement": "agreement:agreement",
    "import-labels": "import_labels:import_labels_cmd",
    "judge": "judge:judge",
    "route": "judge:route",
    "serve": "serve:serve",
    "keys": "keys:keys",
    "pairwise": "pairwise:pairwise",  # pairwise start | annotate | status | results
    "scorecard": "scorecard:scorecard",
    "compare": "compare:compare",
    "gate": "gate:gate",
    "tags": "tags:tags",
    "trend": "trend:trend",
    "decide": "decide:decide",
    "quarantine": "quarantine:quarantine",
    "prompt": "prompt:prompt",  # prompt add | list | show | diff
    "drift": "drift:drift",
    "suggest": "suggest:suggest",
}


def load(name: str) -> click.Command:
    """The command NAME of COMMANDS, importing its module."""
    module, _, attribute = COMMANDS[name].partition(":")
    command = getattr(importlib.import_module(f"tui_annotate.cli.{module}"), attribute)
    if not isinstance(command, click.Command) or command.name != name:
        raise TypeError(f"COMMANDS[{name!r}] = {COMMANDS[name]!r} is not the command {name!r}")
    return command


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (every one of them for --help).

    The collector is off while the command line is parsed and the command's
    module loads, then back on before the command runs (cli/startup.py says
    why; `annotate` turns it off again until its first frame).
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        startup.collector_off()
        try:
            return super().main(*args, **kwargs)
        finally:
            startup.started()

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        finally:
            startup.collector_on()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load(cmd_name))
        return self.commands.get(cmd_name)


def all_commands() -> dict[str, click.Command]:
    """Every top-level command by name, all loaded (for tests and documentation)."""
    ctx = click.Context(main)
    found = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
