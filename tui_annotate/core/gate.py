"""Who may annotate live: the calibration gate, decided before the app opens.

Kept apart from calibration.py so that `annotate` decides without importing numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_annotate.core.models import Round, Rubric

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


@dataclass(frozen=True, slots=True)
class GateDecision:
    """allowed: may open the app; calibration_only: only round items until they pass."""

    allowed: bool
    calibration_only: bool
    message: str
    uncalibrated: bool = False


def passed(round_: Round, rubric: Rubric, annotator: str) -> bool:
    return (
        not round_.is_open
        and round_.verdict == "pass"
        and annotator in round_.annotators
        and round_.rubric_major == rubric.major
    )


def decide(
    repo: Repository,
    rubric: Rubric,
    annotator: str,
    *,
    require_calibration: bool = False,
    allow_uncalibrated: bool = False,
) -> GateDecision:
    """Once a rubric has a round (or the project requires calibration), live annotation on it
    is for annotators who took part in a passed round on its current major version.

    A solo user who never calibrates is never blocked. Someone in an open
    round may still label that round's items. A lead's --allow-uncalibrated
    lets anyone through, and is recorded on their labels.
    """
    rounds = repo.rounds.find(rubric=rubric.name)
    if not rounds and not require_calibration:
        return GateDecision(True, False, "no calibration on this rubric")
    if any(passed(r, rubric, annotator) for r in rounds):
        return GateDecision(True, False, "calibrated")
    if allow_uncalibrated:
        return GateDecision(True, False, "let through uncalibrated", uncalibrated=True)
    mine = [r for r in rounds if r.is_open and annotator in r.annotators]
    if mine:
        return GateDecision(
            True,
            True,
            f"calibration round {mine[0].id} first; live annotation opens once it passes",
        )
    reason = (
        "this project requires calibration"
        if not rounds
        else f"{rubric.name} is calibrated and {annotator} has not taken part in a passed round "
        f"on version {rubric.major}.x"
    )
    return GateDecision(
        False,
        False,
        f"{reason}. Ask a lead to add you to a round: tui-annotate calibrate start "
        f"--rubric {rubric.name} --annotators {annotator},… (or to let you through with "
        "--allow-uncalibrated).",
    )
