"""Claims on a pairwise task's pairs: who holds which pair, on what lease, from which side.

As in `annotate` (store/leases.py, store/queue.py): a pair on screen is held
on a lease the running app renews, a vote holds it for good, a skip gives it
back; the next pair is claimed in the same transaction as the event that
ends the last one. Which version a person sees on the left is fixed the
first time they take a pair (core/pairwise/sides.py says how). A base of
PairwiseStore (store/pairwise.py), which adds the tasks and the vote log.
"""

from __future__ import annotations

from collections.abc import Sequence

from tui_annotate.core.clock import later, now
from tui_annotate.core.pairwise.models import Side, Task
from tui_annotate.core.pairwise.sides import left_for, open_side, slot
from tui_annotate.errors import ItemFull
from tui_annotate.store.connection import Connection

#: A claim held now (alias c): voted on for good, or on a live lease.
HELD = "(c.lease_until IS NULL OR c.lease_until > :now)"
#: How far down an open task's queue a claim looks for a pair whose side keeps the person
#: balanced (core/pairwise/sides.py); the first pair is taken when none of these does.
LOOK_AHEAD = 64


class PairwiseClaims:
    """Claims, leases and sides; the methods named `…_within` join a transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def claim_next(
        self,
        task: Task,
        annotator: str,
        *,
        exclude: Sequence[int] = (),
        include_skipped: bool = False,
    ) -> tuple[int, Side] | None:
        """Claim the annotator's next pair (one they hold first, then by position), or None."""
        with self.connection.transaction():
            return self.claim_next_within(
                task, annotator, exclude=exclude, include_skipped=include_skipped
            )

    def claim_next_within(
        self,
        task: Task,
        annotator: str,
        *,
        exclude: Sequence[int] = (),
        include_skipped: bool = False,
    ) -> tuple[int, Side] | None:
        named = annotator in task.annotators
        open_states = "('undo', 'skip')" if include_skipped else "('undo')"
        rows = self.conn.execute(
            _claim_sql(open_states, len(exclude), 1 if named else LOOK_AHEAD),
            {
                "task": task.id,
                "ann": annotator,
                "named": int(named),
                "overlap": task.overlap,
                "now": now(),
                **{f"x{i}": pid for i, pid in enumerate(exclude)},
            },
        ).fetchall()
        if not rows:
            return None
        if named:
            pair_id, a_left = int(rows[0][0]), bool(rows[0][1])
            return pair_id, self.hold_within(task, pair_id, annotator, a_left)
        return self._claim_open_within(task, annotator, rows)

    def _claim_open_within(
        self, task: Task, annotator: str, rows: Sequence[Sequence[object]]
    ) -> tuple[int, Side]:
        """An open task: the first pair whose side keeps this person balanced (sides.py)."""
        balance = self.balance_within(task.id, annotator)
        fallback: tuple[int, bool, Side] | None = None
        for row in rows:
            pair_id, a_left = int(str(row[0])), bool(row[1])
            if self.side(pair_id, annotator) is not None:
                # Held (on screen when they left) or an undone vote: its side stays.
                return pair_id, self.hold_within(task, pair_id, annotator, a_left)
            others: list[Side] = [
                "a" if r[0] == "a" else "b"
                for r in self.conn.execute(
                    "SELECT left FROM pairwise_claims WHERE pair_id = ? AND annotator != ?",
                    (pair_id, annotator),
                )
            ]
            pair = (str(row[2]), str(row[3]))
            side, fits = open_side(pair, balance, a_left, others)
            if fits:
                return pair_id, self.hold_within(task, pair_id, annotator, a_left, side)
            if fallback is None:
                fallback = (pair_id, a_left, side)
        assert fallback is not None
        pair_id, a_left, side = fallback
        return pair_id, self.hold_within(task, pair_id, annotator, a_left, side)

    def balance_within(self, task_id: int, annotator: str) -> dict[str, int]:
        """Version -> times on the left minus on the right, over the pairs the annotator
        voted on or holds in the task (a skipped pair's claim is gone: it doesn't count)."""
        balance: dict[str, int] = {}
        for left, right in self.conn.execute(
            "SELECT CASE c.left WHEN 'a' THEN p.version_a ELSE p.version_b END,"
            " CASE c.left WHEN 'a' THEN p.version_b ELSE p.version_a END"
            " FROM pairwise_claims c JOIN pairwise_pairs p ON p.id = c.pair_id"
            f" WHERE c.task_id = :task AND c.annotator = :ann AND {HELD}",
            {"task": task_id, "ann": annotator, "now": now()},
        ):
            balance[str(left)] = balance.get(str(left), 0) + 1
            balance[str(right)] = balance.get(str(right), 0) - 1
        return balance

    def hold_within(
        self, task: Task, pair_id: int, annotator: str, a_left: bool, side: Side | None = None
    ) -> Side:
        """Take or renew the annotator's lease on the pair; their side is fixed the first
        time: SIDE (an open task's, chosen by sides.open_side), else by their place among
        the task's named annotators."""
        own = self.conn.execute(
            "SELECT left FROM pairwise_claims WHERE pair_id = ? AND annotator = ?",
            (pair_id, annotator),
        ).fetchone()
        if own is not None:
            self.conn.execute(
                "UPDATE pairwise_claims SET lease_until = ? WHERE pair_id = ? AND annotator = ?"
                " AND lease_until IS NOT NULL",
                (later(self.connection.lease_seconds), pair_id, annotator),
            )
            return "a" if own[0] == "a" else "b"
        left = side
        if left is None:
            before = int(
                self.conn.execute(
                    "SELECT count(DISTINCT annotator) FROM (SELECT annotator FROM pairwise_claims"
                    " WHERE pair_id = :p UNION SELECT annotator FROM pairwise_votes"
                    " WHERE task_id = :t AND pair_id = :p) WHERE annotator != :a",
                    {"p": pair_id, "t": task.id, "a": annotator},
                ).fetchone()[0]
            )
            left = left_for(a_left, slot(annotator, task.annotators, before))
        self.conn.execute(
            "INSERT INTO pairwise_claims (pair_id, annotator, task_id, left, claimed_at,"
            " lease_until) VALUES (?,?,?,?,?,?)",
            (pair_id, annotator, task.id, left, now(), later(self.connection.lease_seconds)),
        )
        return left

    def side(self, pair_id: int, annotator: str) -> Side | None:
        row = self.conn.execute(
            "SELECT left FROM pairwise_claims WHERE pair_id = ? AND annotator = ?",
            (pair_id, annotator),
        ).fetchone()
        return None if row is None else ("a" if row[0] == "a" else "b")

    def renew(self, task_id: int, annotator: str) -> int:
        """The running app's heartbeat: extend the annotator's leases on the task's pairs."""
        with self.connection.transaction():
            cur = self.conn.execute(
                "UPDATE pairwise_claims SET lease_until = ? WHERE task_id = ? AND annotator = ?"
                " AND lease_until IS NOT NULL",
                (later(self.connection.lease_seconds), task_id, annotator),
            )
            return cur.rowcount

    def check_room_within(self, task: Task, pair_id: int, annotator: str) -> None:
        params = {"p": pair_id, "ann": annotator, "now": now()}
        mine = self.conn.execute(
            f"SELECT 1 FROM pairwise_claims c WHERE c.pair_id = :p AND c.annotator = :ann"
            f" AND {HELD}",
            params,
        ).fetchone()
        if mine is not None:
            return
        others = self.conn.execute(
            f"SELECT count(*) FROM pairwise_claims c WHERE c.pair_id = :p AND c.annotator != :ann"
            f" AND {HELD}",
            params,
        ).fetchone()[0]
        if others >= task.overlap:
            raise ItemFull(
                f"this pair already has {others} other annotator(s) (overlap {task.overlap}); "
                "it can't take another vote"
            )


def _claim_sql(open_states: str, excluded: int, limit: int) -> str:
    keep_out = ",".join(f":x{i}" for i in range(excluded))  # SQLite takes an empty list
    return (
        "SELECT p.id, p.a_left, p.version_a, p.version_b FROM pairwise_pairs p"
        " WHERE p.task_id = :task"
        " AND coalesce((SELECT v.kind FROM pairwise_votes v WHERE v.task_id = :task"
        "   AND v.pair_id = p.id AND v.annotator = :ann ORDER BY v.id DESC LIMIT 1), 'undo')"
        f"   IN {open_states}"
        " AND (:named OR (SELECT count(*) FROM pairwise_claims c WHERE c.pair_id = p.id"
        f"   AND c.annotator != :ann AND {HELD}) < :overlap)"
        f" AND p.id NOT IN ({keep_out})"
        # The pair they hold (on screen when they last left) comes back first.
        " ORDER BY EXISTS (SELECT 1 FROM pairwise_claims c WHERE c.pair_id = p.id"
        f"   AND c.annotator = :ann AND {HELD}) DESC, p.position LIMIT {int(limit)}"
    )
