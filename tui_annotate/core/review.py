"""A lead's walk through a closed round's disputed items, setting golden labels.

The review counterpart of `session.AnnotationSession`: headless, so the walk (next, previous,
notes, adjudicate) is testable without a terminal, and every read and write goes through the
repository here, never from the screen. A golden label is committed before `adjudicate`
returns. Round membership is checked here too, for the app and for `calibrate adjudicate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_annotate.core import calibration
from tui_annotate.core.calibration import ReviewItem
from tui_annotate.core.models import GoldenLabel, Item, Round, Rubric
from tui_annotate.errors import InputError, NotFound

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def require_closed(round_: Round) -> None:
    """Golden labels come after close: an open round's labels are still blind."""
    if round_.is_open:
        raise InputError(f"round {round_.id} is still open; adjudicate after close")


def round_item(repo: Repository, round_: Round, external_id: str) -> int:
    """The database id of the item EXTERNAL_ID, which must be one of ROUND's items."""
    found = repo.item_ids_by_external([external_id])
    if external_id not in found or found[external_id] not in repo.rounds.item_ids(round_.id):
        raise NotFound(f"item {external_id!r} is not in round {round_.id}")
    return found[external_id]


def adjudicate_in_round(
    repo: Repository,
    round_: Round,
    rubric: Rubric,
    external_id: str,
    score: int,
    *,
    note: str,
    adjudicator: str,
) -> int:
    """`calibrate adjudicate`: the golden label of one of a closed round's items, by its id."""
    require_closed(round_)
    item_id = round_item(repo, round_, external_id)
    return calibration.adjudicate(
        repo, rubric, item_id, score, note=note, adjudicator=adjudicator, round_id=round_.id
    )


@dataclass
class ReviewSession:
    """One adjudicator on one closed round, from the first disputed item to the end of the walk.

    Position len(items) is the end of the walk (`done`); from there only going back makes sense.
    """

    repo: Repository
    round: Round
    rubric: Rubric
    adjudicator: str
    items: list[ReviewItem]
    pos: int = 0
    #: Notes typed per item, kept until that item's score is set.
    notes: dict[int, str] = field(default_factory=dict)
    #: Items given a golden label in this session.
    adjudicated: set[int] = field(default_factory=set)
    _loaded: dict[int, Item] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        repo: Repository,
        round_: Round,
        rubric: Rubric,
        adjudicator: str,
        items: Sequence[ReviewItem] | None = None,
    ) -> ReviewSession:
        """A session on ROUND's disputed items (most disputed first), or on ITEMS if given."""
        require_closed(round_)
        if items is None:
            items = calibration.review_items(repo, round_, rubric)
        return cls(repo, round_, rubric, adjudicator, list(items))

    @property
    def done(self) -> bool:
        return self.pos >= len(self.items)

    @property
    def current(self) -> ReviewItem | None:
        return None if self.done else self.items[self.pos]

    def golden(self) -> dict[int, GoldenLabel]:
        """The rubric's golden labels now, by item id (other leads may be adjudicating too)."""
        return self.repo.rounds.golden(self.rubric.name)

    def settled(self, golden: dict[int, GoldenLabel]) -> int:
        """How many of the walk's items have a golden label."""
        return sum(1 for r in self.items if r.item_id in golden)

    def item(self, item_id: int) -> Item:
        """The item's content, read once per session."""
        if item_id not in self._loaded:
            self._loaded[item_id] = self.repo.get_item(item_id)
        return self._loaded[item_id]

    def note_for(self, item_id: int, golden: GoldenLabel | None) -> tuple[str, bool]:
        """The note the next score carries, and whether it comes from the golden label.

        A correction keeps the reason already given unless the lead writes a new one.
        """
        if item_id in self.notes:
            return self.notes[item_id], False
        if golden is not None and golden.note:
            return golden.note, True
        return "", False

    def keep_note(self, item_id: int, text: str) -> None:
        self.notes[item_id] = text

    def adjudicate(self, value: int) -> int | None:
        """Set the current item's golden label to VALUE with its note, and move on.

        Returns the item id, or None at the end of the walk. The label is committed before
        this returns; on an error nothing moves and the note is kept.
        """
        current = self.current
        if current is None:
            return None
        item_id = current.item_id
        note, _ = self.note_for(item_id, self.golden().get(item_id))
        calibration.adjudicate(
            self.repo,
            self.rubric,
            item_id,
            value,
            note=note,
            adjudicator=self.adjudicator,
            round_id=self.round.id,
        )
        self.notes.pop(item_id, None)
        self.adjudicated.add(item_id)
        self.pos += 1
        return item_id

    def next(self) -> None:
        if not self.done:
            self.pos += 1

    def previous(self) -> None:
        if self.pos > 0:
            self.pos -= 1
