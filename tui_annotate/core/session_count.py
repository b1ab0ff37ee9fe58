"""How much of an annotator's queue is done and left: the header's count.

A full count reads every item (a second or so at a million), so it runs on
a worker thread with its own connection while the annotator keeps rating;
`apply_count` then corrects it for the keys pressed meanwhile. A part of
AnnotationSession (core/session.py), kept apart as the one idea of counting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_annotate.core.models import Progress, Rubric

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


class QueueCount:
    """Counting for AnnotationSession, which provides these attributes."""

    repo: Repository
    rubric: Rubric
    annotator: str
    overlap: int
    drift_permille: int
    calibration_only: bool
    progress: Progress
    #: False until the first full count lands: till then `progress` is not to be shown.
    counted: bool
    _moves: int

    def refresh_progress(self, repo: Repository | None = None) -> Progress:
        """Recount done and remaining (a full count: call it off the UI thread on big queues)."""
        return self._counted(Progress(*self._count(repo or self.repo)))

    def count_remaining(self, repo: Repository) -> tuple[int, int]:
        """The full count of what is left, for a worker thread with its own connection.

        Returns (remaining, moves): pass both to `apply_count` on the UI
        thread, which corrects for labels made while the count ran. It reads
        every item (a second or two at a million): REPO's `interrupt()` from
        another thread stops it with a StoreError.
        """
        moves = self._moves
        _, remaining, _ = self._count(repo)
        return remaining, moves

    def apply_count(self, remaining: int, moves_at_start: int) -> Progress:
        rated, skipped = self.repo.state_counts(self.rubric.name, self.annotator)
        remaining = max(0, remaining - (self._moves - moves_at_start))
        return self._counted(Progress(rated, remaining, skipped))

    def recount_done(self) -> Progress:
        """Exact done and skipped counts when the queue is empty (nothing remains by definition)."""
        rated, skipped = self.repo.state_counts(self.rubric.name, self.annotator)
        return self._counted(Progress(rated, 0, skipped))

    def _count(self, repo: Repository) -> tuple[int, int, int]:
        """(done, remaining, skipped): a full count through REPO."""
        return repo.progress(
            self.rubric.name,
            self.annotator,
            self.overlap,
            drift_permille=self.drift_permille,
            calibration_only=self.calibration_only,
        )

    def _counted(self, progress: Progress) -> Progress:
        self.progress, self.counted = progress, True
        return progress
