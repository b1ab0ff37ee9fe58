"""Who may annotate live: the calibration gate, decided before the app opens.

Kept apart from calibration.py so that `annotate` decides without importing numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_annotate.core.models import Round, Rubric
from tui_annotate.core.textsafe import visible

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


#: The setting that records that ANNOTATOR has seen ROUND's results (shown once).
RESULTS_SEEN = "results_seen/{annotator}/{round_id}"


@dataclass(frozen=True, slots=True)
class GateDecision:
    """allowed: may open the app; calibration_only: only round items until they pass.

    results: a closed round of theirs whose results they have not seen yet;
    shown before a refusal, as the app shows it before the queue.
    """

    allowed: bool
    calibration_only: bool
    message: str
    uncalibrated: bool = False
    results: Round | None = None


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
    lead: bool = False,
) -> GateDecision:
    """Once a rubric has a round (or the project requires calibration), live annotation on it
    is for annotators who took part in a passed round on its current major version.

    A solo user who never calibrates is never blocked. Someone in an open
    round may still label that round's items. A lead's --allow-uncalibrated
    lets anyone through, and is recorded on their labels. A refusal says
    what is true of the rubric's rounds and what would let ANNOTATOR through
    (LEAD: whether they may run the lead's commands themselves).
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
    taken = [r for r in rounds if not r.is_open and annotator in r.annotators]
    unseen = None
    if taken:
        key = RESULTS_SEEN.format(annotator=annotator, round_id=taken[-1].id)
        unseen = taken[-1] if repo.get_setting(key) is None else None
    return GateDecision(False, False, refusal(rounds, rubric, annotator, lead=lead), results=unseen)


def refusal(rounds: Sequence[Round], rubric: Rubric, annotator: str, *, lead: bool) -> str:
    """Why ANNOTATOR may not annotate RUBRIC live, from the rounds as they stand, and the way in."""
    name = visible(annotator)
    need = f"live annotation on {rubric.name} needs a passed calibration round on version {rubric.major}.x"
    if not rounds:
        why = f"this project requires calibration: {need}, and {rubric.name} has no round yet."
    else:
        why = f"{need}, and {name} has taken part in none. " + _rounds_so_far(rounds, rubric)
    open_ = [r for r in rounds if r.is_open]
    join = f"join the next round once round {open_[0].id} is closed" if open_ else "join a round"
    start = f"tui-annotate calibrate start --rubric {rubric.name} --annotators {name},…"
    if lead:
        way = (
            f"As a lead you can let yourself through with --allow-uncalibrated (recorded on "
            f"your labels), or {join} ({start})."
        )
    else:
        way = (
            f"Ask a lead to add you to a round ({start}"
            + (f", once round {open_[0].id} is closed" if open_ else "")
            + ") or to let you through with --allow-uncalibrated."
        )
    return f"{why} {way}"


def _rounds_so_far(rounds: Sequence[Round], rubric: Rubric) -> str:
    """'Round 1 failed (alpha 0.412; ana, ben); round 2 is open (ana, ben).' — the last few."""
    shown = rounds[-3:]
    parts = []
    for r in shown:
        who = ", ".join(visible(a) for a in r.annotators)
        if r.is_open:
            parts.append(f"round {r.id} is open ({who})")
            continue
        verdict = {
            "pass": "passed",
            "fail": "failed",
            "tentative": "was only tentative",
        }.get(r.verdict or "", "closed without a verdict")
        alpha = "alpha undefined" if r.alpha is None else f"alpha {r.alpha:.3f}"
        old = f", on version {r.rubric_major}.x" if r.rubric_major != rubric.major else ""
        parts.append(f"round {r.id} {verdict} ({alpha}{old}; {who})")
    earlier = f"{len(rounds) - len(shown)} earlier round(s); " if len(rounds) > len(shown) else ""
    text = earlier + "; ".join(parts)
    return text[0].upper() + text[1:] + "."
