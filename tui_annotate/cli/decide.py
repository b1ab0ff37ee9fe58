"""`decide`: the Decide screen on one prompt: scorecard, compare, trend and tags in the app.

Lead-only like `export` (the same access rule). Everything a command can
refuse is refused here, before the screen opens: an unknown prompt or rubric
is exit 2 naming what exists, as `scorecard` does. The prompt's table itself
is read on the app's worker thread, so the screen draws at once however
large the project is.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui_annotate.cli.context import Context, errors_to_exit, lead_only
from tui_annotate.cli.decide_input import BOOTSTRAP, checked_rubrics, raise_unless_prompt

if TYPE_CHECKING:
    from tui_annotate.core.decide.config import ScorecardConfig
    from tui_annotate.core.decide.table import Source
    from tui_annotate.tui.decide_app import DecideApp


@click.command()
@click.option("--prompt", required=True, metavar="P", help="The prompt to decide on.")
@click.option(
    "--rubric",
    "rubric_names",
    multiple=True,
    metavar="NAME",
    help="A rubric to show (repeatable) [default: the [scorecard] metrics, "
    "else every rubric with labels on the prompt].",
)
@click.option(
    "--source",
    type=click.Choice(["human", "judge", "ppi"]),
    default="human",
    show_default=True,
    help="human: people and golden labels only; judge: the judge where no person labelled; "
    "ppi: judge bulk corrected by the items people also labelled.",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=BOOTSTRAP,
    show_default=True,
    help="Bootstrap replicates for the mean and difference intervals.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.pass_obj
@errors_to_exit
@lead_only("decide")
def decide(
    obj: Context,
    prompt: str,
    rubric_names: tuple[str, ...],
    source: Source,
    bootstrap: int,
    seed: int,
) -> None:
    """Open the Decide screen: every number of scorecard, compare, trend and tags, in tabs.

    Pick the two versions to compare with [ ] (baseline) and { } (candidate);
    Enter opens a regressed case with its item and labels.
    """
    obj.require_db()
    preload = preload_app()
    app = decide_app(obj, obj.db_path, prompt, rubric_names, source, bootstrap, seed)
    # Gone before the app blocks SIGHUP/SIGTERM for its threads (tui/app_base.py), so no
    # thread without that mask is left to take the signal.
    preload.join()
    app.run()


def preload_app() -> threading.Thread:
    """Import the app (Textual: a few hundred ms) on a thread while the checks read the database.

    SQLite lets go of the GIL while it steps, so the import and the queries overlap
    and the first tab draws that much sooner; `decide_app` imports the same modules
    and Python's import lock makes it wait for this import rather than repeat it.
    """
    target = functools.partial(importlib.import_module, "tui_annotate.tui.decide_app")
    thread = threading.Thread(target=target, name="tui-annotate-preload", daemon=True)
    thread.start()
    return thread


def decide_app(
    obj: Context,
    db_path: Path,
    prompt: str,
    rubric_names: Sequence[str] = (),
    source: Source = "human",
    bootstrap: int = BOOTSTRAP,
    seed: int = 0,
    scorecard: ScorecardConfig | None = None,
) -> DecideApp:
    """The Decide app on PROMPT in DB_PATH, its choices checked (InputError, exit 2).

    SCORECARD: the thresholds and weights to show [default: the project's [scorecard]].
    """
    from tui_annotate.core.decide.infos import rubric_infos
    from tui_annotate.store.repository import Repository

    config = scorecard or obj.settings.scorecard
    with Repository.open(db_path, readonly=True) as repo:
        versions = raise_unless_prompt(repo, prompt)
        chosen = checked_rubrics(obj, repo, prompt, rubric_names, config)
    from tui_annotate.tui import keymap  # loads Textual: only now that the screen opens
    from tui_annotate.tui.decide_app import DecideApp
    from tui_annotate.tui.screens.decide_data import DecideData

    keys = keymap.check(obj.settings.keymap, None)
    data = DecideData.from_db(
        db_path,
        prompt=prompt,
        versions=versions,
        rubrics=chosen,
        infos=rubric_infos(chosen, config),
        source=source,
        bootstrap=bootstrap,
        seed=seed,
    )
    return DecideApp(data, keymap=keys)
