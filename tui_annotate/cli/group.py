"""The `tui-annotate` click group: its global options, and the one place every command is registered.

Each command (or command group) lives in its own module named after it, and
imports what it shares from `cli.context`, never this module, so there is no
import cycle. A new command (`scorecard`, `gate`, `pairwise`, `prompt`, …) is
one new module in `cli/` and one line in `COMMANDS` below.

Every command module is imported here because `--help` lists them all with
their help text; they keep Rich, the TUI, openai and numpy inside the
command functions, so `--help` and start-up load none of those.
"""

from __future__ import annotations

import click

from tui_annotate import __version__
from tui_annotate.cli import (
    agreement,
    annotate,
    backup,
    calibrate,
    compare,
    decide,
    drift,
    export,
    gate,
    import_items,
    import_labels,
    judge,
    keys,
    pairwise,
    prompt,
    quarantine,
    rubric,
    scorecard,
    serve,
    status,
    suggest,
    tags,
    trend,
)
from tui_annotate.cli.context import Context


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


#: Every command, by module; `--help` lists them alphabetically whatever the order here.
COMMANDS: tuple[click.Command, ...] = (
    import_items.import_cmd,  # import
    status.status,
    rubric.rubric,  # rubric check | list | show
    annotate.annotate,
    annotate.demo,
    export.export,
    backup.backup,
    calibrate.calibrate,  # calibrate start | status | close | show | review | adjudicate
    agreement.agreement,
    import_labels.import_labels_cmd,  # import-labels
    judge.judge,
    judge.route,
    serve.serve,
    keys.keys,
    pairwise.pairwise,  # pairwise start | annotate | status | results
    scorecard.scorecard,
    compare.compare,
    gate.gate,
    tags.tags,
    trend.trend,
    decide.decide,
    quarantine.quarantine,
    prompt.prompt,  # prompt add | list | show | diff
    drift.drift,
    suggest.suggest,
)

for command in COMMANDS:
    main.add_command(command)
