"""`compare BASELINE CANDIDATE`: two versions of a prompt, paired by case, rubric by rubric."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.decide_input import decide_options, load
from tui_annotate.cli.output import emit_json

if TYPE_CHECKING:
    from tui_annotate.core.decide.table import Source


@click.command()
@click.argument("baseline")
@click.argument("candidate")
@decide_options()
@click.pass_obj
@errors_to_exit
def compare(
    obj: Context,
    baseline: str,
    candidate: str,
    prompt: str,
    rubric_names: tuple[str, ...],
    source: Source,
    bootstrap: int,
    seed: int,
    as_json: bool,
) -> None:
    """Compare CANDIDATE with BASELINE (a version, or "golden") on the cases both have.

    Per rubric: PASS→FAIL and FAIL→PASS counts, exact McNemar p (Holm-adjusted
    across rubrics), the pass-rate and mean differences with paired bootstrap
    intervals, the smallest change this many pairs could detect, and the cases
    that regressed with their tags and comments.
    """
    from tui_annotate.cli.decide_render import print_comparison
    from tui_annotate.core.decide.compare import compare as build

    loaded = load(obj, prompt, rubric_names)
    loaded.check_version(baseline, "BASELINE", golden=True)
    loaded.check_version(candidate, "CANDIDATE")
    result = build(
        loaded.table,
        loaded.infos,
        baseline=baseline,
        candidate=candidate,
        source=source,
        bootstrap=bootstrap,
        seed=seed,
    )
    if as_json:
        emit_json(result.to_json())
    else:
        print_comparison(result)
