"""How a session asks the queue for its next item: items in a fixed shuffle, each annotator
starting from their own point, under the overlap, drift and calibration rules."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_annotate.core.models import ClaimRequest

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def start_rank(annotator: str, rubric: str) -> int:
    """The annotator's own starting point in the shuffled order (stable across sessions).

    Items sit in a fixed random order (by content hash); each annotator walks
    it from a different point, so a team spreads over the items instead of
    all contending for the same few, and every draw is one index seek.
    """
    return int(hashlib.sha256(f"{annotator}\x00{rubric}".encode()).hexdigest()[:15], 16)


@dataclass(frozen=True, slots=True)
class ClaimRules:
    """One annotator's claims on one rubric: the same rules for every draw of a session."""

    rubric: str
    annotator: str
    overlap: int
    drift_permille: int
    calibration_only: bool

    def request(self, exclude: Sequence[int], *, include_skipped: bool) -> ClaimRequest:
        return ClaimRequest(
            rubric=self.rubric,
            annotator=self.annotator,
            overlap=self.overlap,
            start_rank=start_rank(self.annotator, self.rubric),
            exclude=tuple(exclude),
            include_skipped=include_skipped,
            drift_permille=self.drift_permille,
            calibration_only=self.calibration_only,
        )

    def claim(
        self, repo: Repository, exclude: Sequence[int], *, include_skipped: bool
    ) -> int | None:
        """Hold the next item for this annotator (None: nothing left)."""
        r = self.request(exclude, include_skipped=include_skipped)
        return repo.claim_next(
            r.rubric,
            r.annotator,
            overlap=r.overlap,
            start_rank=r.start_rank,
            exclude=r.exclude,
            include_skipped=r.include_skipped,
            drift_permille=r.drift_permille,
            calibration_only=r.calibration_only,
        )
