"""An annotator's walk through the queue: what is on screen, and what each key does to the log.

Headless, so the whole loop (rate, undo, skip, tag, comment, resume) is
testable without a terminal; the TUI only renders `AnnotationSession` state.
Every method that changes a label commits before it returns: by the time
the screen shows the next item, the label is on disk.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_annotate.core.models import CurrentLabel, Draft, Item, Progress, Rubric

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

#: How many of the annotator's latest labels `p` and `u` can reach after a restart.
HISTORY_ON_RESUME = 50


def start_rank(annotator: str, rubric: str) -> int:
    """The annotator's own starting point in the shuffled order (stable across sessions).

    Items sit in a fixed random order (by content hash); each annotator walks
    it from a different point, so a team spreads over the items instead of
    all contending for the same few, and every draw is one index seek.
    """
    return int(hashlib.sha256(f"{annotator}\x00{rubric}".encode()).hexdigest()[:15], 16)


@dataclass
class _Action:
    kind: str
    item_id: int


@dataclass
class AnnotationSession:
    """One annotator on one rubric, from `start()` to quit."""

    repo: Repository
    rubric: Rubric
    annotator: str
    overlap: int = 1
    clock: Callable[[], float] = time.monotonic
    history: list[int] = field(default_factory=list)
    pos: int = -1
    passed: list[int] = field(default_factory=list)
    actions: list[_Action] = field(default_factory=list)
    rated_this_session: int = 0
    progress: Progress = field(default_factory=lambda: Progress(0, 0))
    _items: dict[int, Item] = field(default_factory=dict)
    _seconds: dict[int, float] = field(default_factory=dict)
    _shown_at: float = 0.0
    _started_at: float = 0.0
    _draft: Draft = field(default_factory=Draft)
    _revisiting_skipped: bool = False
    _moves: int = 0  # items this session took out of the queue (rated or skipped), net of undo

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Load recent history (so undo and previous work after a restart) and draw an item."""
        self._started_at = self.clock()
        recent = self.repo.recent_rated(self.rubric.name, self.annotator, HISTORY_ON_RESUME)
        self.history = list(recent)
        self.actions = [_Action("rate", i) for i in recent]
        self.pos = len(self.history) - 1
        self._draw()

    def refresh_progress(self, repo: Repository | None = None) -> Progress:
        """Recount done and remaining (a full count: call it off the UI thread on big queues)."""
        done, remaining, skipped = (repo or self.repo).progress(
            self.rubric.name, self.annotator, self.overlap
        )
        self.progress = Progress(done, remaining, skipped)
        return self.progress

    def count_remaining(self, repo: Repository) -> tuple[int, int]:
        """The full count of what is left, for a worker thread with its own connection.

        Returns (remaining, moves): pass both to `apply_count` on the UI
        thread, which corrects for labels made while the count ran.
        """
        moves = self._moves
        _, remaining, _ = repo.progress(self.rubric.name, self.annotator, self.overlap)
        return remaining, moves

    def apply_count(self, remaining: int, moves_at_start: int) -> Progress:
        rated, skipped = self.repo.state_counts(self.rubric.name, self.annotator)
        remaining = max(0, remaining - (self._moves - moves_at_start))
        self.progress = Progress(rated, remaining, skipped)
        return self.progress

    def recount_done(self) -> Progress:
        """Exact done and skipped counts when the queue is empty (nothing remains by definition)."""
        rated, skipped = self.repo.state_counts(self.rubric.name, self.annotator)
        self.progress = Progress(rated, 0, skipped)
        return self.progress

    # -- what is on screen ----------------------------------------------------

    @property
    def current_id(self) -> int | None:
        if 0 <= self.pos < len(self.history):
            return self.history[self.pos]
        return None

    @property
    def done(self) -> bool:
        """True when nothing is left to show: the all-done screen."""
        return self.current_id is None

    def current_item(self) -> Item | None:
        item_id = self.current_id
        if item_id is None:
            return None
        if item_id not in self._items:
            self._items[item_id] = self.repo.get_item(item_id)
        return self._items[item_id]

    def current_label(self) -> CurrentLabel | None:
        item_id = self.current_id
        if item_id is None:
            return None
        return self.repo.current_label(item_id, self.rubric.name, self.annotator)

    def flagged(self) -> bool:
        item_id = self.current_id
        return item_id is not None and self.repo.is_flagged(
            item_id, self.rubric.name, self.annotator
        )

    @property
    def draft(self) -> Draft:
        """Tags and comment that the next rating of this item will carry."""
        return self._draft

    def seconds_on_item(self) -> float:
        item_id = self.current_id
        if item_id is None:
            return 0.0
        return self._seconds.get(item_id, 0.0) + (self.clock() - self._shown_at)

    def pace_per_hour(self) -> float | None:
        """Labels per hour this session; None until there is something to measure."""
        elapsed = self.clock() - self._started_at
        if self.rated_this_session == 0 or elapsed <= 0:
            return None
        return self.rated_this_session * 3600.0 / elapsed

    # -- keys -----------------------------------------------------------------

    def rate(self, value: int) -> int:
        """Append a rating (or a correction) with the pending tags and comment, then move on."""
        item_id = self._require_item()
        if self.rubric.level_for(value) is None:
            raise ValueError(f"{value} is not on the {self.rubric.name} scale")
        was_rated = self.current_label() is not None
        event = self.repo.append_event(
            item_id=item_id,
            rubric=self.rubric.name,
            rubric_version=self.rubric.version,
            annotator=self.annotator,
            kind="rate",
            score=value,
            tags=self._draft.tags,
            comment=self._draft.comment,
            seconds=self.seconds_on_item(),
            clear_draft=True,
            overlap=self.overlap,
        )
        self.actions.append(_Action("rate", item_id))
        self.rated_this_session += 1
        if not was_rated:
            self._moves += 1
            self.progress = Progress(
                self.progress.done + 1, max(0, self.progress.remaining - 1), self.progress.skipped
            )
        self._advance()
        return event

    def skip(self) -> None:
        """Park the item (others may take it); it comes back only when asked for."""
        item_id = self._require_item()
        self.repo.append_event(
            item_id=item_id, rubric=self.rubric.name, rubric_version=self.rubric.version,
            annotator=self.annotator, kind="skip", seconds=self.seconds_on_item(),
        )  # fmt: skip
        self.actions.append(_Action("skip", item_id))
        self._moves += 1
        self.progress = Progress(
            self.progress.done, max(0, self.progress.remaining - 1), self.progress.skipped + 1
        )
        self._advance()

    def undo(self) -> bool:
        """Go back to the last item rated or skipped and retract that label; False if none."""
        if not self.actions:
            return False
        action = self.actions[-1]
        retracted = self.repo.current_label(action.item_id, self.rubric.name, self.annotator)
        self.repo.append_event(
            item_id=action.item_id, rubric=self.rubric.name, rubric_version=self.rubric.version,
            annotator=self.annotator, kind="retract",
        )  # fmt: skip
        # Only once the retraction is on disk: a failed write leaves undo available.
        self.actions.pop()
        self._leave()
        self._moves -= 1
        if action.kind == "rate":
            self.rated_this_session = max(0, self.rated_this_session - 1)
            self.progress = Progress(
                max(0, self.progress.done - 1), self.progress.remaining + 1, self.progress.skipped
            )
        else:
            # A skip released the item; take it back so it can be rated (if nobody filled it).
            self.repo.claim_item(self.rubric.name, action.item_id, self.annotator, self.overlap)
            self.progress = Progress(
                self.progress.done, self.progress.remaining + 1, max(0, self.progress.skipped - 1)
            )
        if action.item_id in self.history:
            self.pos = self.history.index(action.item_id)
        else:
            self.history.append(action.item_id)
            self.pos = len(self.history) - 1
        self._arrive()
        if retracted is not None and (retracted.tags or retracted.comment):
            # Ready to re-rate with what was typed: the tags and comment come back as a draft.
            self._update_draft(Draft(retracted.tags, retracted.comment))
        return True

    def toggle_flag(self) -> bool:
        """Flag the item for expert review (or take the flag back); returns the new state."""
        item_id = self._require_item()
        flagged = not self.flagged()
        self.repo.append_event(
            item_id=item_id, rubric=self.rubric.name, rubric_version=self.rubric.version,
            annotator=self.annotator, kind="flag" if flagged else "unflag",
        )  # fmt: skip
        return flagged

    def set_tags(self, tags: tuple[str, ...]) -> None:
        known = {t.name for t in self.rubric.tags}
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise ValueError(f"unknown tag {unknown[0]!r}")
        self._update_draft(Draft(tuple(tags), self._draft.comment))

    def set_comment(self, comment: str) -> None:
        self._update_draft(Draft(self._draft.tags, comment))

    def next(self) -> None:
        """Move on without rating; an unrated item passed over comes back after the rest."""
        if self.current_id is None:
            return
        if self.pos < len(self.history) - 1:
            self._leave()
            self.pos += 1
            self._arrive()
            return
        if self.current_label() is None:
            self.passed.append(self.current_id)
        self._advance()

    def previous(self) -> None:
        if self.pos > 0:
            self._leave()
            self.pos -= 1
            self._arrive()
        elif self.pos == -1 and self.history:
            self.pos = len(self.history) - 1
            self._arrive()

    def revisit_skipped(self) -> bool:
        """From the all-done screen: bring back the items this annotator skipped."""
        self._revisiting_skipped = True
        self._draw()
        return not self.done

    # -- internals ------------------------------------------------------------

    def _require_item(self) -> int:
        item_id = self.current_id
        if item_id is None:
            raise RuntimeError("no item on screen")
        return item_id

    def _update_draft(self, draft: Draft) -> None:
        """On a rated item a change is a correction; otherwise a draft, saved at once."""
        item_id = self._require_item()
        self._draft = draft
        label = self.current_label()
        if label is not None:
            self.repo.append_event(
                item_id=item_id, rubric=self.rubric.name, rubric_version=self.rubric.version,
                annotator=self.annotator, kind="rate", score=label.score, tags=draft.tags,
                comment=draft.comment, seconds=0.0,
            )  # fmt: skip
        else:
            self.repo.save_draft(item_id, self.rubric.name, self.annotator, draft)

    def _leave(self) -> None:
        item_id = self.current_id
        if item_id is not None:
            self._seconds[item_id] = self.seconds_on_item()

    def _arrive(self) -> None:
        self._shown_at = self.clock()
        item_id = self.current_id
        if item_id is None:
            self._draft = Draft()
            return
        label = self.repo.current_label(item_id, self.rubric.name, self.annotator)
        if label is not None:
            self._draft = Draft(label.tags, label.comment)
        else:
            self._draft = self.repo.get_draft(item_id, self.rubric.name, self.annotator) or Draft()

    def _advance(self) -> None:
        self._leave()
        if self.pos < len(self.history) - 1:
            self.pos += 1
            self._arrive()
        else:
            self._draw()

    def _draw(self) -> None:
        """Claim the next item at the frontier; passed-over items come back last."""
        claim = self.repo.claim_next
        kwargs = {
            "overlap": self.overlap,
            "start_rank": start_rank(self.annotator, self.rubric.name),
            "include_skipped": self._revisiting_skipped,
        }
        item_id = claim(self.rubric.name, self.annotator, exclude=self.passed, **kwargs)  # type: ignore[arg-type]
        if item_id is None and self.passed:
            self.passed = []
            item_id = claim(self.rubric.name, self.annotator, **kwargs)  # type: ignore[arg-type]
        if item_id is None:
            self.pos = len(self.history)  # past the end: all done
            self._arrive()
            return
        if item_id in self.history:
            self.history.remove(item_id)
        self.history.append(item_id)
        self.pos = len(self.history) - 1
        self._arrive()
