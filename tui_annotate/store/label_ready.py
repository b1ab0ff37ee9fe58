"""An import's batches of labels made ready to write, on a core of their own.

`import-labels` writes in the main thread (store/label_stage.py), and the
write lock is its bottleneck: everything else runs beside it, in the
thread that reads the file (core/read_ahead.py), on its own connection.
That connection reads the project (item ids, who has labels, states,
leases) and writes only a scratch database of its own, which the main
connection attaches read-only to copy rows from, so neither ever waits for
the other's lock.

Per batch, in one transaction on the scratch database:

- the rows are staged, their item ids resolved and sorted by item into
  `label_ready` (a key's lines in file order);
- a row that a later line of the batch repeats (same key, score, tags and
  comment) is dropped: the last copy stays, where the file last said it.
  One that repeats an earlier batch's row is marked `redo`: the chunk that
  writes it deletes that earlier copy;
- a row identical to a label the project shows is dropped (importing a file
  twice appends nothing); a key with a state of someone's goes into
  `label_over` (the last transaction gives it its new state), a claim on a
  lease the labels will hold for good into `label_leased`, and an unknown
  item id into `label_unknown`. Only annotators who had labels (or leases)
  on the rubric when they first appear in the file are looked up for these.

What the main thread writes is `label_write`, whose row POS becomes label
LOW + POS - 1. While the file's lines come in item order (as a tool's
export by item has them), each batch goes there as soon as it is ready,
and is written while the next is read. The index entries of a batch then
land side by side. A line out of that order stops this: its batch, and the
rest of the file, go there once the file is read, sorted by item. Written
batch after batch, rows in random item order would touch most pages of the
item indexes once per chunk, not once per import: on 1,000,000 items with
3,000,000 labels that took 46 s for 600,000 labels. (The test is on lines,
not on batches: a random file's first batch, sorted on its own, would
still touch every page once more than the sorted whole does.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from tui_annotate.errors import StoreError
from tui_annotate.store.clauses import VISIBLE
from tui_annotate.store.db import BUSY_TIMEOUT_MS

#: A staged row: (line, item external id, rubric, rubric_version, annotator, score,
#: tags as JSON, comment).
StagedLabel = tuple[int, str, str, str, str, int, str, str]

#: Two rows, {a} and {b}, on the same key, and (SAME_LABEL) saying the same.
SAME_KEY = "{b}.item_id = {a}.item_id AND {b}.rubric = {a}.rubric AND {b}.annotator = {a}.annotator"
SAME_LABEL = (
    SAME_KEY + " AND {b}.score = {a}.score AND {b}.tags = {a}.tags AND {b}.comment = {a}.comment"
)
#: label_write's columns, as label_ready has them.
_COLUMNS = "item_id, rubric, rubric_version, annotator, score, tags, comment, meta, redo"

#: The scratch database's tables (store/label_publish.py reads them as `scratch.*`).
SCHEMA = """
CREATE TABLE label_stage (line INTEGER NOT NULL, ext TEXT NOT NULL, rubric TEXT NOT NULL,
    rubric_version TEXT NOT NULL, annotator TEXT NOT NULL, score INTEGER NOT NULL,
    tags TEXT NOT NULL, comment TEXT NOT NULL, item_id INTEGER);
-- AUTOINCREMENT: a rowid dropped at a batch's end is never taken again.
CREATE TABLE label_ready (rid INTEGER PRIMARY KEY AUTOINCREMENT, line INTEGER,
    item_id INTEGER, rubric TEXT, rubric_version TEXT, annotator TEXT, score INTEGER,
    tags TEXT, comment TEXT, seen INTEGER, redo INTEGER NOT NULL DEFAULT 0);
CREATE INDEX label_ready_key ON label_ready (rubric, annotator, item_id);
CREATE TABLE label_write (pos INTEGER PRIMARY KEY, item_id INTEGER, rubric TEXT,
    rubric_version TEXT, annotator TEXT, score INTEGER, tags TEXT, comment TEXT, meta TEXT,
    redo INTEGER);
CREATE TABLE label_known (rubric TEXT, annotator TEXT, PRIMARY KEY (rubric, annotator));
CREATE TABLE label_over (rubric TEXT, annotator TEXT, item_id INTEGER,
    PRIMARY KEY (rubric, annotator, item_id));
CREATE TABLE label_leased (rubric TEXT, item_id INTEGER, annotator TEXT,
    PRIMARY KEY (rubric, item_id, annotator));
CREATE TABLE label_unknown (ext TEXT PRIMARY KEY);
"""


class LabelReady:
    """The reading thread's side of an import: `add(batch)` … `finish()` → rows to write.

    PROJECT is the project database's path (opened read-only), SCRATCH the
    scratch database's (created here); LOW … HIGH the import's pending range;
    SOURCE the file's name, which each label's meta gives with its line.
    """

    def __init__(self, project: str, scratch: str, low: int, high: int, source: str) -> None:
        self.low, self.high, self.source, self.scratch = low, high, source, scratch
        # as_uri() escapes '#', '?' and '%' in the path, which a URI would misread.
        self.conn = sqlite3.connect(
            Path(project).resolve().as_uri() + "?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA cache_size = -65536")  # 64 MiB
        self.conn.execute("ATTACH ? AS scratch", (scratch,))
        self.conn.execute("PRAGMA scratch.journal_mode = WAL")
        self.conn.execute("PRAGMA scratch.synchronous = OFF")
        self.conn.execute("PRAGMA scratch.cache_size = -65536")  # (each database has its own)
        self.conn.execute("BEGIN")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self.conn.execute(
                    statement.replace("CREATE TABLE ", "CREATE TABLE scratch.").replace(
                        "CREATE INDEX ", "CREATE INDEX scratch."
                    )
                )
        self.conn.execute("COMMIT")
        #: Rows added; whether an unknown item id was found (then rows are only looked
        #: through for more); whether batches still go to label_write as they come.
        self.rows = 0
        self.unknown = False
        self.streaming = True
        self._top = 0  # label_ready's largest rowid
        self._last_item = 0  # the largest item id of the batches so far
        self._known: dict[tuple[str, str], bool] = {}
        self._leases: dict[tuple[str, str], bool] = {}

    def close(self) -> None:
        self.conn.close()

    def add(self, rows: Sequence[StagedLabel]) -> int:
        """Stage ROWS, and make them ready if they come in item order, in one transaction;
        how many rows label_write has now."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            # Each item id looked up as the row goes in (one statement: a subquery, not a
            # join, for which SQLite would build a Bloom filter over every item, batch
            # after batch: 1.2 s for 600,000 labels on 200,000 items, 0.3 s so).
            # (items_all and the view's own test: the view costs a third more per row.)
            conn.executemany(
                "INSERT INTO scratch.label_stage SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                f" (SELECT i.id FROM items_all i WHERE i.external_id = ?2 AND {VISIBLE})",
                rows,
            )
            self.rows += len(rows)
            earlier = self._last_item
            if self.streaming and not self.unknown:
                if self._in_item_order():
                    self._last_item = int(
                        conn.execute(
                            "SELECT coalesce(max(item_id), :last) FROM scratch.label_stage",
                            {"last": earlier},
                        ).fetchone()[0]
                    )
                else:
                    self.streaming = False  # out of item order: this and the rest wait
            if self.streaming:
                self._ready(earlier)
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise self._error(exc) from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return self._written()

    def _in_item_order(self) -> bool:
        """Whether the staged batch goes on the file's item order: each line's item id
        at least the one before (the last batch's largest, for its first line)."""
        first = self.conn.execute(
            "SELECT item_id FROM scratch.label_stage ORDER BY rowid LIMIT 1"
        ).fetchone()
        if first is None or first[0] is None:
            return True  # (an unknown item id: `_ready` finds it, and the import fails)
        if int(first[0]) < self._last_item:
            return False
        # The batch's rows have consecutive rowids (the stage is emptied after each batch).
        return (
            self.conn.execute(
                "SELECT 1 FROM scratch.label_stage a JOIN scratch.label_stage b"
                " ON b.rowid = a.rowid + 1 WHERE b.item_id < a.item_id LIMIT 1"
            ).fetchone()
            is None
        )

    def _error(self, exc: sqlite3.Error) -> StoreError:
        """A failure of the scratch database (a full temporary directory, say), for a person."""
        return StoreError(
            f"{self.scratch}: the import's scratch database failed ({exc}); it lives in the"
            " temporary directory ($TMPDIR), which needs room for about twice the file"
        )

    def finish(self) -> int:
        """The file is read: the rows held back are made ready, sorted by item, in one go;
        how many rows label_write has now."""
        if not self.streaming:
            self.conn.execute("BEGIN")
            try:
                self._ready(self._last_item)
            except sqlite3.Error as exc:
                self.conn.execute("ROLLBACK")
                raise self._error(exc) from None
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        return self._written()

    def _written(self) -> int:
        return int(
            self.conn.execute("SELECT coalesce(max(pos), 0) FROM scratch.label_write").fetchone()[0]
        )

    def _ready(self, earlier: int) -> None:
        """The staged rows into label_ready, checked, then into label_write; the stage empty.

        EARLIER is the largest item id of the rows readied before: only a row
        on one of their items can repeat one of them.
        """
        conn, before = self.conn, self._top
        args = {
            "before": before,
            "earlier": earlier,
            "low": self.low,
            "high": self.high,
            "source": self.source,
        }
        if (
            self.unknown
            or conn.execute(
                "SELECT 1 FROM scratch.label_stage WHERE item_id IS NULL LIMIT 1"
            ).fetchone()
        ):
            # The import fails: the rest of the file is only looked through for more.
            self.unknown = True
            conn.execute(
                "INSERT OR IGNORE INTO scratch.label_unknown SELECT ext FROM scratch.label_stage"
                " WHERE item_id IS NULL"
            )
            conn.execute("DELETE FROM scratch.label_stage")
            return
        self._look_up()
        # By item, a key's lines in file order (the last becomes the current label). Only
        # an annotator who had labels on the rubric (`known`) is looked up: a row identical
        # to a label the project shows is left alone (importing a file twice appends
        # nothing), and `seen` marks a key with a label already (rarely, in a file of new
        # labels), which is looked at again below.
        # (CASE, not `known AND EXISTS …`: the same rows in half the time, 1.1 s rather
        # than 2.2 s for 580,000 rows of a new annotator at 1M items × 3M labels.)
        conn.execute(
            "INSERT INTO scratch.label_ready (line, item_id, rubric, rubric_version, annotator,"
            " score, tags, comment, seen) SELECT line, item_id, rubric, rubric_version,"
            " annotator, score, tags, comment, CASE WHEN known THEN EXISTS ("
            "  SELECT 1 FROM labels_all p INDEXED BY labels_by_item WHERE p.item_id = s.item_id"
            "  AND p.rubric = s.rubric AND p.annotator = s.annotator"
            "  AND p.id NOT BETWEEN :low AND :high) ELSE 0 END"
            " FROM (SELECT *, (rubric, annotator) IN"
            "  (SELECT rubric, annotator FROM scratch.label_known) AS known"
            # (LIMIT: not flattened into the query, which would test `known` thrice.)
            "  FROM scratch.label_stage LIMIT -1) AS s"
            " WHERE CASE WHEN known THEN NOT EXISTS (SELECT 1 FROM labels l"
            f"  WHERE l.kind = 'rate' AND {SAME_LABEL.format(a='s', b='l')}) ELSE 1 END"
            " ORDER BY rubric, item_id, annotator, line",
            args,
        )
        conn.execute("DELETE FROM scratch.label_stage")
        self._top = int(
            conn.execute(
                "SELECT coalesce(max(rowid), :before) FROM scratch.label_ready", args
            ).fetchone()[0]
        )
        self._drop_repeats(before)
        # Repeats of earlier batches' rows: the chunk that writes these deletes those.
        conn.execute(
            "UPDATE scratch.label_ready SET redo = 1 WHERE rowid > :before"
            " AND item_id <= :earlier AND EXISTS"
            " (SELECT 1 FROM scratch.label_ready q INDEXED BY label_ready_key"
            f"  WHERE {SAME_LABEL.format(a='label_ready', b='q')} AND q.rowid <= :before)",
            args,
        )
        if conn.execute(
            "SELECT 1 FROM scratch.label_ready WHERE rowid > :before AND seen LIMIT 1", args
        ).fetchone():
            self._seen(args)
        self._leased(before)
        conn.execute(
            f"INSERT INTO scratch.label_write ({_COLUMNS}) SELECT item_id, rubric,"
            " rubric_version, annotator, score, tags, comment,"
            " json_object('imported_from', :source, 'line', line), redo"
            " FROM scratch.label_ready WHERE rowid > :before ORDER BY rowid",
            args,
        )

    def _look_up(self) -> None:
        """Which of the batch's annotators (per rubric) had labels, or leases, when first seen."""
        conn = self.conn
        pairs = conn.execute(
            "SELECT DISTINCT rubric, annotator FROM scratch.label_stage"
        ).fetchall()
        for rubric, annotator in pairs:
            pair = (str(rubric), str(annotator))
            if pair in self._known:
                continue
            self._known[pair] = bool(
                conn.execute(
                    "SELECT 1 FROM labels_all l INDEXED BY labels_by_annotator"
                    " WHERE l.rubric = ? AND l.annotator = ? AND l.id NOT BETWEEN ? AND ?"
                    " LIMIT 1",
                    (*pair, self.low, self.high),
                ).fetchone()
            )
            if self._known[pair]:
                conn.execute("INSERT INTO scratch.label_known VALUES (?, ?)", pair)
            self._leases[pair] = bool(
                conn.execute(
                    "SELECT 1 FROM assignments INDEXED BY assignments_leased WHERE rubric = ?"
                    " AND annotator = ? AND lease_until IS NOT NULL LIMIT 1",
                    pair,
                ).fetchone()
            )

    def _drop_repeats(self, before: int) -> None:
        """Drop each of this batch's rows that a later line repeats (same key, score, tags
        and comment): the last copy stays, where the file last said it.

        The sort put a key's rows side by side, so only a row followed by one on
        the same key, or following one, can be a repeat: a single pass finds
        them (usually none), and only they are grouped.
        """
        conn = self.conn
        rids = [
            r[0]
            for r in conn.execute(
                "SELECT a.rowid FROM scratch.label_ready a JOIN scratch.label_ready b"
                " ON b.rowid = a.rowid + 1 WHERE a.rowid > ? AND " + SAME_KEY.format(a="a", b="b"),
                (before,),
            )
        ]
        if not rids:
            return
        shared = ",".join(str(int(r)) for r in sorted({*rids, *(r + 1 for r in rids)}))
        conn.execute(
            f"DELETE FROM scratch.label_ready WHERE rowid IN ({shared}) AND rowid NOT IN"
            f" (SELECT max(q.rowid) FROM scratch.label_ready q WHERE q.rowid IN ({shared})"
            "  GROUP BY q.rubric, q.annotator, q.item_id, q.score, q.tags, q.comment)"
        )

    def _seen(self, args: dict[str, object]) -> None:
        """A key with a state of someone's, not this import's: the file re-rates it, and the
        last transaction gives it its new state (the file's last label on it)."""
        self.conn.execute(
            "INSERT OR IGNORE INTO scratch.label_over SELECT DISTINCT r.rubric, r.annotator,"
            " r.item_id FROM scratch.label_ready r WHERE r.rowid > :before AND r.seen"
            " AND EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = r.rubric"
            "  AND s.annotator = r.annotator AND s.item_id = r.item_id"
            "  AND coalesce(s.event_id, 0) NOT BETWEEN :low AND :high)",
            args,
        )

    def _leased(self, before: int) -> None:
        """The claims on a lease that this batch's labels will hold for good."""
        for pair, leased in self._leases.items():
            if leased:
                self.conn.execute(
                    "INSERT OR IGNORE INTO scratch.label_leased SELECT r.rubric, r.item_id,"
                    " r.annotator FROM scratch.label_ready r JOIN assignments a"
                    " ON a.rubric = r.rubric AND a.item_id = r.item_id"
                    " AND a.annotator = r.annotator"
                    " WHERE r.rowid > ? AND r.rubric = ? AND r.annotator = ?"
                    " AND a.lease_until IS NOT NULL",
                    (before, *pair),
                )
