"""Labels written where nobody sees them, then shown at once: an import's pending range.

Publishing a label file (store/label_ready.py readies its rows, a batch at
a time, often while the file is still being read) never holds the write
lock for long (issue 9: annotators' saves waited seconds, then failed, behind one
big transaction):

1. One tiny transaction reserves the ids the labels will take, just above
   every label, and records that range as pending in `import_state`
   (migration m008: the `labels` view hides it, the label_state triggers
   skip it). The file is still being read, so the range is as long as the
   file could hold lines (its size in bytes, plus one; a pipe gets 2^40).
   A placeholder row takes the range's top id at once, so labels appended
   meanwhile by annotators take ids above the range and are seen as usual;
   the ids the file leaves unused are gaps nobody takes.
2. The labels go into `labels_all` in short transactions (tens of
   milliseconds each, sized by how long the last one took), with a pause
   after each in which annotators' saves get in. With them go the
   label_state rows and claims of the keys nobody had a state for (the
   usual case: other people's labels); readers leave those out while their
   label ids are pending (store/clauses.py). No reader sees any of it.
3. One last transaction re-checks for labels identical to the file's that
   someone appended since the check (the file's copy is dropped from the
   range, so the import stays a no-op for them), gives the keys that had a
   state (the file re-rates them) their new one, holds for good the claims
   that were on a lease, deletes the placeholder and empties the range: the
   whole file becomes visible at once, label_state and claims with it. Its
   work grows with the re-rated keys only: a few milliseconds for a file of
   new labels.

A state someone makes meanwhile stays theirs: their label has a higher id
than the range, and the import's writes replace only a pending state or one
with a lower id. A flag set meanwhile is kept either way: with the file's
rating once it shows, and as the flag alone if the import never completes
(the clean-up leaves that row, open, instead of deleting it).

The caller holds the project's import lock (store/import_lock.py): one
pending range at a time, so a range found by whoever holds the lock belongs
to an import that died (`kill -9` included), and `discard` deletes it, in
short transactions, before anything else is written; until then nobody
sees it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tui_annotate.store.connection import Connection
from tui_annotate.store.label_ready import SAME_LABEL

#: Each short transaction of step 2 aims to hold the write lock this long.
CHUNK_SECONDS = 0.06
#: Rows in the first chunk (the next ones are sized from how long it took), and the bounds.
CHUNK_FIRST = 5_000
CHUNK_MIN, CHUNK_MAX = 500, 50_000
#: After each chunk, the import waits this share of the time it held the lock
#: (at least PAUSE_MIN seconds): annotators waiting to save a label get in (a
#: waiting writer looks every 2 ms or less: store/connection.py).
PAUSE_SHARE = 0.1
PAUSE_MIN = 0.004
#: Pending rows deleted per transaction when an unfinished import is cleaned up.
DELETE_CHUNK = 5_000

#: Called with a step's name ("reserved", "chunk", "written") in tests, to kill or
#: watch an import at a known point.
step_hook: Callable[[str], None] | None = None


class LabelPublish:
    """The pending range of one connection's import; reads the scratch database (label_ready.py).

    `label_write` holds the rows to write, numbered by `pos` (row POS becomes
    label LOW + POS - 1), `redo` where the row repeats one of the import's
    earlier labels; `label_over` the keys that had a state; `label_leased`
    the claims on a lease that the labels will hold for good.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn
        #: The range being written: rows take LOW …, the placeholder holds HIGH.
        self.low, self.high = 1, 0
        #: What the last run did, for tests and the bench: seconds the write lock was held
        #: by the longest transaction and by the last, and how many chunks there were.
        self.longest_hold = 0.0
        self.final_hold = 0.0
        self.chunks = 0
        #: Labels written and then deleted because a later line repeats them.
        self.redone = 0
        self._size = CHUNK_FIRST
        self._changed = False
        self._stamp = ""
        self._triggers: list[tuple[str, str]] = []

    def pending(self) -> tuple[int, int, str]:
        """The pending range (from, to; empty when from > to) and its claims' time."""
        row = self.conn.execute(
            "SELECT labels_pending_from, labels_pending_to, labels_pending_claims FROM import_state"
        ).fetchone()
        return int(row[0]), int(row[1]), str(row[2])

    def discard(self) -> int:
        """Delete what the pending range wrote, a chunk per transaction, then empty the range.

        The caller holds the import lock. Nobody saw any of it: the labels, the
        label_state rows they added and the claims they made (a state row or a
        claim someone has since made their own, by a label of theirs, stays).
        The range is mostly unused ids: each chunk is found by the rows there
        are. Returns how many labels were deleted (the placeholder counted).
        """
        low, high, claimed = self.pending()
        deleted = 0
        while low <= high:
            below = self.conn.execute(
                "SELECT id FROM labels_all WHERE id BETWEEN ? AND ? ORDER BY id DESC"
                " LIMIT 1 OFFSET ?",
                (low, high, DELETE_CHUNK - 1),
            ).fetchone()
            bottom = low if below is None else int(below[0])
            keys = "SELECT rubric, annotator, item_id FROM labels_all WHERE id BETWEEN ? AND ?"
            with self.connection.transaction():
                # A key someone flagged or unflagged meanwhile keeps the row their label
                # made: what the flag alone derives (open, no score). The import writes
                # ratings only, so any flag label on the key is outside the range.
                self.conn.execute(
                    "UPDATE label_state SET state = 'open', score = NULL, event_id = NULL"
                    f" WHERE (rubric, annotator, item_id) IN ({keys})"
                    " AND event_id BETWEEN ? AND ? AND EXISTS (SELECT 1 FROM labels_all f"
                    "  INDEXED BY labels_by_item WHERE f.item_id = label_state.item_id"
                    "  AND f.rubric = label_state.rubric AND f.annotator = label_state.annotator"
                    "  AND f.kind IN ('flag', 'unflag'))",
                    (bottom, high, low, high),
                )
                self.conn.execute(
                    f"DELETE FROM label_state WHERE (rubric, annotator, item_id) IN ({keys})"
                    " AND event_id BETWEEN ? AND ?",
                    (bottom, high, low, high),
                )
                # Its claims: made at its time and held for good, and nobody's label since.
                self.conn.execute(
                    "DELETE FROM assignments WHERE (rubric, annotator, item_id) IN"
                    f" ({keys}) AND claimed_at = ? AND lease_until IS NULL AND NOT EXISTS ("
                    "  SELECT 1 FROM label_state s WHERE s.rubric = assignments.rubric"
                    "  AND s.annotator = assignments.annotator"
                    "  AND s.item_id = assignments.item_id AND s.event_id > ?)",
                    (bottom, high, claimed, high),
                )
                cur = self.conn.execute(
                    "DELETE FROM labels_all WHERE id BETWEEN ? AND ?", (bottom, high)
                )
            deleted += cur.rowcount
            if below is None:
                break
        if low <= high or claimed:
            # Only now, with none of its rows left, may the range close: closing it
            # earlier would show what is left.
            with self.connection.transaction():
                self.conn.execute(_CLOSE)
        return deleted

    def begin(self, capacity: int, stamp: str) -> None:
        """Step 1: reserve CAPACITY ids and the placeholder above them, in one tiny transaction.

        From here until `show` or `settings_back`, this connection writes
        with foreign keys unchecked: every item id comes from the join with
        items and every rubric version is registered before the labels show,
        so they hold by construction, and checking them row by row would
        double the time each chunk holds the write lock. Chunks need not reach the disk one by one either:
        only the last commit (FULL again by then) shows them. WAL keeps
        NORMAL crash-safe.
        """
        conn = self.conn
        self._stamp = stamp
        self._changed = True
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA synchronous = NORMAL")
        self._triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name = 'labels_all' AND name LIKE 'labels_derive_%'"
        ).fetchall()
        began = time.monotonic()
        with self.connection.transaction():
            self.low = 1 + int(
                conn.execute("SELECT coalesce(max(id), 0) FROM labels_all").fetchone()[0]
            )
            self.high = self.low + capacity
            conn.execute(
                "UPDATE import_state SET labels_pending_from = ?, labels_pending_to = ?,"
                " labels_pending_claims = ?",
                (self.low, self.high, stamp),
            )
            # (The derive triggers skip it: its id is pending.) An item and a rubric that
            # exist, where there are any, so that a kill -9 leaves foreign keys that hold.
            conn.execute(
                "INSERT INTO labels_all (id, item_id, rubric, rubric_version, annotator, kind,"
                " score, created_at) SELECT ?, coalesce((SELECT min(id) FROM items_all), 0),"
                " coalesce(r.name, ''), coalesce(r.version, ''), '', 'rate', 0, ?"
                " FROM (SELECT 1) LEFT JOIN (SELECT name, version FROM rubrics LIMIT 1) AS r",
                (self.high, stamp),
            )
        self._held(time.monotonic() - began)
        if step_hook is not None:
            step_hook("reserved")

    def settings_back(self) -> None:
        """Foreign keys checked and every commit synced again (after `begin`)."""
        if self._changed:
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._changed = False

    def write(self, first: int, last: int) -> int:
        """Step 2: label_write's rows FIRST … LAST in short transactions, each followed by a
        pause; how many labels were written."""
        written = 0
        while first <= last:
            end = min(first + self._size - 1, last)
            began = time.monotonic()
            with self.connection.transaction():
                done = self._chunk(first, end)
            held = time.monotonic() - began
            self._held(held)
            self.chunks += 1
            written += done
            if step_hook is not None:
                step_hook("chunk")
            time.sleep(max(PAUSE_MIN, held * PAUSE_SHARE))
            rows = end - first + 1
            self._size = max(CHUNK_MIN, min(CHUNK_MAX, int(rows * CHUNK_SECONDS / max(held, 1e-4))))
            first = end + 1
        return written

    def _chunk(self, first: int, last: int) -> int:
        """Rows FIRST … LAST of label_write, with the state and claims they add.

        Row N becomes label LOW + N - 1. A key nobody has a state for gets one
        (and a claim), which readers leave out while its label id is pending; a
        key with a state already is left to the last transaction (label_over).
        A label of the import's that one of these rows repeats (`redo`) goes
        now, in the transaction that makes the row the key's state.
        """
        args = {"low": self.low, "first": first, "last": last, "stamp": self._stamp}
        # The triggers deriving label_state skip pending ids anyway; out of the way inside
        # this transaction (DDL is transactional: a crash brings them back with the
        # rollback), they cost nothing per row, where running them costs a third of
        # the insert.
        for name, _ in self._triggers:
            self.conn.execute(f'DROP TRIGGER "{name}"')
        written = self.conn.execute(
            "INSERT INTO labels_all (id, item_id, rubric, rubric_version, annotator, kind, score,"
            " tags, comment, meta, created_at)"
            " SELECT :low + pos - 1, item_id, rubric, rubric_version, annotator, 'rate', score,"
            " tags, comment, meta, :stamp FROM scratch.label_write WHERE pos BETWEEN :first AND :last",
            args,
        ).rowcount
        # In id order, the last line about a key wins; a pending row is replaced only by a
        # later pending one, and a state someone else made meanwhile stays theirs. A row
        # of a flag alone (no event) made since the key was checked takes the rating too
        # (one there at the check is label_over's, for the last transaction).
        self.conn.execute(
            "INSERT INTO label_state (rubric, annotator, item_id, state, score, event_id)"
            " SELECT rubric, annotator, item_id, 'rated', score, :low + pos - 1"
            " FROM scratch.label_write WHERE pos BETWEEN :first AND :last ORDER BY pos"
            " ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET"
            " state = excluded.state, score = excluded.score, event_id = excluded.event_id"
            " WHERE label_state.event_id BETWEEN :low AND excluded.event_id"
            " OR (label_state.event_id IS NULL AND NOT EXISTS (SELECT 1 FROM scratch.label_over o"
            "  WHERE o.rubric = excluded.rubric AND o.annotator = excluded.annotator"
            "  AND o.item_id = excluded.item_id))",
            args,
        )
        self.conn.execute(
            "INSERT INTO assignments (rubric, item_id, annotator, claimed_at, lease_until)"
            " SELECT rubric, item_id, annotator, :stamp, NULL FROM scratch.label_write"
            " WHERE pos BETWEEN :first AND :last ON CONFLICT DO NOTHING",
            args,
        )
        # The import's earlier copies of a repeated line (after the inserts: one may be in
        # this very chunk). The key's state is the later copy's by now.
        self.redone += self.conn.execute(
            "DELETE FROM labels_all WHERE id IN (SELECT p.id FROM scratch.label_write w"
            " JOIN labels_all p INDEXED BY labels_by_item ON "
            + SAME_LABEL.format(a="w", b="p")
            + " WHERE w.pos BETWEEN :first AND :last AND w.redo"
            "  AND p.id BETWEEN :low AND :low + w.pos - 2)",
            args,
        ).rowcount
        for _, sql in self._triggers:
            self.conn.execute(sql)
        return int(written)

    def show(self) -> int:
        """Step 3: re-check, change what existed, and show, in one transaction; rows dropped."""
        if step_hook is not None:
            step_hook("written")
        conn = self.conn
        conn.execute("PRAGMA synchronous = FULL")
        args = {"low": self.low, "high": self.high}
        # Labels appended by others since the range was reserved: above it.
        since = "(SELECT * FROM labels_all WHERE id > :high)"
        began = time.monotonic()
        with self.connection.transaction():
            conn.execute("DELETE FROM labels_all WHERE id = :high", args)  # the placeholder
            # A label identical to one of the file's, appended by someone after its batch
            # was checked: the file's copy goes (the range was never seen, so it may).
            dropped = conn.execute(
                f"DELETE FROM labels_all WHERE id IN (SELECT p.id FROM {since} AS l"
                " JOIN labels_all p INDEXED BY labels_by_item ON p.item_id = l.item_id"
                "  AND p.rubric = l.rubric AND p.annotator = l.annotator"
                " WHERE l.kind = 'rate' AND p.id BETWEEN :low AND :high AND p.score = l.score"
                "  AND p.tags = l.tags AND p.comment = l.comment)",
                args,
            ).rowcount
            # The keys that had a state of someone's (the file re-rates them): the file's
            # last label on each, unless someone's since (a higher id) is the current one.
            conn.execute(
                "INSERT INTO label_state (rubric, annotator, item_id, state, score, event_id)"
                " SELECT p.rubric, p.annotator, p.item_id, 'rated', p.score, p.id FROM"
                " scratch.label_over o JOIN labels_all p ON p.id = (SELECT max(q.id)"
                "  FROM labels_all q INDEXED BY labels_by_item WHERE q.item_id = o.item_id"
                "  AND q.rubric = o.rubric AND q.annotator = o.annotator"
                "  AND q.id BETWEEN :low AND :high) WHERE true"
                " ORDER BY p.id ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET"
                " state = excluded.state, score = excluded.score, event_id = excluded.event_id"
                " WHERE coalesce(label_state.event_id, 0) < excluded.event_id",
                args,
            )
            # Claims on a lease that the file's labels hold for good.
            conn.execute(
                "UPDATE assignments SET lease_until = NULL WHERE (rubric, item_id, annotator) IN"
                " (SELECT rubric, item_id, annotator FROM scratch.label_leased)"
            )
            conn.execute(_CLOSE)
        self.final_hold = time.monotonic() - began
        self._held(self.final_hold)
        self.settings_back()
        return int(dropped)

    def _held(self, seconds: float) -> None:
        self.longest_hold = max(self.longest_hold, seconds)


#: No range pending: every label, state row and claim is seen.
_CLOSE = (
    "UPDATE import_state SET labels_pending_from = 1, labels_pending_to = 0,"
    " labels_pending_claims = ''"
)
