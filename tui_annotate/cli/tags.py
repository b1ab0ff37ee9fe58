"""`tags`: the failure tags of each version of a prompt, largest first (a Pareto)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.decide_input import decide_options, load
from tui_annotate.cli.output import emit_json

if TYPE_CHECKING:
    from tui_annotate.core.decide.table import Source


@click.command()
@decide_options(bootstrap=False)
@click.pass_obj
@errors_to_exit
def tags(
    obj: Context, prompt: str, rubric_names: tuple[str, ...], source: Source, as_json: bool
) -> None:
    """Failure tags per version, largest first, each with its share of the failures.

    Among FAIL resolved labels: each tag's count and share (Wilson interval),
    the running share, the change against the previous version, tags new in
    this version, and the failures nobody tagged.
    """
    from tui_annotate.cli.decide_render import print_tags
    from tui_annotate.core.decide.tags import tag_report

    loaded = load(obj, prompt, rubric_names)
    report = tag_report(loaded.table, loaded.infos, source=source)
    if as_json:
        emit_json(report.to_json())
    else:
        print_tags(report)
