"""`gate`: pass, fail or inconclusive for a candidate version — an exit code for CI.

The text, `--json`, `--junit` and `--markdown` outputs and the exit code all
read the one `GateReport`, so what CI does and what a person reads cannot
disagree. Exit 0 pass, 1 fail, 3 inconclusive (too little data to tell);
`--inconclusive fail|pass` folds the third outcome for two-outcome pipelines.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from tui_annotate.cli import outfile
from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.decide_input import decide_options, load
from tui_annotate.cli.output import emit_json
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from tui_annotate.core.decide.table import Source


@click.command()
@click.option("--candidate", required=True, metavar="V", help="The version to decide on.")
@click.option(
    "--baseline",
    default=None,
    metavar="V|golden",
    help="Also check non-inferiority against this version, or the golden labels.",
)
@click.option(
    "--inconclusive",
    "inconclusive",
    type=click.Choice(["fail", "pass"]),
    default=None,
    help="Exit as if an inconclusive gate failed (1) or passed (0) [default: exit 3].",
)
@click.option(
    "--junit",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Also write a JUnit XML report: one test case per check.",
)
@click.option(
    "--markdown",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Also write a Markdown summary for a pull-request comment.",
)
@decide_options()
@click.pass_obj
@errors_to_exit
def gate(
    obj: Context,
    candidate: str,
    baseline: str | None,
    inconclusive: Literal["fail", "pass"] | None,
    junit: Path | None,
    markdown: Path | None,
    prompt: str,
    rubric_names: tuple[str, ...],
    source: Source,
    bootstrap: int,
    seed: int,
    as_json: bool,
) -> None:
    """Decide whether the candidate ships: exit 0 pass, 1 fail, 3 inconclusive (2 bad usage).

    Checks every [scorecard.metrics.NAME] min_pass_rate (Wilson bounds) and
    zero_tolerance, and with --baseline the paired pass-rate difference against
    the [scorecard] margin; fewer than min_n items or pairs is inconclusive.
    """
    from tui_annotate.cli.decide_render import print_gate
    from tui_annotate.cli.gate_files import junit_xml
    from tui_annotate.cli.gate_files import markdown as markdown_text
    from tui_annotate.core.decide.gate import gate as decide
    from tui_annotate.core.decide.lock import gate_lock

    for path in (junit, markdown):
        if path is not None:
            outfile.target(path)  # refuse a file that can't be written before any work
    loaded = load(obj, prompt, rubric_names, golden=True, notes=False)
    loaded.check_version(candidate, "--candidate")
    if baseline is not None:
        loaded.check_version(baseline, "--baseline", golden=True)
    if baseline == candidate:
        # Paired with itself every change is 0 and non-inferiority passes blind: a CI typo.
        others = ", ".join(v for v in loaded.versions if v != candidate) or "none"
        raise InputError(
            f"the baseline is the candidate ({candidate!r}); compare it with another version "
            f'({others}) or "golden"',
            field="--baseline",
        )
    report = decide(
        loaded.table,
        loaded.infos,
        loaded.config,
        candidate=candidate,
        baseline=baseline,
        lock=gate_lock(loaded.golden_rows, loaded.infos, loaded.config),
        source=source,
        bootstrap=bootstrap,
        seed=seed,
    )
    code = report.exit_code(inconclusive)
    if junit is not None:
        with outfile.open_text(junit) as out:
            out.write(junit_xml(report))
    if markdown is not None:
        with outfile.open_text(markdown) as out:
            out.write(markdown_text(report, code))
    if as_json:
        emit_json(report.to_json())
    else:
        print_gate(report, code)
    sys.exit(code)
