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
from tui_annotate.store.pairwise_claims import PairwiseClaims

#: The latest event of each annotator on each pair of a task (alias m: its id).
LATEST = (
    "SELECT max(id) AS id FROM pairwise_votes WHERE task_id = :task GROUP BY pair_id, annotator"
)
#: A pair's draft lives in annotate's `drafts` table (no table of its own, no migration),
#: keyed by a rubric name no rubric can have (rubric names are slugs: no colon) and the
#: pair's first item: (rubric, item_id) for pair :p.
DRAFT_KEY = "'pairwise:' || :p, (SELECT item_a FROM pairwise_pairs WHERE id = :p)"


class PairwiseStore(PairwiseClaims):
    """Every read and write of pairwise tasks; the methods named `…_within` join a transaction.
    Claims and leases on pairs, and which side a person sees, are in store/pairwise_claims.py."""

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
