"""Label writes: the append-only log, each event committed before the screen moves on.

A label event also moves its claim (store/leases.py): a rating holds the item
for good, a retraction puts it back on a lease, a skip gives it up. The
derived label_state is kept by triggers (migrations); reads are in
store/label_reads.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict, Unpack

from tui_annotate.core.clock import later, now
from tui_annotate.core.models import ClaimRequest, EventKind
from tui_annotate.errors import ItemFull
from tui_annotate.store.connection import Connection
from tui_annotate.store.leases import LeaseStore
from tui_annotate.store.queue import QueueStore


class LabelWrite(TypedDict):
    """One label event to append (see LabelStore.append)."""

    item_id: int
    rubric: str
    rubric_version: str
    annotator: str
    kind: EventKind
    score: NotRequired[int | None]
    tags: NotRequired[Sequence[str]]
    comment: NotRequired[str]
    seconds: NotRequired[float]
    calibration: NotRequired[bool]
    round_id: NotRequired[int | None]
    meta: NotRequired[dict[str, Any] | None]
    clear_draft: NotRequired[bool]
    #: Claim the item (or refuse the rating) against this many annotators.
    overlap: NotRequired[int | None]


class LabelStore:
    """Appends label events, by hand or imported, with the claims they imply."""

    def __init__(self, connection: Connection, leases: LeaseStore, queue: QueueStore) -> None:
        self.connection = connection
        self.conn = connection.conn
        self.leases = leases
        self.queue = queue

    def append(self, **event: Unpack[LabelWrite]) -> int:
        """Append one label event and commit it before returning (the durability promise).

        With `overlap`, a rating also claims the item for the annotator if they
        don't hold it (an undone skip, say), and is refused when the item
        already has that many other annotators.
        """
        with self.connection.transaction():
            return self.append_within(event)

    def append_and_claim(
        self, request: ClaimRequest, **event: Unpack[LabelWrite]
    ) -> tuple[int, int | None]:
        """append, and claim the annotator's next item in the same transaction.

        One commit, so one fsync, per rating key: the label and the next
        item's claim land together or not at all.
        """
        with self.connection.transaction():
            event_id = self.append_within(event)
            return event_id, self.queue.claim_next_within(request)

    def append_within(self, e: LabelWrite) -> int:
        """Append one label event inside the caller's transaction; return its id."""
        item_id, rubric, annotator, kind = e["item_id"], e["rubric"], e["annotator"], e["kind"]
        overlap, round_id = e.get("overlap"), e.get("round_id")
        if (
            overlap is not None
            and kind == "rate"
            and not self.leases.claim_within(rubric, item_id, annotator, overlap)
        ):
            raise ItemFull(
                f"this item already has {overlap} other annotator(s) (overlap {overlap}); "
                "it can't take another label"
            )
        calibration = int(e.get("calibration", False) or round_id is not None)
        cur = self.conn.execute(
            "INSERT INTO labels_all (item_id, rubric, rubric_version, annotator, kind, score,"
            " tags, comment, seconds, calibration, round_id, meta, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                item_id,
                rubric,
                e["rubric_version"],
                annotator,
                kind,
                e.get("score"),
                json.dumps(list(e.get("tags", ()))),
                e.get("comment", ""),
                round(e.get("seconds", 0.0), 3),
                calibration,
                round_id,
                json.dumps(e.get("meta") or {}),
                now(),
            ),
        )
        if kind in ("rate", "retract"):
            # Labelled: held for good. Retracted: back on a lease while they re-rate it.
            lease = None if kind == "rate" else later(self.connection.lease_seconds)
            self.conn.execute(
                "UPDATE assignments SET lease_until = ? WHERE rubric = ? AND item_id = ?"
                " AND annotator = ?",
                (lease, rubric, item_id, annotator),
            )
        if e.get("clear_draft"):
            self.conn.execute(
                "DELETE FROM drafts WHERE rubric = ? AND annotator = ? AND item_id = ?",
                (rubric, annotator, item_id),
            )
        if kind == "skip":
            # A skipped item goes back to the pool for others.
            self.leases.release_within(rubric, item_id, annotator)
        return int(cur.lastrowid or 0)

    def append_imported(self, events: Sequence[dict[str, Any]]) -> int:
        """Append labels made elsewhere in one transaction; they hold their items like claims."""
        stamp = now()
        rows = [
            (
                e["item_id"],
                e["rubric"],
                e["rubric_version"],
                e["annotator"],
                e["score"],
                json.dumps(list(e["tags"])),
                e["comment"],
                json.dumps(e["meta"]),
                stamp,
            )
            for e in events
        ]
        with self.connection.transaction():
            self.conn.executemany(
                "INSERT INTO labels_all (item_id, rubric, rubric_version, annotator, kind, score,"
                " tags, comment, meta, created_at) VALUES (?,?,?,?,'rate',?,?,?,?,?)",
                rows,
            )
            self.conn.executemany(
                "INSERT INTO assignments (rubric, item_id, annotator, claimed_at, lease_until)"
                " VALUES (?,?,?,?,NULL) ON CONFLICT DO UPDATE SET lease_until = NULL",
                [(e["rubric"], e["item_id"], e["annotator"], stamp) for e in events],
            )
        return len(events)
