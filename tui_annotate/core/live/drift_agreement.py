"""Agreement drift: do people still agree on the live items of the recent window?

Krippendorff's alpha over the recent window's live double-labelled items
(the labels `agreement --live` counts, restricted to the window), beside the
alpha of the rubric's last closed calibration round. A pass rate can hold
while agreement decays: the rubric then means different things to different
people, and the pass rate with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tui_annotate.core import agreement
from tui_annotate.core.agreement_report import rating_columns

if TYPE_CHECKING:
    from tui_annotate.core.models import Rubric
    from tui_annotate.store.repository import Repository


@dataclass(frozen=True, slots=True)
class AgreementDrift:
    #: Alpha over the window's live items with two or more people's labels (None: can't tell).
    alpha: float | None
    units: int
    reason: str | None
    #: The last closed calibration round of the rubric and its alpha (None: never calibrated).
    calibration_round: int | None
    calibration_alpha: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "alpha": None if self.alpha is None else round(self.alpha, 4),
            "units": self.units,
            "reason": self.reason,
            "calibration_round": self.calibration_round,
            "calibration_alpha": None
            if self.calibration_alpha is None
            else round(self.calibration_alpha, 4),
        }


def window_agreement(repo: Repository, rubric: Rubric, item_ids: np.ndarray) -> AgreementDrift:
    """Alpha of the live human labels on ITEM_IDS (the window's items that two or more
    people labelled), and the last calibration's alpha."""
    by_annotator = repo.drift.live_ratings(rubric.name, item_ids.tolist())
    columns = {name: rating_columns([rows], rubric) for name, rows in by_annotator.items()}
    ratings = agreement.Ratings.from_columns(columns, rubric.values)
    result = agreement.alpha(ratings, rubric.level)
    closed = [
        r for r in repo.rounds.find(rubric=rubric.name, status="closed") if r.alpha is not None
    ]
    last = max(closed, key=lambda r: (r.closed_at or "", r.id), default=None)
    return AgreementDrift(
        alpha=result.alpha,
        units=result.units,
        reason=result.reason,
        calibration_round=last.id if last else None,
        calibration_alpha=last.alpha if last else None,
    )
