"""`scorecard`: every version × rubric of one prompt, each pass rate with its n and interval."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.decide_input import decide_options, load
from tui_annotate.cli.output import emit_json

if TYPE_CHECKING:
    from tui_annotate.core.decide.table import Source


@click.command()
@decide_options()
@click.pass_obj
@errors_to_exit
def scorecard(
    obj: Context,
    prompt: str,
    rubric_names: tuple[str, ...],
    source: Source,
    bootstrap: int,
    seed: int,
    as_json: bool,
) -> None:
    """Pass rates per version and rubric (Wilson interval, n), mean scores and a composite.

    The composite (weighted by [scorecard.metrics.NAME] weight) ranks versions;
    only `gate` decides.
    """
    from tui_annotate.cli.decide_render import print_scorecard
    from tui_annotate.core.decide.scorecard import scorecard as build

    loaded = load(obj, prompt, rubric_names, notes=False)
    card = build(loaded.table, loaded.infos, source=source, bootstrap=bootstrap, seed=seed)
    if as_json:
        emit_json(card.to_json())
    else:
        print_scorecard(card)
