"""`annotate` and `demo`: open the annotation app (the TUI loads only here, when it opens).

Start-up is measured against a bare Textual app (bench/startup.py), so this
module imports only what `annotate` needs before the first frame: the
importer and the temporary folder are `demo`'s, loaded inside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

import click

from tui_annotate import access, config
from tui_annotate.cli import startup
from tui_annotate.cli.context import OVERLAP, Context, errors_to_exit, fail
from tui_annotate.cli.output import say
from tui_annotate.core import gate, names
from tui_annotate.core.models import Round
from tui_annotate.errors import AnnotateError
from tui_annotate.store.repository import Repository

SAMPLE_ITEMS = Path(__file__).parent.parent / "data" / "sample_items.jsonl"
DEMO_RUBRIC = "faithfulness"


def _open_app(
    obj: Context,
    db_path: Path,
    rubric_name: str,
    annotator: str,
    overlap: int,
    show_prompt_version: bool,
    allow_uncalibrated: bool = False,
) -> None:
    # Off until the app's first frame (cli/startup.py): the TUI's modules and screen are
    # what start-up makes, to live as long as the process.
    startup.collector_off()
    loaded = obj.rubric(rubric_name)
    repo, readonly_reason = Repository.open_or_browse(db_path)
    try:
        from tui_annotate.tui import keymap
        from tui_annotate.tui.factory import GateRefused, make_annotate_app  # loads the TUI

        try:
            app = make_annotate_app(
                obj.settings,
                repo=repo,
                rubric=loaded,
                annotator=annotator,
                overlap=overlap,
                show_prompt_version=show_prompt_version,
                allow_uncalibrated=allow_uncalibrated,
                readonly_reason=readonly_reason,
            )
        except GateRefused as refused:
            if refused.decision.results is not None:
                keys = keymap.check(obj.settings.keymap, loaded)  # passed in the factory
                _show_results_first(repo, annotator, refused.decision.results, keys)
            fail(refused.decision.message, code=1)
        if readonly_reason is not None:
            say(
                f"warning: {readonly_reason}; opening it read-only for "
                "browsing: nothing will be saved",
                err=True,
            )
        app.after_first_frame = startup.collector_on
        app.run()
    finally:
        startup.collector_on()
        if readonly_reason is None:
            repo.optimize(wait_ms=200)  # SQLite's advice for a connection that lived long
        repo.close()


def _show_results_first(
    repo: Repository, annotator: str, round_: Round, keys: Mapping[str, str]
) -> None:
    """A member of a closed round sees its results once before being refused, as the app
    shows them once before the queue (README: Calibration)."""
    from tui_annotate.tui.results_app import ResultsApp

    ResultsApp(round_.result, keymap=keys).run()
    key = gate.RESULTS_SEEN.format(annotator=annotator, round_id=round_.id)
    with contextlib.suppress(AnnotateError):  # read-only database: shown again next time
        repo.set_setting(key, "1")


@click.command()
@click.option(
    "--annotator",
    default=None,
    help="Your name on the labels [default: your login; a team project can turn this off].",
)
@click.option("--rubric", "rubric_name", required=True, help="The rubric to rate against.")
@OVERLAP
@click.option(
    "--show-prompt-version", is_flag=True, help="Show items' prompt versions (unblinds them)."
)
@click.option(
    "--allow-uncalibrated",
    is_flag=True,
    help="Let an annotator without a passed calibration round through (recorded on the labels).",
)
@click.pass_obj
@errors_to_exit
def annotate(
    obj: Context,
    annotator: str | None,
    rubric_name: str,
    overlap: int | None,
    show_prompt_version: bool,
    allow_uncalibrated: bool,
) -> None:
    """Open the annotation app: rate items with one key each."""
    name = access.annotator_name(annotator, obj.settings)
    obj.require_db(" (import items first, or pass --db)")
    _open_app(
        obj,
        obj.db_path,
        rubric_name,
        name,
        overlap or obj.settings.overlap,
        show_prompt_version or obj.settings.show_prompt_version,
        allow_uncalibrated,
    )


def _decide_demo(obj: Context, db_path: Path) -> None:
    """`demo --decide`: the labelled sample loaded into a fresh project, on the Decide screen."""
    import shutil

    from tui_annotate.cli.decide import decide_app
    from tui_annotate.core.decide import sample

    with Repository.open(db_path) as repo:
        prompt = sample.load_decide_sample(repo)
    # Its folder becomes a whole project (the sample's [scorecard] and rubric beside the
    # database), so the text commands run there give the screen's numbers and thresholds.
    shutil.copy(sample.CONFIG, db_path.parent / config.CONFIG_FILE)
    shutil.copytree(sample.RUBRICS_DIR, db_path.parent / "rubrics")
    # The sample brings a rubric of its own (rudeness): look there first; and its own
    # [scorecard] (thresholds, weights, zero tolerance), as its project file would.
    here = Context(str(db_path), str(sample.RUBRICS_DIR))
    card = config.load(cwd=sample.CONFIG.parent).scorecard
    try:
        decide_app(here, db_path, prompt, scorecard=card).run()
    finally:
        say(f"Demo database: {db_path}")
        say(
            f"Its numbers as text (the sample's [scorecard] and rubric are beside it): "
            f"cd {db_path.parent} && tui-annotate scorecard --prompt {prompt}"
        )


@click.command()
@click.option(
    "--rubric",
    "rubric_name",
    default=DEMO_RUBRIC,
    show_default=True,
    help="The rubric to rate the sample against.",
)
@click.option("--annotator", default=None, help="Your name [default: your login].")
@click.option(
    "--decide",
    "decide_sample",
    is_flag=True,
    help="Open the Decide screen on a second sample: one prompt in three versions, labelled.",
)
@click.pass_obj
@errors_to_exit
def demo(obj: Context, rubric_name: str, annotator: str | None, decide_sample: bool) -> None:
    """Open the app on a bundled sample project (a support assistant's answers) in a fresh database."""
    import tempfile

    from tui_annotate.core import ingest

    folder = Path(tempfile.mkdtemp(prefix="tui-annotate-demo-"))
    db_path = folder / "annotations.db"
    if decide_sample:
        _decide_demo(obj, db_path)
        return
    with Repository.open(db_path) as repo:
        ingest.import_items(repo, SAMPLE_ITEMS)
    try:
        name = names.check(annotator or access.login_name(), field="--annotator")
        _open_app(obj, db_path, rubric_name, name, 1, True)
    finally:
        say(f"Demo database: {db_path}")
        say(f"Export it: tui-annotate --db {db_path} export --rubric {rubric_name}")
