"""An annotator's walk through the queue: what is on screen, and what each key does to the log.

Headless, so the whole loop (rate, undo, skip, tag, comment, resume) is
testable without a terminal; the TUI only renders `AnnotationSession` state.
Every method that changes a label commits before it returns: by the time
the screen shows the next item, the label is on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Unpack

from tui_annotate.core.models import CurrentLabel, Draft, Item, Progress, Rubric
from tui_annotate.core.queue_order import ClaimRules
from tui_annotate.core.session_count import QueueCount
from tui_annotate.core.session_reads import ItemReads
from tui_annotate.core.session_timer import ItemTimer

if TYPE_CHECKING:
    from tui_annotate.store.repository import LabelWrite, Repository

#: How many of the annotator's latest labels `p` and `u` can reach after a restart.
HISTORY_ON_RESUME = 50


class _Unclaimed:
    """Marks 'no claim was made yet' (None already means 'claimed: nothing left')."""


UNCLAIMED = _Unclaimed()


@dataclass
class _Action:
    kind: str
    item_id: int


@dataclass
class AnnotationSession(QueueCount):
    """One annotator on one rubric, from `start()` to quit."""

    repo: Repository
    rubric: Rubric
    annotator: str
    overlap: int = 1
    #: Extra annotators for this share of items (per mille), to measure drift.
    drift_permille: int = 0
    #: Only the items of the annotator's open calibration round (the gate's verdict).
    calibration_only: bool = False
    #: Let through the gate by a lead: recorded on every label.
    uncalibrated: bool = False
    clock: Callable[[], float] = time.monotonic
    history: list[int] = field(default_factory=list)
    pos: int = -1
    passed: list[int] = field(default_factory=list)
    actions: list[_Action] = field(default_factory=list)
    rated_this_session: int = 0
    progress: Progress = field(default_factory=lambda: Progress(0, 0))
    #: False until the first full count lands: till then `progress` is not to be shown.
    counted: bool = False
    _draft: Draft = field(default_factory=Draft)
    _revisiting_skipped: bool = False
    _moves: int = 0
    reads: ItemReads = field(init=False, repr=False)
    timer: ItemTimer = field(init=False, repr=False)
    #: What every claim of this session asks the queue for (fixed for the session).
    rules: ClaimRules = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rubric, who = self.rubric.name, self.annotator
        self.reads = ItemReads(self.repo, rubric, who)
        self.timer = ItemTimer(self.clock)
        self.rules = ClaimRules(
            rubric, who, self.overlap, self.drift_permille, self.calibration_only
        )

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Load recent history (so undo and previous work after a restart) and draw an item."""
        self.timer.start()
        recent = self.repo.recent_rated(self.rubric.name, self.annotator, HISTORY_ON_RESUME)
        self.history = list(recent)
        self.actions = [_Action("rate", i) for i in recent]
        self.pos = len(self.history) - 1
        self._draw()

    def heartbeat(self) -> None:
        """Tell the store this annotator is still here: their held items stay theirs.

        The app calls it well inside the lease; an annotator who vanished stops
        calling, and their items go to others once the lease runs out.
        """
        self.repo.renew_leases(self.rubric.name, self.annotator)

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

    # Reads go through `reads`, cached per item until this session writes to it.

    def current_item(self) -> Item | None:
        item_id = self.current_id
        return None if item_id is None else self.reads.item(item_id)

    def current_label(self, item_id: int | None = None) -> CurrentLabel | None:
        item_id = self.current_id if item_id is None else item_id
        return None if item_id is None else self.reads.label(item_id)

    def round_of(self, item_id: int | None = None) -> int | None:
        """The open calibration round this item is part of for this annotator (or None)."""
        item_id = self.current_id if item_id is None else item_id
        return None if item_id is None else self.reads.round_of(item_id)

    def flagged(self) -> bool:
        item_id = self.current_id
        return False if item_id is None else self.reads.flagged(item_id)

    @property
    def draft(self) -> Draft:
        """Tags and comment that the next rating of this item will carry."""
        return self._draft

    def seconds_on_item(self) -> float:
        return self.timer.on(self.current_id)

    def pace_per_hour(self) -> float | None:
        """Labels per hour this session; None until there is something to measure."""
        return self.timer.pace(self.rated_this_session)

    # -- keys -----------------------------------------------------------------

    def rate(self, value: int) -> int:
        """Append a rating (or a correction) with the pending tags and comment, then move on."""
        item_id = self._require_item()
        if self.rubric.level_for(value) is None:
            raise ValueError(f"{value} is not on the {self.rubric.name} scale")
        was_rated = self.current_label() is not None
        round_id = self.round_of(item_id)
        event, claimed = self._write(
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
            round_id=round_id,
            # Round items go to every round annotator, whatever the overlap.
            overlap=None if round_id is not None else self.overlap,
            meta={"uncalibrated": True} if self.uncalibrated else None,
        )
        self.actions.append(_Action("rate", item_id))
        self.rated_this_session += 1
        if not was_rated:
            self._moves += 1
            self.progress = self.progress.moved(done=1, remaining=-1)
        self._advance(claimed)
        return event

    def skip(self) -> None:
        """Park the item (others may take it); it comes back only when asked for."""
        item_id = self._require_item()
        _, claimed = self._write(
            item_id=item_id,
            rubric=self.rubric.name,
            rubric_version=self.rubric.version,
            annotator=self.annotator,
            kind="skip",
            seconds=self.seconds_on_item(),
        )
        self.actions.append(_Action("skip", item_id))
        self._moves += 1
        self.progress = self.progress.moved(remaining=-1, skipped=1)
        self._advance(claimed)

    def undo(self) -> bool:
        """Go back to the last item rated or skipped and retract that label; False if none."""
        if not self.actions:
            return False
        action = self.actions[-1]
        retracted = self.current_label(action.item_id)
        try:
            self.repo.append_event(
                item_id=action.item_id,
                rubric=self.rubric.name,
                rubric_version=self.rubric.version,
                annotator=self.annotator,
                kind="retract",
            )
        finally:
            self.reads.wrote(action.item_id)
        # Only once the retraction is on disk: a failed write leaves undo available.
        self.actions.pop()
        self.timer.leave(self.current_id)
        self._moves -= 1
        if action.kind == "rate":
            self.rated_this_session = max(0, self.rated_this_session - 1)
            self.progress = self.progress.moved(done=-1, remaining=1)
        else:
            # A skip released the item; take it back so it can be rated (if nobody filled it).
            if self.round_of(action.item_id) is None:
                self.repo.claim_item(self.rubric.name, action.item_id, self.annotator, self.overlap)
            self.progress = self.progress.moved(remaining=1, skipped=-1)
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
        try:
            self.repo.append_event(
                item_id=item_id,
                rubric=self.rubric.name,
                rubric_version=self.rubric.version,
                annotator=self.annotator,
                kind="flag" if flagged else "unflag",
            )
        finally:
            self.reads.wrote(item_id)
        return flagged

    def set_tags(self, tags: tuple[str, ...]) -> None:
        known = {t.name for t in self.rubric.tags}
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise ValueError(f"unknown tag {unknown[0]!r}")
        self._update_draft(Draft(tuple(tags), self._draft.comment))

    def set_comment(self, comment: str, *, repo: Repository | None = None) -> None:
        """REPO: another connection, for a shutdown that can't wait for the UI thread's."""
        self._update_draft(Draft(self._draft.tags, comment), repo or self.repo)

    def next(self) -> None:
        """Move on without rating; an unrated item passed over comes back after the rest."""
        if self.current_id is None:
            return
        if self.pos < len(self.history) - 1:
            self.timer.leave(self.current_id)
            self.pos += 1
            self._arrive()
            return
        if self.current_label() is None:
            self.passed.append(self.current_id)
        self._advance()

    def previous(self) -> None:
        if self.pos > 0:
            self.timer.leave(self.current_id)
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

    def _update_draft(self, draft: Draft, repo: Repository | None = None) -> None:
        """On a rated item a change is a correction; otherwise a draft, saved at once."""
        repo = repo or self.repo
        item_id = self._require_item()
        self._draft = draft
        label = self.current_label()
        if label is not None:
            try:
                repo.append_event(
                    item_id=item_id,
                    rubric=self.rubric.name,
                    rubric_version=self.rubric.version,
                    annotator=self.annotator,
                    kind="rate",
                    score=label.score,
                    tags=draft.tags,
                    comment=draft.comment,
                    seconds=0.0,
                )
            finally:
                self.reads.wrote(item_id)
        else:
            repo.save_draft(item_id, self.rubric.name, self.annotator, draft)

    def _arrive(self) -> None:
        self.timer.show()
        item_id = self.current_id
        if item_id is None:
            self._draft = Draft()
            return
        label = self.current_label(item_id)
        if label is not None:
            self._draft = Draft(label.tags, label.comment)
        else:
            self._draft = self.repo.get_draft(item_id, self.rubric.name, self.annotator) or Draft()

    def _write(self, **event: Unpack[LabelWrite]) -> tuple[int, int | _Unclaimed | None]:
        """Append a label event that moves on; at the frontier the next item is claimed
        in the same transaction (one commit per key)."""
        item_id = event["item_id"]
        try:
            if self.pos >= len(self.history) - 1:
                request = self.rules.request(self.passed, include_skipped=self._revisiting_skipped)
                return self.repo.append_and_claim(request, **event)
            return self.repo.append_event(**event), UNCLAIMED
        finally:
            self.reads.wrote(item_id)

    def _claim(self, exclude: list[int]) -> int | None:
        if self.repo.readonly:
            # Browsing: nothing is held, so what was shown must be left out by hand.
            exclude = [*exclude, *self.history]
        return self.rules.claim(self.repo, exclude, include_skipped=self._revisiting_skipped)

    def _advance(self, claimed: int | _Unclaimed | None = UNCLAIMED) -> None:
        self.timer.leave(self.current_id)
        if self.pos < len(self.history) - 1:
            self.pos += 1
            self._arrive()
        else:
            self._draw(claimed)

    def _draw(self, claimed: int | _Unclaimed | None = UNCLAIMED) -> None:
        """Claim the next item at the frontier; passed-over items come back last.

        CLAIMED is what the write that moved us on already claimed (an item,
        or None for nothing left); UNCLAIMED means nobody has asked yet.
        """
        item_id = self._claim(self.passed) if isinstance(claimed, _Unclaimed) else claimed
        if item_id is None and self.passed:
            self.passed = []
            item_id = self._claim([])
        if item_id is None:
            self.pos = len(self.history)  # past the end: all done
            self._arrive()
            return
        if item_id in self.history:
            self.history.remove(item_id)
        self.history.append(item_id)
        self.pos = len(self.history) - 1
        self._arrive()
