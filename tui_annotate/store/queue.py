"""SQL of the annotation queue: who is handed which item next, and how much is left.

A mixin of Repository (same connection, same transactions), kept apart because the
eligibility rules are the densest SQL in the project.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from tui_annotate.core.clock import later, now
from tui_annotate.core.models import ClaimRequest
from tui_annotate.errors import StoreError

#: Every visible item walked in id order by the small items_by_id index. `items` is a view
#: (m005) and takes no INDEXED BY, so the queries that must walk this index read its
#: table and apply the view's own visibility test (an unfinished import stays unseen).
ITEMS_BY_ID = "items_all i INDEXED BY items_by_id"
VISIBLE = "i.id <= (SELECT visible_up_to FROM import_state)"

#: A claim that still counts: held for good (labelled) or on a lease not yet run out.
LIVE = "(a.lease_until IS NULL OR a.lease_until > :now)"

#: A judge's current rating on RUBRIC (alias j): add `AND j.item_id = …`. The terms match
#: the partial index's WHERE word for word, as SQLite needs to use it.
JUDGED_BY_ANY = (
    "SELECT 1 FROM label_state j INDEXED BY label_state_judged WHERE j.rubric = :rubric"
    " AND j.annotator LIKE 'judge:%' AND j.state = 'rated'"
)

#: A person's current rating on RUBRIC (alias h): add `AND h.item_id = …`.
RATED_BY_HUMAN = (
    "SELECT 1 FROM label_state h INDEXED BY label_state_human WHERE h.rubric = :rubric"
    " AND h.annotator NOT LIKE 'judge:%' AND h.state = 'rated'"
)


class QueueQueries:
    """Claims and counts; the caller (Repository) provides the connection and transactions.

    A claim on an item nobody has labelled yet is a lease: the annotator's
    app renews it while it runs (renew_leases), and once it has run out the
    item counts as free, so an annotator whose connection dropped doesn't
    keep it from everyone else. The lapsed row stays: its owner gets the
    item back on return if nobody took it meanwhile.
    """

    conn: sqlite3.Connection
    lease_seconds: float
    readonly: bool

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError  # Repository's

    def _hold(self, rubric: str, item_id: int, annotator: str) -> None:
        """Take or renew the annotator's lease on the item (a labelled one stays held for good)."""
        self.conn.execute(
            "INSERT INTO assignments (rubric, item_id, annotator, claimed_at, lease_until)"
            " VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET lease_until = excluded.lease_until"
            " WHERE assignments.lease_until IS NOT NULL",
            (rubric, item_id, annotator, now(), later(self.lease_seconds)),
        )

    def _others_holding(self, rubric: str, item_id: int, annotator: str) -> int:
        """How many other annotators hold the item now (labelled it, or on a live lease)."""
        return int(
            self.conn.execute(
                "SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
                f" AND a.item_id = :item AND a.annotator != :annotator AND {LIVE}",
                {"rubric": rubric, "item": item_id, "annotator": annotator, "now": now()},
            ).fetchone()[0]
        )

    def _claim(self, rubric: str, item_id: int, annotator: str, overlap: int) -> bool:
        """Hold the item for the annotator if there is room, or they hold it and nobody
        took it from them while their lease was out (in a transaction)."""
        own = self.conn.execute(
            "SELECT lease_until FROM assignments WHERE rubric = ? AND item_id = ?"
            " AND annotator = ?",
            (rubric, item_id, annotator),
        ).fetchone()
        if own is not None and (own[0] is None or own[0] > now()):
            self._hold(rubric, item_id, annotator)
            return True
        if self._others_holding(rubric, item_id, annotator) >= overlap:
            return False
        self._hold(rubric, item_id, annotator)
        return True

    def renew_leases(self, rubric: str, annotator: str) -> int:
        """The running app's heartbeat: extend every lease the annotator holds on RUBRIC."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE assignments SET lease_until = ? WHERE rubric = ? AND annotator = ?"
                " AND lease_until IS NOT NULL",
                (later(self.lease_seconds), rubric, annotator),
            )
            return cur.rowcount

    def lease_counts(self) -> list[tuple[str, str, int, int]]:
        """(rubric, annotator, held, lapsed): unlabelled items on a live lease, and on a run-out one."""
        return [
            (r[0], r[1], int(r[2]), int(r[3]))
            for r in self.conn.execute(
                "SELECT rubric, annotator, sum(lease_until > :now), sum(lease_until <= :now)"
                " FROM assignments INDEXED BY assignments_leased WHERE lease_until IS NOT NULL GROUP BY rubric, annotator"
                " ORDER BY rubric, annotator",
                {"now": now()},
            )
        ]

    def claim_item(self, rubric: str, item_id: int, annotator: str, overlap: int) -> bool:
        """Claim one given item (back) for the annotator; False when others fill the overlap."""
        with self.transaction():
            return self._claim(rubric, item_id, annotator, overlap)

    # -- the queue ------------------------------------------------------------

    # An item is eligible for live annotation when this annotator has not
    # rated or skipped it, fewer than OVERLAP others hold it (one more for the
    # drift share, picked by rank so it is the same items for everyone), and
    # it is not in an open calibration round of the rubric.
    #
    # Each test is one index seek per item, whatever the statistics say: the
    # label_state ones name their index (see migration m006), since on a
    # database never ANALYZEd SQLite took label_state's primary key by its
    # `rubric` prefix and read every label of the rubric for every item.
    # SQLite tests them in this order: first the one that rules out the judge-labelled bulk
    # (a quick miss in a small index where there is none), then this annotator's own.
    _ELIGIBLE = (
        # An item an LLM judge labelled is the judge's, unless it was routed to people.
        f" (NOT EXISTS ({JUDGED_BY_ANY} AND j.item_id = i.id)"
        "   OR EXISTS (SELECT 1 FROM routes rt WHERE rt.rubric = :rubric AND rt.item_id = i.id))"
        " AND NOT EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
        "   AND s.annotator = :annotator AND s.item_id = i.id AND s.state != 'open')"
        " AND (SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
        f"   AND a.item_id = i.id AND a.annotator != :annotator AND {LIVE})"
        "   < :overlap + (i.rank % 1000 < :drift)"
        " AND NOT EXISTS (SELECT 1 FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
        "   WHERE ri.item_id = i.id AND r.status = 'open' AND r.rubric = :rubric)"
    )

    # A routed item wants one human label made after it was routed (a second opinion,
    # when the judge disagreed with a first): so the people who labelled it before
    # don't count against the overlap, only those holding it now without a label.
    # (label_state.event_id is the id of the label that set the state.)
    _ROUTED_ELIGIBLE = (
        " NOT EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
        "   AND s.annotator = :annotator AND s.item_id = i.id AND s.state != 'open')"
        " AND NOT EXISTS (SELECT 1 FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
        "   WHERE ri.item_id = i.id AND r.status = 'open' AND r.rubric = :rubric)"
        f" AND NOT EXISTS ({RATED_BY_HUMAN} AND h.item_id = i.id AND h.event_id > rt.after_label)"
        " AND (SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
        f"   AND a.item_id = i.id AND a.annotator != :annotator AND {LIVE} AND NOT EXISTS ("
        "     SELECT 1 FROM label_state o WHERE o.rubric = :rubric AND o.annotator = a.annotator"
        "     AND o.item_id = i.id AND o.state != 'open')) < :overlap"
    )

    def claim_next(
        self,
        rubric: str,
        annotator: str,
        *,
        overlap: int,
        start_rank: int,
        exclude: Sequence[int] = (),
        include_skipped: bool = False,
        drift_permille: int = 0,
        calibration_only: bool = False,
    ) -> int | None:
        """Hand the annotator their next item and record the assignment, atomically."""
        request = ClaimRequest(rubric, annotator, overlap, start_rank, tuple(exclude),
                               include_skipped, drift_permille, calibration_only)  # fmt: skip
        if self.readonly:  # browsing a database we can't write: what would come, held by nobody
            return self._claim_next_locked(request, hold=False)
        with self.transaction():
            return self._claim_next_locked(request)

    def _claim_next_locked(self, request: ClaimRequest, *, hold: bool = True) -> int | None:
        """The claim itself, inside the caller's write transaction.

        First the items of an open calibration round they belong to, then an
        item already assigned to them and not yet rated (a resumed session),
        then the next eligible item at or after their starting point in the
        shuffled order, wrapping around. Under BEGIN IMMEDIATE no other
        process can claim between our check and our insert, so no item ever
        has more annotators than the overlap allows.
        """
        rubric, annotator, overlap = request.rubric, request.annotator, request.overlap
        args: dict[str, Any] = {
            "rubric": rubric, "annotator": annotator, "overlap": overlap,
            "start": request.start_rank, "drift": request.drift_permille, "now": now(),
        }  # fmt: skip
        skip_clause = ""
        if request.exclude:
            skip_clause = f" AND i.id NOT IN ({','.join(str(int(x)) for x in request.exclude)})"
        row = self.conn.execute(
            "SELECT ri.item_id FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
            " JOIN round_annotators ra ON ra.round_id = r.id AND ra.annotator = :annotator"
            " JOIN items i ON i.id = ri.item_id"
            " WHERE r.status = 'open' AND r.rubric = :rubric AND NOT EXISTS ("
            "  SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
            "  AND s.annotator = :annotator AND s.item_id = ri.item_id AND s.state != 'open')"
            + skip_clause
            + " ORDER BY r.id, ri.position LIMIT 1",
            args,
        ).fetchone()
        if row is not None or request.calibration_only:
            return None if row is None else int(row[0])
        row = None
        # Held and not labelled: a claim on a lease. (A rating sets lease_until to NULL and a
        # retraction sets a lease again, so a NULL lease always has its rating: those rows,
        # one per label the annotator ever made, need no look.)
        for (held,) in self.conn.execute(
            "SELECT a.item_id FROM assignments a INDEXED BY assignments_leased"
            " JOIN items i ON i.id = a.item_id"
            " WHERE a.rubric = :rubric AND a.annotator = :annotator"
            " AND a.lease_until IS NOT NULL AND NOT EXISTS ("
            "  SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
            "  AND s.annotator = :annotator AND s.item_id = a.item_id AND s.state != 'open')"
            + skip_clause
            + " ORDER BY a.claimed_at, a.item_id",
            args,
        ).fetchall():
            if not hold or self._claim(rubric, int(held), annotator, overlap):
                row = (held,)
                break
            # Their lease ran out and others filled the item meanwhile: it is theirs no more.
            self.conn.execute(
                "DELETE FROM assignments WHERE rubric = ? AND item_id = ? AND annotator = ?",
                (rubric, held, annotator),
            )
        if row is None:
            # Items the judge routed to people come before the rest of the queue.
            row = self.conn.execute(
                "SELECT i.id FROM routes rt INDEXED BY routes_by_time"
                " JOIN items i ON i.id = rt.item_id"
                f" WHERE rt.rubric = :rubric AND {self._ROUTED_ELIGIBLE}{skip_clause}"
                " ORDER BY rt.created_at, rt.item_rank LIMIT 1",
                args,
            ).fetchone()
            if row is not None and hold:
                self._hold(rubric, int(row[0]), annotator)
        if row is not None:
            return int(row[0])
        for where in ("i.rank >= :start", "i.rank < :start"):
            row = self.conn.execute(
                f"SELECT i.id FROM items i WHERE {where} AND {self._ELIGIBLE}{skip_clause}"
                " ORDER BY i.rank LIMIT 1",
                args,
            ).fetchone()
            if row is not None:
                break
        if row is None and request.include_skipped:
            row = self.conn.execute(
                "SELECT s.item_id AS id FROM label_state s WHERE s.rubric = :rubric"
                " AND s.annotator = :annotator AND s.state = 'skipped'"
                " AND (SELECT count(*) FROM assignments a WHERE a.rubric = :rubric"
                f"   AND a.item_id = s.item_id AND a.annotator != :annotator AND {LIVE})"
                "   < :overlap"
                " AND NOT EXISTS (SELECT 1 FROM round_items ri JOIN rounds r"
                "   ON r.id = ri.round_id WHERE ri.item_id = s.item_id AND r.status = 'open'"
                "   AND r.rubric = :rubric)"
                f"{skip_clause.replace('i.id', 's.item_id')} ORDER BY s.event_id LIMIT 1",
                args,
            ).fetchone()
        if row is None:
            return None
        if hold:
            self._hold(rubric, int(row[0]), annotator)
        return int(row[0])

    def state_counts(self, rubric: str, annotator: str) -> tuple[int, int]:
        """(rated, skipped) for the annotator: cheap, one index range."""
        states = dict(
            self.conn.execute(
                "SELECT state, count(*) FROM label_state INDEXED BY label_state_counts"
                " WHERE rubric = ? AND annotator = ? GROUP BY state",
                (rubric, annotator),
            ).fetchall()
        )
        return int(states.get("rated", 0)), int(states.get("skipped", 0))

    def progress(
        self, rubric: str, annotator: str, overlap: int, *, drift_permille: int = 0,
        calibration_only: bool = False,
    ) -> tuple[int, int, int]:  # fmt: skip
        """(done, remaining, skipped) for the annotator; counting remaining reads every item.

        Stopped by `interrupt()` from another thread: then a StoreError.
        """
        try:
            return self._progress(rubric, annotator, overlap, drift_permille, calibration_only)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the count stopped: {exc}") from None

    def interrupt(self) -> None:
        """Stop the query running on this connection now (safe from any thread)."""
        self.conn.interrupt()

    def items_mark(self) -> int:
        """Changes when items are added (the highest item id): cheap enough for a timer."""
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0])

    def _progress(
        self, rubric: str, annotator: str, overlap: int, drift_permille: int,
        calibration_only: bool,
    ) -> tuple[int, int, int]:  # fmt: skip
        rated, skipped = self.state_counts(rubric, annotator)
        args = {
            "rubric": rubric,
            "annotator": annotator,
            "overlap": overlap,
            "drift": drift_permille,
            "now": now(),
        }
        in_rounds = self.conn.execute(
            "SELECT count(*) FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
            " JOIN round_annotators ra ON ra.round_id = r.id AND ra.annotator = :annotator"
            " WHERE r.status = 'open' AND r.rubric = :rubric AND NOT EXISTS ("
            "  SELECT 1 FROM label_state s WHERE s.rubric = :rubric"
            "  AND s.annotator = :annotator AND s.item_id = ri.item_id AND s.state != 'open')",
            args,
        ).fetchone()[0]
        live = 0
        if not calibration_only:
            live = self.conn.execute(
                f"SELECT count(*) FROM {ITEMS_BY_ID} WHERE {VISIBLE} AND {self._ELIGIBLE}",
                args,
            ).fetchone()[0]
        return rated, int(in_rounds) + int(live), skipped
