"""Pairwise A/B's SQL: tasks, their pairs, claims on pairs and the append-only vote log.

Mirrors the annotation path: a vote is an event committed before the next
pair shows (store/labels.py), a pair on screen is held on a lease that the
running app renews (store/leases.py), and the next pair is claimed in the
same transaction as the vote that finishes the last one (store/queue.py).
The current vote of an annotator on a pair is their latest event; an undo
leaves none, a skip gives the pair back to the pool.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from tui_annotate.core.clock import later, now
from tui_annotate.core.models import Draft
from tui_annotate.core.pairwise.models import Candidate, Choice, Drawn, Side, Task, VoteRow
from tui_annotate.core.pairwise.sides import left_for, open_side, slot
from tui_annotate.errors import ItemFull
from tui_annotate.store.connection import Connection

#: The latest event of each annotator on each pair of a task (alias m: its id).
LATEST = (
    "SELECT max(id) AS id FROM pairwise_votes WHERE task_id = :task GROUP BY pair_id, annotator"
)
#: A claim held now (alias c): voted on for good, or on a live lease.
HELD = "(c.lease_until IS NULL OR c.lease_until > :now)"
#: How far down an open task's queue a claim looks for a pair whose side keeps the person
#: balanced (core/pairwise/sides.py); the first pair is taken when none of these does.
LOOK_AHEAD = 64
#: A pair's draft lives in annotate's `drafts` table (no table of its own, no migration),
#: keyed by a rubric name no rubric can have (rubric names are slugs: no colon) and the
#: pair's first item: (rubric, item_id) for pair :p.
DRAFT_KEY = "'pairwise:' || :p, (SELECT item_a FROM pairwise_pairs WHERE id = :p)"


class PairwiseStore:
    """Every read and write of pairwise tasks; the methods named `…_within` join a transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    # -- what can be compared ----------------------------------------------------

    def prompt_versions(self) -> dict[str, list[str]]:
        """Each prompt and its versions (unsorted: the caller orders them), for error messages."""
        found: dict[str, list[str]] = {}
        for prompt, version in self.conn.execute(
            "SELECT DISTINCT prompt, prompt_version FROM items ORDER BY prompt, prompt_version"
        ):
            found.setdefault(str(prompt), []).append(str(version))
        return found

    def candidates(self, prompt: str, versions: Sequence[str]) -> list[Candidate]:
        """The prompt's items in VERSIONS, each with its case (case_key, else the input)."""
        marks = ",".join("?" * len(versions))
        return [
            Candidate(item_id=int(r[0]), version=str(r[1]), case=str(r[2]), output=str(r[3]))
            for r in self.conn.execute(
                "SELECT id, prompt_version, CASE WHEN case_key != '' THEN case_key ELSE input END,"
                f" output FROM items WHERE prompt = ? AND prompt_version IN ({marks}) ORDER BY id",
                (prompt, *versions),
            )
        ]

    # -- tasks -------------------------------------------------------------------

    def create(self, task: Task, drawn: Drawn) -> int:
        """Store a task and its pairs in one transaction; returns the task id."""
        with self.connection.transaction():
            cur = self.conn.execute(
                "INSERT INTO pairwise_tasks (prompt, versions, rubric, seed, overlap, annotators,"
                " skipped_identical, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    task.prompt,
                    json.dumps(list(task.versions)),
                    task.rubric,
                    task.seed,
                    task.overlap,
                    json.dumps(list(task.annotators)),
                    drawn.skipped_identical,
                    now(),
                ),
            )
            task_id = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO pairwise_pairs (task_id, position, case_key, version_a, version_b,"
                " item_a, item_b, a_left) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        task_id,
                        p.position,
                        p.case,
                        p.version_a,
                        p.version_b,
                        p.item_a,
                        p.item_b,
                        int(p.a_left),
                    )
                    for p in drawn.pairs
                ],
            )
        return task_id

    def task(self, task_id: int) -> Task | None:
        row = self.conn.execute(
            "SELECT id, prompt, versions, seed, overlap, annotators, rubric, skipped_identical,"
            " created_at FROM pairwise_tasks WHERE id = ?",
            (task_id,),
        ).fetchone()
        return None if row is None else _task(row)

    def tasks(self) -> list[Task]:
        return [
            _task(r)
            for r in self.conn.execute(
                "SELECT id, prompt, versions, seed, overlap, annotators, rubric,"
                " skipped_identical, created_at FROM pairwise_tasks ORDER BY id"
            )
        ]

    def pair_count(self, task_id: int) -> int:
        return int(
            self.conn.execute(
                "SELECT count(*) FROM pairwise_pairs WHERE task_id = ?", (task_id,)
            ).fetchone()[0]
        )

    def pair_items(self, pair_id: int) -> tuple[int, int, int, str]:
        """(item a, item b, position, case) of a pair."""
        row = self.conn.execute(
            "SELECT item_a, item_b, position, case_key FROM pairwise_pairs WHERE id = ?",
            (pair_id,),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2]), str(row[3])

    # -- claims --------------------------------------------------------------------

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

    # -- votes ---------------------------------------------------------------------

    def append(
        self,
        task: Task,
        pair_id: int,
        annotator: str,
        *,
        kind: str,
        left: Side,
        choice: Choice | None = None,
        tags: Sequence[str] = (),
        comment: str = "",
        seconds: float = 0.0,
        claim_next: bool = False,
    ) -> tuple[int, tuple[int, Side] | None]:
        """Append one event (committed before returning) and, if asked, claim the next pair
        in the same transaction: one commit per key.

        A vote on a pair of an open task whose lease ran out and that others
        took meanwhile up to the overlap is refused (ItemFull), as in `annotate`.
        """
        with self.connection.transaction():
            if kind == "vote" and annotator not in task.annotators:
                self.check_room_within(task, pair_id, annotator)
            cur = self.conn.execute(
                "INSERT INTO pairwise_votes (task_id, pair_id, annotator, kind, choice, left,"
                " tags, comment, seconds, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    task.id,
                    pair_id,
                    annotator,
                    kind,
                    choice,
                    left,
                    json.dumps(list(tags)),
                    comment,
                    round(seconds, 3),
                    now(),
                ),
            )
            if kind == "vote":
                # The vote carries what was typed: the draft has served.
                self.conn.execute(
                    f"DELETE FROM drafts WHERE (rubric, item_id) = ({DRAFT_KEY})"
                    " AND annotator = :ann",
                    {"p": pair_id, "ann": annotator},
                )
            if kind == "skip":
                # A skipped pair goes back to the pool for others.
                self.conn.execute(
                    "DELETE FROM pairwise_claims WHERE pair_id = ? AND annotator = ?",
                    (pair_id, annotator),
                )
            else:
                # Voted: held for good. Undone: back on a lease (the same side) to vote again.
                self.conn.execute(
                    "INSERT INTO pairwise_claims (pair_id, annotator, task_id, left, claimed_at,"
                    " lease_until) VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE"
                    " SET lease_until = excluded.lease_until",
                    (
                        pair_id,
                        annotator,
                        task.id,
                        left,
                        now(),
                        None if kind == "vote" else later(self.connection.lease_seconds),
                    ),
                )
            following = self.claim_next_within(task, annotator) if claim_next else None
            return int(cur.lastrowid or 0), following

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

    def save_draft(self, pair_id: int, annotator: str, draft: Draft) -> None:
        """The tags and comment typed on a pair before its vote: committed at once, so they
        survive a kill (-9 included) and come back when the annotator next sees the pair."""
        with self.connection.transaction():
            self.conn.execute(
                "INSERT INTO drafts (rubric, item_id, annotator, tags, comment, updated_at)"
                f" VALUES ({DRAFT_KEY}, :ann, :tags, :comment, :at)"
                " ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET tags = excluded.tags,"
                " comment = excluded.comment, updated_at = excluded.updated_at",
                {
                    "p": pair_id,
                    "ann": annotator,
                    "tags": json.dumps(list(draft.tags)),
                    "comment": draft.comment,
                    "at": now(),
                },
            )

    def draft(self, pair_id: int, annotator: str) -> Draft | None:
        row = self.conn.execute(
            f"SELECT tags, comment FROM drafts WHERE (rubric, item_id) = ({DRAFT_KEY})"
            " AND annotator = :ann",
            {"p": pair_id, "ann": annotator},
        ).fetchone()
        return None if row is None else Draft(tuple(json.loads(row[0])), str(row[1]))

    def current(self, pair_id: int, annotator: str) -> tuple[str, Choice | None, str, str] | None:
        """The annotator's latest event on the pair: (kind, choice, tags JSON, comment)."""
        row = self.conn.execute(
            "SELECT kind, choice, tags, comment FROM pairwise_votes WHERE pair_id = ?"
            " AND annotator = ? ORDER BY id DESC LIMIT 1",
            (pair_id, annotator),
        ).fetchone()
        return None if row is None else (str(row[0]), row[1], str(row[2]), str(row[3]))

    def current_votes(self, task_id: int) -> list[VoteRow]:
        """Each annotator's current vote on each pair of the task (undone and skipped: none)."""
        return [
            VoteRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], r[5])
            for r in self.conn.execute(
                "SELECT v.pair_id, v.annotator, p.version_a, p.version_b, v.choice, v.left"
                f" FROM ({LATEST}) m JOIN pairwise_votes v ON v.id = m.id"
                " JOIN pairwise_pairs p ON p.id = v.pair_id WHERE v.kind = 'vote'"
                " ORDER BY p.position, v.annotator",
                {"task": task_id},
            )
        ]

    def state_counts(self, task_id: int) -> list[tuple[str, int, int]]:
        """(annotator, pairs voted, pairs skipped) by their latest event."""
        return [
            (str(r[0]), int(r[1]), int(r[2]))
            for r in self.conn.execute(
                "SELECT v.annotator, sum(v.kind = 'vote'), sum(v.kind = 'skip')"
                f" FROM ({LATEST}) m JOIN pairwise_votes v ON v.id = m.id"
                " GROUP BY v.annotator ORDER BY v.annotator",
                {"task": task_id},
            )
        ]

    def pairs_voted(self, task_id: int) -> int:
        return int(
            self.conn.execute(
                f"SELECT count(DISTINCT v.pair_id) FROM ({LATEST}) m"
                " JOIN pairwise_votes v ON v.id = m.id WHERE v.kind = 'vote'",
                {"task": task_id},
            ).fetchone()[0]
        )

    def export_rows(self, task_id: int) -> list[dict[str, object]]:
        """Current votes with everything a reader needs to redo the statistics."""
        cur = self.conn.execute(
            "SELECT v.task_id AS task, p.position + 1 AS pair, p.case_key AS 'case',"
            " p.version_a, p.version_b, ia.external_id AS item_a, ib.external_id AS item_b,"
            " v.annotator, v.choice, CASE v.choice WHEN 'a' THEN p.version_a"
            " WHEN 'b' THEN p.version_b ELSE '' END AS winner,"
            " CASE v.left WHEN 'a' THEN p.version_a ELSE p.version_b END AS left_version,"
            " v.tags, v.comment, v.seconds, v.created_at"
            f" FROM ({LATEST}) m JOIN pairwise_votes v ON v.id = m.id"
            " JOIN pairwise_pairs p ON p.id = v.pair_id"
            " JOIN items_all ia ON ia.id = p.item_a JOIN items_all ib ON ib.id = p.item_b"
            " WHERE v.kind = 'vote' ORDER BY p.position, v.annotator",
            {"task": task_id},
        )
        names = [d[0] for d in cur.description]
        rows = []
        for r in cur:
            row = dict(zip(names, r, strict=True))
            row["tags"] = json.loads(str(row["tags"]))
            rows.append(row)
        return rows


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


def _task(row: tuple[object, ...]) -> Task:
    return Task(
        id=int(str(row[0])),
        prompt=str(row[1]),
        versions=tuple(json.loads(str(row[2]))),
        seed=int(str(row[3])),
        overlap=int(str(row[4])),
        annotators=tuple(json.loads(str(row[5]))),
        rubric=str(row[6]),
        skipped_identical=int(str(row[7])),
        created_at=str(row[8]),
    )
