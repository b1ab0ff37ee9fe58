"""`keys`: every action id, its key and where that binding came from (remapped in [keymap])."""

from __future__ import annotations

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.output import add_row, console, emit_json, table


@click.command()
@click.option(
    "--rubric",
    "rubric_name",
    default=None,
    help="Also list this rubric's rating keys, and check the keymap against them.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def keys(obj: Context, rubric_name: str | None, as_json: bool) -> None:
    """Every action id, its key and where it came from: default, project file or user file.

    Remap an action in the [keymap] table of tui-annotate.toml, or of
    ~/.config/tui-annotate/keymap.toml for your own habits (the project file
    wins): skip = "x", undo = "ctrl+z,u". A keymap that clashes is refused
    here and when an app starts (exit 2).
    """
    from tui_annotate.tui import keymap  # Textual's key names: loaded by this command only
    from tui_annotate.tui.action_views import display

    rubric = obj.rubric(rubric_name) if rubric_name else None
    bound = keymap.resolve(obj.settings.keymap, rubric)
    if as_json:
        emit_json(
            [
                {
                    "screen": b.screen,
                    "id": b.action.id,
                    "keys": b.keys.split(",") if b.keys else [],
                    "source": b.origin,
                    "file": b.file,
                    "title": b.action.title,
                    "description": b.action.tooltip,
                }
                for b in bound
            ]
        )
        return
    grid = table("screen", "action", "keys", "from", "what it does", fixed=("screen", "keys"))
    for b in bound:
        # The action's own keys, never the footer's shorthand for a group ('1-4', '[ ]').
        shown = display(b.keys)
        add_row(grid, b.screen, b.action.id, shown or "— (palette)", b.where, b.action.tooltip)
    console().print(grid)
