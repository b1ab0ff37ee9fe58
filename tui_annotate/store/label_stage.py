"""Labels made elsewhere: staged where nobody sees them, then appended in one transaction.

A label file is read, checked and staged chunk by chunk into a TEMP table:
that belongs to this connection alone, takes no lock on the project, and
vanishes with the process, so an import killed while staging leaves nothing
to clean up. Item ids are resolved and labels already in the project are
dropped still outside any write lock. Only then does one transaction append
what is left: the labels, the label_state the triggers derive from them, and
the claims. It is one transaction, not a series of short ones, because
label_state is derived in place by triggers: an import published in slices
would show readers (the queue, status, agreement) part of the file. That one
transaction is a plain INSERT … SELECT from the staged rows and one
set-based derivation of label_state (the per-row triggers stand aside inside
that transaction), a few seconds for 600,000 labels (bench/label_import.py);
annotators' saves wait for it rather than fail (busy timeout), and a label
file of a few thousand rows is never noticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from tui_annotate.store.connection import Connection

#: A staged row: (line, item external id, rubric, rubric_version, annotator, score,
#: tags as JSON, comment).
StagedLabel = tuple[int, str, str, str, str, int, str, str]


class LabelStage:
    """`with repo.label_stage() as stage: stage.add(rows) …; stage.publish(...)`."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn
        self.rows = 0
        self._cache = 0

    def __enter__(self) -> LabelStage:
        # A larger page cache for the join and the append (not bulk_insert: changing
        # temp_store would drop the temp tables this keeps its rows in).
        self._cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute("PRAGMA cache_size = -65536")  # 64 MiB
        self.conn.execute("DROP TABLE IF EXISTS temp.label_stage")
        self.conn.execute("DROP TABLE IF EXISTS temp.label_ready")
        self.conn.execute(
            "CREATE TEMP TABLE label_stage (line INTEGER NOT NULL, ext TEXT NOT NULL,"
            " rubric TEXT NOT NULL, rubric_version TEXT NOT NULL, annotator TEXT NOT NULL,"
            " score INTEGER NOT NULL, tags TEXT NOT NULL, comment TEXT NOT NULL)"
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.execute("DROP TABLE IF EXISTS temp.label_stage")
        self.conn.execute("DROP TABLE IF EXISTS temp.label_ready")
        self.conn.execute(f"PRAGMA cache_size = {int(self._cache)}")

    def add(self, rows: Sequence[StagedLabel]) -> None:
        """Stage ROWS (one transaction on the temp table: no lock on the project)."""
        if not rows:
            return
        self.conn.execute("BEGIN")
        try:
            self.conn.executemany("INSERT INTO label_stage VALUES (?,?,?,?,?,?,?,?)", rows)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        self.rows += len(rows)

    def unknown_items(self, limit: int) -> tuple[list[str], int]:
        """Up to LIMIT staged item ids that name no (visible) item, sorted, and how many."""
        self.conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS label_unknown AS SELECT DISTINCT s.ext FROM"
            " label_stage s WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.external_id = s.ext)"
        )
        try:
            shown = [
                r[0]
                for r in self.conn.execute(
                    "SELECT ext FROM label_unknown ORDER BY ext LIMIT ?", (limit,)
                )
            ]
            count = int(self.conn.execute("SELECT count(*) FROM label_unknown").fetchone()[0])
        finally:
            self.conn.execute("DROP TABLE temp.label_unknown")
        return shown, count

    def rubrics(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT rubric FROM label_stage")]

    def publish(self, stamp: str, imported_from: str) -> int:
        """Append every staged label not already in the project; return how many.

        A label identical to one already there (same item, annotator, rubric,
        score, tags and comment), or to an earlier line of the file, is a
        no-op: importing a file twice appends nothing the second time. Of identical
        lines in the file, the last is kept (its position decides the current label).
        """
        conn = self.conn
        # Outside the write lock: resolve item ids and drop what is already there.
        conn.execute(
            "CREATE TEMP TABLE label_ready AS"
            " SELECT max(s.line) AS line, i.id AS item_id, s.rubric, s.rubric_version,"
            " s.annotator, s.score, s.tags, s.comment"
            " FROM label_stage s JOIN items i ON i.external_id = s.ext"
            " WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.item_id = i.id"
            "   AND l.rubric = s.rubric AND l.annotator = s.annotator AND l.kind = 'rate'"
            "   AND l.score = s.score AND l.tags = s.tags AND l.comment = s.comment)"
            " GROUP BY i.id, s.rubric, s.annotator, s.score, s.tags, s.comment"
            # Sorted here, outside the lock, in label_state's key order; the last line
            # about an item last, so that it becomes the current label.
            " ORDER BY s.rubric, s.annotator, i.id, line"
        )
        # Every item id comes from the join with items and every rubric version was
        # registered before: the foreign keys hold by construction, and checking them
        # row by row would more than double the time the write lock is held.
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.connection.transaction():
                before = conn.execute("SELECT coalesce(max(id), 0) FROM labels").fetchone()[0]
                # The triggers that derive label_state row by row stand aside inside this
                # transaction (DDL is transactional: a crash brings them back with the
                # rollback); one set-based statement below does their work, three times
                # faster, and that is time the write lock is held.
                triggers = conn.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                    " AND tbl_name = 'labels' AND name LIKE 'labels_derive_%'"
                ).fetchall()
                for name, _ in triggers:
                    conn.execute(f'DROP TRIGGER "{name}"')
                cur = conn.execute(
                    "INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score,"
                    " tags, comment, meta, created_at)"
                    " SELECT item_id, rubric, rubric_version, annotator, 'rate', score, tags,"
                    " comment, json_object('imported_from', ?, 'line', line), ?"
                    " FROM label_ready ORDER BY rowid",
                    (imported_from, stamp),
                )
                inserted = cur.rowcount
                # What the trigger would have done, label by label in id order (a rowid
                # range scan): the last wins.
                conn.execute(
                    "INSERT INTO label_state (rubric, annotator, item_id, state, score, event_id)"
                    " SELECT rubric, annotator, item_id, 'rated', score, id FROM labels"
                    " WHERE id > ? ORDER BY id"
                    " ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET"
                    " state = excluded.state, score = excluded.score, event_id = excluded.event_id",
                    (before,),
                )
                for _, sql in triggers:
                    conn.execute(sql)
                # They hold their items like claims.
                conn.execute(
                    "INSERT INTO assignments (rubric, item_id, annotator, claimed_at, lease_until)"
                    " SELECT rubric, item_id, annotator, ?, NULL FROM label_ready WHERE true"
                    " ON CONFLICT DO UPDATE SET lease_until = NULL",
                    (stamp,),
                )
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
        return inserted
