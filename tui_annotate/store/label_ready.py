"""An import's batches of labels made ready to write, on a core of their own.

`import-labels` writes in the main thread (store/label_stage.py), and the
write lock is its bottleneck: everything else runs beside it, in the
thread that reads the file (core/read_ahead.py), on its own connection.
That connection reads the project (item ids, who has labels, states,
leases) and writes only a scratch database of its own, which the main
connection attaches read-only to copy rows from, so neither ever waits for
the other's lock.

Per batch, in one transaction on the scratch database:

- the rows are staged, their item ids resolved and sorted in label_state's
  key order into `label_ready`, whose rowid N becomes label LOW + N - 1;
- a row that a later line of the batch repeats (same key, score, tags and
  comment) is dropped: the last copy stays, where the file last said it.
  One from an earlier batch, already on its way, goes into `label_redo`, to
  be deleted with the chunk that writes its repeat;
- a row identical to a label the project shows is dropped (importing a file
  twice appends nothing); a key with a state of someone's goes into
  `label_over` (the last transaction gives it its new state), a claim on a
  lease the labels will hold for good into `label_leased`, and an unknown
  item id into `label_unknown`. Only annotators who had labels (or leases)
  on the rubric when they first appear in the file are looked up for these.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from tui_annotate.store.clauses import VISIBLE
from tui_annotate.store.db import BUSY_TIMEOUT_MS

#: A staged row: (line, item external id, rubric, rubric_version, annotator, score,
#: tags as JSON, comment).
StagedLabel = tuple[int, str, str, str, str, int, str, str]

_SAME_KEY = (
    "{b}.item_id = {a}.item_id AND {b}.rubric = {a}.rubric AND {b}.annotator = {a}.annotator"
)
_SAME_LABEL = (
    _SAME_KEY + " AND {b}.score = {a}.score AND {b}.tags = {a}.tags AND {b}.comment = {a}.comment"
)

#: The scratch database's tables (store/label_publish.py reads them as `scratch.*`).
SCHEMA = """
CREATE TABLE label_stage (line INTEGER NOT NULL, ext TEXT NOT NULL, rubric TEXT NOT NULL,
    rubric_version TEXT NOT NULL, annotator TEXT NOT NULL, score INTEGER NOT NULL,
    tags TEXT NOT NULL, comment TEXT NOT NULL);
-- AUTOINCREMENT: a rowid dropped at a batch's end is never taken again.
CREATE TABLE label_ready (rid INTEGER PRIMARY KEY AUTOINCREMENT, line INTEGER,
    item_id INTEGER, rubric TEXT, rubric_version TEXT, annotator TEXT, score INTEGER,
    tags TEXT, comment TEXT, meta TEXT, seen INTEGER);
CREATE INDEX label_ready_key ON label_ready (rubric, annotator, item_id);
CREATE TABLE label_known (rubric TEXT, annotator TEXT, PRIMARY KEY (rubric, annotator));
CREATE TABLE label_over (rubric TEXT, annotator TEXT, item_id INTEGER, last INTEGER,
    PRIMARY KEY (rubric, annotator, item_id));
CREATE TABLE label_leased (rubric TEXT, item_id INTEGER, annotator TEXT,
    PRIMARY KEY (rubric, item_id, annotator));
CREATE TABLE label_redo (id INTEGER PRIMARY KEY, by INTEGER);
CREATE TABLE label_unknown (ext TEXT PRIMARY KEY);
"""


class LabelReady:
    """The reading thread's side of an import: `add(batch)` → the last rowid ready.

    PROJECT is the project database's path (opened read-only), SCRATCH the
    scratch database's (created here); LOW … HIGH the import's pending range;
    SOURCE the file's name, which each label's meta gives with its line.
    """

    def __init__(self, project: str, scratch: str, low: int, high: int, source: str) -> None:
        self.low, self.high, self.source = low, high, source
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
        #: through for more); the largest rowid in label_ready.
        self.rows = 0
        self.unknown = False
        self.top = 0
        self._known: dict[tuple[str, str], bool] = {}
        self._leases: dict[tuple[str, str], bool] = {}

    def close(self) -> None:
        self.conn.close()

    def add(self, rows: Sequence[StagedLabel]) -> int:
        """Make ROWS ready to write, in one transaction; the largest rowid now ready."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            conn.executemany("INSERT INTO scratch.label_stage VALUES (?,?,?,?,?,?,?,?)", rows)
            self.rows += len(rows)
            if not self.unknown:
                self._ready()
            if self.unknown:
                conn.execute(
                    "INSERT OR IGNORE INTO scratch.label_unknown SELECT s.ext"
                    " FROM scratch.label_stage s WHERE NOT EXISTS (SELECT 1 FROM items_all i"
                    f"  WHERE i.external_id = s.ext AND {VISIBLE})"
                )
            conn.execute("DELETE FROM scratch.label_stage")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return self.top

    def _ready(self) -> None:
        conn, before = self.conn, self.top
        args = {"before": before, "low": self.low, "high": self.high, "source": self.source}
        self._look_up()
        # The last line about a key last, so that it becomes the current label. Only an
        # annotator who had labels on the rubric (`known`) is looked up: a row identical to
        # a label the project shows is left alone (importing a file twice appends nothing),
        # and `seen` marks a key with a label already (rarely, in a file of new labels),
        # which is looked at again below.
        conn.execute(
            "INSERT INTO scratch.label_ready (line, item_id, rubric, rubric_version, annotator,"
            " score, tags, comment, meta, seen) SELECT line, item_id, rubric, rubric_version,"
            " annotator, score, tags, comment,"
            " json_object('imported_from', :source, 'line', line), known AND EXISTS ("
            "  SELECT 1 FROM labels_all p INDEXED BY labels_by_item WHERE p.item_id = s.item_id"
            "  AND p.rubric = s.rubric AND p.annotator = s.annotator"
            "  AND p.id NOT BETWEEN :low AND :high)"
            # A subquery, not a join: for a join SQLite builds a Bloom filter over every
            # item, batch after batch (1.2 s for 600,000 labels on 200,000 items; 0.3 s so).
            # (items_all and the view's own test: the view costs a third more per row.)
            " FROM (SELECT *, (SELECT i.id FROM items_all i WHERE i.external_id = ext"
            f"  AND {VISIBLE}) AS item_id, (rubric, annotator) IN"
            "  (SELECT rubric, annotator FROM scratch.label_known) AS known"
            # (LIMIT: not flattened into the query, which would look each id up thrice.)
            "  FROM scratch.label_stage LIMIT -1) AS s"
            " WHERE NOT (known AND item_id IS NOT NULL AND EXISTS (SELECT 1 FROM labels l"
            f"  WHERE l.kind = 'rate' AND {_SAME_LABEL.format(a='s', b='l')}))"
            " ORDER BY rubric, annotator, item_id, line",
            args,
        )
        self.top = int(
            conn.execute("SELECT coalesce(max(rowid), 0) FROM scratch.label_ready").fetchone()[0]
        )
        if conn.execute(
            "SELECT 1 FROM scratch.label_ready WHERE rowid > :before AND item_id IS NULL LIMIT 1",
            args,
        ).fetchone():
            self.unknown = True
            return
        self._drop_repeats(before)
        # Repeats of rows of earlier batches: those go, with the chunk that writes these.
        conn.execute(
            "INSERT OR IGNORE INTO scratch.label_redo SELECT :low + q.rowid - 1, max(r.rowid)"
            " FROM scratch.label_ready r JOIN scratch.label_ready q INDEXED BY label_ready_key"
            " ON " + _SAME_LABEL.format(a="r", b="q") + " AND q.rowid <= :before"
            " WHERE r.rowid > :before GROUP BY q.rowid",
            args,
        )
        if conn.execute(
            "SELECT 1 FROM scratch.label_ready WHERE rowid > :before AND seen LIMIT 1", args
        ).fetchone():
            self._seen(args)
        self._leased(before)

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
        them (usually none), and only they are grouped. The rowids kept keep
        their numbers: label_publish.py leaves the gaps unused.
        """
        conn = self.conn
        rids = [
            r[0]
            for r in conn.execute(
                "SELECT a.rowid FROM scratch.label_ready a JOIN scratch.label_ready b"
                " ON b.rowid = a.rowid + 1 WHERE a.rowid > ? AND " + _SAME_KEY.format(a="a", b="b"),
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
        last transaction gives it its new state (by the file's last row on it)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO scratch.label_over SELECT r.rubric, r.annotator, r.item_id,"
            " max(r.rowid) FROM scratch.label_ready r WHERE r.rowid > :before AND r.seen"
            " AND EXISTS (SELECT 1 FROM label_state s WHERE s.rubric = r.rubric"
            "  AND s.annotator = r.annotator AND s.item_id = r.item_id"
            "  AND coalesce(s.event_id, 0) NOT BETWEEN :low AND :high)"
            " GROUP BY r.rubric, r.annotator, r.item_id",
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
