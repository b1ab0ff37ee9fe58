"""Claims on items: who holds which, for how long, and whether there is room for one more.

A claim on an item nobody has labelled yet is a lease: the annotator's app
renews it while it runs (renew_leases), and once it has run out the item
counts as free, so an annotator whose connection dropped doesn't keep it
from everyone else. The lapsed row stays: its owner gets the item back on
return if nobody took it meanwhile. The queue (store/queue.py) and the
label writes (store/labels.py) claim through this store.
"""

from __future__ import annotations

from tui_annotate.core.clock import later, now
from tui_annotate.store.clauses import LIVE
from tui_annotate.store.connection import Connection


class LeaseStore:
    """The assignments table; the methods named `…_within` run in the caller's transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def hold_within(self, rubric: str, item_id: int, annotator: str) -> None:
        """Take or renew the annotator's lease on the item (a labelled one stays held for good)."""
        self.conn.execute(
            "INSERT INTO assignments (rubric, item_id, annotator, claimed_at, lease_until)"
            " VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET lease_until = excluded.lease_until"
            " WHERE assignments.lease_until IS NOT NULL",
            (rubric, item_id, annotator, now(), later(self.connection.lease_seconds)),
        )

    def others_holding(self, rubric: str, item_id: int, annotator: str) -> int:
        """How many other annotators hold the item now (labelled it, or on a live lease)."""
        return int(
            self.conn.execute(
                "SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
                f" AND a.item_id = :item AND a.annotator != :annotator AND {LIVE}",
                {"rubric": rubric, "item": item_id, "annotator": annotator, "now": now()},
            ).fetchone()[0]
        )

    def claim_within(self, rubric: str, item_id: int, annotator: str, overlap: int) -> bool:
        """Hold the item for the annotator if there is room, or they hold it and nobody
        took it from them while their lease was out (in the caller's transaction)."""
        own = self.conn.execute(
            "SELECT lease_until FROM assignments WHERE rubric = ? AND item_id = ?"
            " AND annotator = ?",
            (rubric, item_id, annotator),
        ).fetchone()
        if own is not None and (own[0] is None or own[0] > now()):
            self.hold_within(rubric, item_id, annotator)
            return True
        if self.others_holding(rubric, item_id, annotator) >= overlap:
            return False
        self.hold_within(rubric, item_id, annotator)
        return True

    def release_within(self, rubric: str, item_id: int, annotator: str) -> None:
        """Drop the annotator's claim: the item goes back to the pool for others."""
        self.conn.execute(
            "DELETE FROM assignments WHERE rubric = ? AND item_id = ? AND annotator = ?",
            (rubric, item_id, annotator),
        )

    def claim_item(self, rubric: str, item_id: int, annotator: str, overlap: int) -> bool:
        """Claim one given item (back) for the annotator; False when others fill the overlap."""
        with self.connection.transaction():
            return self.claim_within(rubric, item_id, annotator, overlap)

    def renew(self, rubric: str, annotator: str) -> int:
        """The running app's heartbeat: extend every lease the annotator holds on RUBRIC."""
        with self.connection.transaction():
            cur = self.conn.execute(
                "UPDATE assignments SET lease_until = ? WHERE rubric = ? AND annotator = ?"
                " AND lease_until IS NOT NULL",
                (later(self.connection.lease_seconds), rubric, annotator),
            )
            return cur.rowcount

    def counts(self) -> list[tuple[str, str, int, int]]:
        """(rubric, annotator, held, lapsed): unlabelled items on a live lease, and on a run-out one."""
        return [
            (r[0], r[1], int(r[2]), int(r[3]))
            for r in self.conn.execute(
                "SELECT rubric, annotator, sum(lease_until > :now), sum(lease_until <= :now)"
                " FROM assignments INDEXED BY assignments_leased WHERE lease_until IS NOT NULL"
                " GROUP BY rubric, annotator"
                " ORDER BY rubric, annotator",
                {"now": now()},
            )
        ]
