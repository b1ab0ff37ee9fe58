"""Labels made elsewhere: staged where nobody sees them, written unseen, then shown at once.

A label file is read, checked and staged chunk by chunk into a TEMP table:
that belongs to this connection alone, takes no lock on the project, and
vanishes with the process. Item ids are resolved and labels already in the
project are dropped still outside any write lock, into `label_ready`, sorted
in label_state's key order.

They are then written where nobody sees them, in short transactions that
annotators' saves get in between, and shown at once by a last, small one
(store/label_publish.py).

Label imports take the project's import lock (store/import_lock.py), as
item imports do: one pending range at a time, and whoever holds the lock
knows that a pending range it finds belongs to an import that died
(`kill -9` included). That range is deleted, in short transactions, before
anything else is written; until then nobody sees it. An import that fails
or is interrupted in this process deletes its own range on the way out.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from types import TracebackType

from tui_annotate.errors import StoreError
from tui_annotate.store.clauses import VISIBLE
from tui_annotate.store.connection import Connection
from tui_annotate.store.import_lock import ImportLock
from tui_annotate.store.label_publish import LabelPublish

#: A staged row: (line, item external id, rubric, rubric_version, annotator, score,
#: tags as JSON, comment).
StagedLabel = tuple[int, str, str, str, str, int, str, str]


class LabelStage:
    """`with repo.label_stage() as stage: stage.add(rows) …; stage.publish(...)`."""

    def __init__(
        self, connection: Connection, waiting: Callable[[str], None] | None = None
    ) -> None:
        self.connection = connection
        self.conn = connection.conn
        self.rows = 0
        self._cache = 0
        self._waiting = waiting
        self.lock = ImportLock(connection)
        #: Writes the rows unseen and shows them (store/label_publish.py).
        self.publisher = LabelPublish(connection)

    def __enter__(self) -> LabelStage:
        # A larger page cache for the join and the append (not bulk_insert: changing
        # temp_store would drop the temp tables this keeps its rows in).
        self._cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute("PRAGMA cache_size = -65536")  # 64 MiB
        self.conn.execute("DROP TABLE IF EXISTS temp.label_stage")
        self.conn.execute("DROP TABLE IF EXISTS temp.label_ready")
        for table in ("label_over", "label_leased", "label_known", "label_repeat"):
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
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
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self.lock.held:
                # Ours, if this import stopped between reserving and publishing.
                self.publisher.discard()
        finally:
            # Should this fail too (a full disk), the lock names a process that is about
            # to be gone: the next import takes it over and deletes the range.
            with contextlib.suppress(StoreError, sqlite3.Error):
                self.lock.release()
            self.conn.execute("DROP TABLE IF EXISTS temp.label_stage")
            self.conn.execute("DROP TABLE IF EXISTS temp.label_ready")
            for table in ("label_over", "label_leased", "label_known", "label_repeat"):
                self.conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
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
        self.lock.acquire(self._waiting)
        self.publisher.discard()  # an import that died: what it wrote, never seen
        # Labels appended after this id are looked at again in the last transaction.
        checked = int(conn.execute("SELECT coalesce(max(id), 0) FROM labels_all").fetchone()[0])
        # Outside the write lock: resolve item ids and drop what is already there. Only an
        # annotator with labels on the rubric can have one of the file's already: the
        # others' rows (a whole file, often) need no look-up.
        conn.execute("CREATE TEMP TABLE label_known (rubric TEXT, annotator TEXT)")
        conn.execute(
            "INSERT INTO label_known SELECT p.rubric, p.annotator FROM"
            " (SELECT DISTINCT rubric, annotator FROM label_stage) p WHERE EXISTS"
            " (SELECT 1 FROM labels l WHERE l.rubric = p.rubric AND l.annotator = p.annotator)"
        )
        conn.execute(
            "CREATE TEMP TABLE label_ready AS"
            " SELECT s.line AS line, i.id AS item_id, s.rubric, s.rubric_version,"
            " s.annotator, s.score, s.tags, s.comment,"
            " json_object('imported_from', :source, 'line', s.line) AS meta"
            # (items_all and the view's own test: the view costs a third more per row.)
            f" FROM label_stage s JOIN items_all i ON i.external_id = s.ext AND {VISIBLE}"
            " WHERE NOT ((s.rubric, s.annotator) IN (SELECT rubric, annotator FROM label_known)"
            "  AND EXISTS (SELECT 1 FROM labels l WHERE l.item_id = i.id"
            "   AND l.rubric = s.rubric AND l.annotator = s.annotator AND l.kind = 'rate'"
            "   AND l.score = s.score AND l.tags = s.tags AND l.comment = s.comment))"
            # Sorted here, outside the lock, in label_state's key order; the last line
            # about an item last, so that it becomes the current label.
            " ORDER BY s.rubric, s.annotator, i.id, s.line",
            {"source": imported_from},
        )
        self._drop_repeats()
        total, top = conn.execute(
            "SELECT count(*), coalesce(max(rowid), 0) FROM label_ready"
        ).fetchone()
        if total == 0:
            return 0
        # Also outside the lock, the few keys the last transaction must change rather than
        # add: those with a state already (the file re-rates them), by their last row; and
        # the claims on a lease that the labels will hold for good. Only an annotator with
        # a state (a claim) on the rubric already can have one: the others aren't looked up.
        pairs = conn.execute("SELECT DISTINCT rubric, annotator FROM label_ready").fetchall()
        conn.execute(
            "CREATE TEMP TABLE label_over (rubric TEXT, annotator TEXT, item_id INTEGER,"
            " last INTEGER)"
        )
        conn.execute(
            "CREATE TEMP TABLE label_leased (rubric TEXT, item_id INTEGER, annotator TEXT)"
        )
        for pair in pairs:
            if conn.execute(
                "SELECT 1 FROM label_state WHERE rubric = ? AND annotator = ? LIMIT 1", pair
            ).fetchone():
                conn.execute(
                    "INSERT INTO label_over SELECT r.rubric, r.annotator, r.item_id,"
                    " max(r.rowid) FROM label_ready r WHERE r.rubric = ? AND r.annotator = ?"
                    " AND EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = r.rubric"
                    "  AND s.annotator = r.annotator AND s.item_id = r.item_id)"
                    " GROUP BY r.item_id",
                    pair,
                )
            if conn.execute(
                "SELECT 1 FROM assignments INDEXED BY assignments_leased WHERE rubric = ?"
                " AND annotator = ? AND lease_until IS NOT NULL LIMIT 1",
                pair,
            ).fetchone():
                conn.execute(
                    "INSERT INTO label_leased SELECT DISTINCT r.rubric, r.item_id, r.annotator"
                    " FROM label_ready r JOIN assignments a ON a.rubric = r.rubric"
                    "  AND a.item_id = r.item_id AND a.annotator = r.annotator"
                    " WHERE r.rubric = ? AND r.annotator = ? AND a.lease_until IS NOT NULL",
                    pair,
                )
        return int(total) - self.publisher.run(int(top), stamp, imported_from, checked)

    def _drop_repeats(self) -> None:
        """Drop each label_ready row that a later line of the file repeats (same key, score,
        tags and comment): the last copy stays, where the file last said it.

        One sort put a key's rows side by side, so only a row followed by one on
        the same key, or following one, can be a repeat: a single pass finds
        them (usually none), and only they are grouped. (Grouping every row
        instead, before the sort, took a third of this step's time.) The rowids
        kept keep their numbers: label_publish.py leaves the gaps unused.
        """
        conn = self.conn
        conn.execute("DROP TABLE IF EXISTS temp.label_repeat")
        conn.execute(
            "CREATE TEMP TABLE label_repeat AS SELECT a.rowid AS rid FROM label_ready a"
            " JOIN label_ready b ON b.rowid = a.rowid + 1 WHERE b.item_id = a.item_id"
            " AND b.annotator = a.annotator AND b.rubric = a.rubric"
        )
        if conn.execute("SELECT 1 FROM label_repeat LIMIT 1").fetchone():
            shared = "SELECT rid FROM label_repeat UNION SELECT rid + 1 FROM label_repeat"
            conn.execute(
                f"DELETE FROM label_ready WHERE rowid IN ({shared}) AND rowid NOT IN"
                f" (SELECT max(q.rowid) FROM label_ready q WHERE q.rowid IN ({shared})"
                "  GROUP BY q.rubric, q.annotator, q.item_id, q.score, q.tags, q.comment)"
            )
        conn.execute("DROP TABLE temp.label_repeat")
