"""`trend`: a rubric's pass rate per version or per week, as a text forest plot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.decide_input import decide_options, load
from tui_annotate.cli.output import emit_json

if TYPE_CHECKING:
    from tui_annotate.core.decide.table import Source


@click.command()
@click.option(
    "--by",
    type=click.Choice(["version", "week"]),
    default="version",
    show_default=True,
    help="One row per version (semantic-version order) or per ISO week.",
)
@click.option("--ascii", "ascii_only", is_flag=True, help="Draw with plain ASCII characters.")
@decide_options(bootstrap=False)
@click.pass_obj
@errors_to_exit
def trend(
    obj: Context,
    by: Literal["version", "week"],
    ascii_only: bool,
    prompt: str,
    rubric_names: tuple[str, ...],
    source: Source,
    as_json: bool,
) -> None:
    """Pass rate with its interval and n per version or week, drawn as a forest plot.

    Each rubric gets a sparkline of its pass rates and a bar per row
    (`1.1.0  ●──┤ 0.82 [0.71, 0.90] n=57`), marked at its min pass rate.
    """
    from tui_annotate.cli.decide_render import print_trend
    from tui_annotate.core.decide.trend import trend as build

    loaded = load(obj, prompt, rubric_names, notes=False)
    result = build(loaded.table, loaded.infos, by=by, source=source)
    if as_json:
        emit_json(result.to_json())
    else:
        print_trend(result, ascii=ascii_only)
