"""Opening the pairwise app from `pairwise annotate`: who may, on which task, with which rubric.

The annotation app's rules: the login is the annotator (checked by the
command), a task with named annotators is theirs alone, and a task with a
rubric is behind that rubric's calibration gate (core/gate.py), as `annotate`.
Imported by the command when it runs, so the TUI loads only then.
"""

from __future__ import annotations

from tui_annotate import access
from tui_annotate.cli.context import Context, fail
from tui_annotate.core import gate
from tui_annotate.core.pairwise import tasks
from tui_annotate.errors import InputError
from tui_annotate.store.repository import Repository


def open_app(obj: Context, task_id: int | None, annotator: str) -> None:
    repo = Repository.open(obj.db_path)
    try:
        task = tasks.find(repo, task_id)
        if task.annotators and annotator not in task.annotators:
            raise InputError(
                f"pairwise task {task.id} is for {', '.join(task.annotators)}; "
                f"you are {annotator!r}"
            )
        rubric = obj.rubric(task.rubric) if task.rubric else None
        if rubric is not None:
            decision = gate.decide(
                repo,
                rubric,
                annotator,
                require_calibration=obj.settings.require_calibration,
                allow_uncalibrated=False,
                lead=access.is_lead(obj.settings),
            )
            if not decision.allowed:
                fail(decision.message, code=1)
        from tui_annotate.tui.pairwise_app import make_pairwise_app

        make_pairwise_app(
            obj.settings, repo=repo, task=task, annotator=annotator, rubric=rubric
        ).run()
    finally:
        repo.close()
