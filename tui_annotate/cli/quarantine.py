"""`quarantine`: the bad lines a live follower set aside, with where they came from and why."""

from __future__ import annotations

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.output import emit_json, say


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Also the lines a retry imported since.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def quarantine(obj: Context, show_all: bool, as_json: bool) -> None:
    """List live lines that could not be imported: file, line, byte offset, reason, text.

    Fix the cause (a limit, a clashing id) and run `import --retry-quarantine`.
    """
    obj.require_db(" (import items first, or pass --db)")
    with obj.repo(readonly=True) as repo:
        entries = repo.follow.quarantined(include_imported=show_all)
    if as_json:
        emit_json([e.to_json() for e in entries])
        return
    if not entries:
        say("the quarantine is empty")
        return
    for e in entries:
        field = f" field '{e.field}':" if e.field else ""
        done = " (imported by a retry)" if e.status == "imported" else ""
        say(f"#{e.id} {e.file}:{e.line} (byte {e.byte_offset}):{field} {e.reason}{done}")
        say(f"    {e.raw[:200]}{'…' if len(e.raw) > 200 else ''}")
    noun = "line" if len(entries) == 1 else "lines"
    say(f"{len(entries)} {noun}; `tui-annotate import --retry-quarantine` tries them again")
