"""The one way to build the annotation app: `annotate`, `demo`, `serve`'s tabs, the tests, the bench.

Everything the app's behaviour depends on besides the annotator's keys is
decided here (posting's `make_posting()`), so no front end can skip it: the
keymap checked before anything is drawn (exit 2), the lease, the calibration
gate (core/gate.py: refused, calibration-only, or let through uncalibrated),
the rubric's snapshot, the drift share once a rubric is calibrated, the
prompt-version column and the read-only mode. The App itself is imported
when called: the CLI loads Textual only for the commands that open it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_annotate import access
from tui_annotate.config import Settings
from tui_annotate.core import gate, snapshot
from tui_annotate.core.gate import GateDecision
from tui_annotate.core.models import Rubric
from tui_annotate.errors import AnnotateError
from tui_annotate.store.repository import Repository
from tui_annotate.tui import keymap

if TYPE_CHECKING:
    from tui_annotate.tui.annotate_app import AnnotateApp


class GateRefused(AnnotateError):
    """The calibration gate keeps this annotator out of live annotation on this rubric."""

    exit_code = 1

    def __init__(self, decision: GateDecision) -> None:
        self.decision = decision
        super().__init__(decision.message)


def make_annotate_app(
    settings: Settings,
    *,
    repo: Repository,
    rubric: Rubric,
    annotator: str,
    overlap: int | None = None,
    show_prompt_version: bool = False,
    allow_uncalibrated: bool = False,
    readonly_reason: str | None = None,
) -> AnnotateApp:
    """The annotation app for ANNOTATOR on RUBRIC, wired as SETTINGS and the database say.

    OVERLAP and SHOW_PROMPT_VERSION are the command line's (None / False: the
    settings decide; the database's own setting can turn the column on too).
    READONLY_REASON: the database takes no writes (Repository.open_or_browse),
    so the app only browses. Raises InputError for a refused keymap and
    GateRefused (exit 1) when the gate says no.
    """
    keys = keymap.check(settings.keymap, rubric)
    repo.lease_seconds = settings.lease_seconds
    decision = gate.decide(
        repo,
        rubric,
        annotator,
        require_calibration=settings.require_calibration,
        allow_uncalibrated=allow_uncalibrated,
        lead=access.is_lead(settings),
    )
    if not decision.allowed:
        raise GateRefused(decision)
    if readonly_reason is None:
        snapshot.register(repo, rubric)
    show = show_prompt_version or settings.show_prompt_version
    show = show or repo.get_setting("show_prompt_version") == "true"
    # Drift is measured once a team calibrates; a solo user keeps a plain overlap.
    calibrated = bool(repo.rounds.find(rubric=rubric.name))
    from tui_annotate.tui.annotate_app import AnnotateApp

    return AnnotateApp(
        repo=repo,
        rubric=rubric,
        annotator=annotator,
        overlap=overlap or settings.overlap,
        show_prompt_version=show,
        calibration_only=decision.calibration_only,
        uncalibrated=decision.uncalibrated,
        drift_permille=round(settings.drift_share * 1000) if calibrated else 0,
        readonly_reason=readonly_reason,
        keymap=keys,
    )
