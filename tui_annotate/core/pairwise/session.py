"""An annotator's walk through a pairwise task: the pair on screen, and what each key appends.

Headless like core/session.py, so the loop (vote, undo, skip, tags, comment,
resume) is testable without a terminal. Every vote, skip and undo is one
event committed before the method returns, together with the claim of the
next pair (one commit per key); by the time the next pair is drawn, the
vote is on disk. Versions never leave this object: the screen gets the two
responses in the order shown (`ShownPair`), never which version is which.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_annotate.core.models import Draft
from tui_annotate.core.pairwise.models import Shown, ShownPair, Side, Task, choice_of

if TYPE_CHECKING:
    from tui_annotate.store.pairwise import PairwiseStore
    from tui_annotate.store.repository import Repository


def shown_of(choice: str | None, left: Side) -> Shown | None:
    """The key that stands for CHOICE (relative to versions) when LEFT is on the left."""
    if choice is None:
        return None
    if choice in ("tie", "both_bad"):
        return "tie" if choice == "tie" else "both_bad"
    return "1" if choice == left else "2"


@dataclass
class PairwiseSession:
    """One annotator on one pairwise task, from `start()` to quit."""

    repo: Repository
    task: Task
    annotator: str
    clock: Callable[[], float] = time.monotonic
    #: The pair on screen and the side this annotator sees it from; None: all done.
    pair: tuple[int, Side] | None = None
    #: The pairs voted or skipped this session, latest last (what `u` walks back).
    actions: list[tuple[int, Side]] = field(default_factory=list)
    tags: tuple[str, ...] = ()
    comment: str = ""
    voted: int = 0
    shown_at: float = 0.0

    @property
    def store(self) -> PairwiseStore:
        return self.repo.pairwise

    @property
    def done(self) -> bool:
        return self.pair is None

    def start(self) -> None:
        self.pair = self.store.claim_next(self.task, self.annotator)
        self._shown()

    def _shown(self) -> None:
        self.shown_at = self.clock()
        self.tags, self.comment = (), ""
        if self.pair is not None:
            found = self.store.current(self.pair[0], self.annotator)
            if found is not None and found[0] == "vote":
                self.tags, self.comment = tuple(json.loads(found[2])), found[3]
            else:
                draft = self.store.draft(self.pair[0], self.annotator)
                if draft is not None:
                    self.tags, self.comment = draft.tags, draft.comment

    def current(self) -> ShownPair | None:
        """The pair on screen, its two responses in the order this annotator sees them."""
        if self.pair is None:
            return None
        pair_id, left = self.pair
        item_a, item_b, position, case = self.store.pair_items(pair_id)
        a, b = self.repo.get_item(item_a), self.repo.get_item(item_b)
        first, second = (a, b) if left == "a" else (b, a)
        found = self.store.current(pair_id, self.annotator)
        choice = found[1] if found is not None and found[0] == "vote" else None
        return ShownPair(
            pair_id=pair_id,
            position=position,
            case=case,
            left=left,
            # The input and context are the case's: the first version's item shows them.
            input=a.input,
            context=a.context,
            response_1=first.output,
            response_2=second.output,
            shown_choice=shown_of(choice, left),
            tags=self.tags,
            comment=self.comment,
        )

    def vote(self, shown: Shown) -> None:
        """Append the vote (relative to the versions, with the side shown) and move on."""
        if self.pair is None:
            return
        pair_id, left = self.pair
        _, following = self.store.append(
            self.task,
            pair_id,
            self.annotator,
            kind="vote",
            left=left,
            choice=choice_of(shown, left),
            tags=self.tags,
            comment=self.comment,
            seconds=self.clock() - self.shown_at,
            claim_next=True,
        )
        self.actions.append((pair_id, left))
        self.voted += 1
        self.pair = following
        self._shown()

    def skip(self) -> None:
        if self.pair is None:
            return
        pair_id, left = self.pair
        _, following = self.store.append(
            self.task, pair_id, self.annotator, kind="skip", left=left, claim_next=True
        )
        self.actions.append((pair_id, left))
        self.pair = following
        self._shown()

    def undo(self) -> bool:
        """Take back the last vote or skip of this session: the pair comes back on screen."""
        if not self.actions:
            return False
        pair_id, left = self.actions.pop()
        found = self.store.current(pair_id, self.annotator)
        if found is not None and found[0] == "vote":
            self.voted -= 1
        # One event; it also puts the pair back on this annotator's lease, same side.
        self.store.append(self.task, pair_id, self.annotator, kind="undo", left=left)
        self.pair = (pair_id, left)
        self._shown()
        return True

    def set_tags(self, tags: tuple[str, ...]) -> None:
        self.tags = tags
        self._save_draft()

    def set_comment(self, text: str, *, repo: Repository | None = None) -> None:
        """REPO: another connection, for a shutdown that can't wait for the UI thread's."""
        self.comment = text
        self._save_draft(repo)

    def _save_draft(self, repo: Repository | None = None) -> None:
        """What was typed on the pair on screen, on disk at once (annotate's drafts): a kill
        before the vote loses none of it; the vote takes it and clears the draft."""
        if self.pair is not None:
            store = (repo or self.repo).pairwise
            store.save_draft(self.pair[0], self.annotator, Draft(self.tags, self.comment))

    def heartbeat(self) -> None:
        self.store.renew(self.task.id, self.annotator)

    def progress(self) -> tuple[int, int]:
        """(pairs this annotator has voted on, pairs in the task)."""
        counts = {a: v for a, v, _ in self.store.state_counts(self.task.id)}
        return counts.get(self.annotator, 0), self.store.pair_count(self.task.id)
