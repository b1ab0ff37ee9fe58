"""`status`: items, labels per rubric and annotator, and what is left to label."""

from __future__ import annotations

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.output import emit_json, say
from tui_annotate.cli.printers import print_status
from tui_annotate.core import prompt_registry, report
from tui_annotate.core import rubric as rubrics
from tui_annotate.render import plural


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def status(obj: Context, as_json: bool) -> None:
    """Items, labels per rubric and annotator, and what is left to label."""
    obj.require_db(" (import items first, or pass --db)")
    names = sorted(rubrics.discover(obj.rubric_dirs()))
    with obj.repo(readonly=True) as repo:
        data = report.status(repo, names)
        quarantined = repo.follow.quarantine_count()
        unregistered = _unregistered(repo.status.prompt_versions())
    if as_json:
        emit_json(
            {
                **data.to_json(),
                "quarantined": quarantined,
                "unregistered_prompt_versions": [
                    {"prompt": p, "version": v, "items": n} for p, v, n in unregistered
                ],
            }
        )
        return
    print_status(data)
    if unregistered:
        listed = ", ".join(f"{p} {v} ({n} items)" for p, v, n in unregistered)
        say(f"prompt versions without text in {prompt_registry.DEFAULT_DIR}/: {listed}")
    if quarantined:
        say(
            f"quarantined: {plural(quarantined, 'live line')} could not be imported "
            "(tui-annotate quarantine lists them)"
        )


def _unregistered(seen: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Versions items name that the prompt registry has no text for (when there is one:
    the registry is optional, and a project without prompts/ is not nagged)."""
    if not prompt_registry.DEFAULT_DIR.is_dir():
        return []
    known = prompt_registry.registered()
    return [(p, v, n) for p, v, n in seen if (p, v) not in known]
