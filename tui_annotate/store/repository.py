"""The only code that speaks SQL: reads return models, writes are explicit transactions."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack

from tui_annotate.config import Settings
from tui_annotate.core.clock import later, now
from tui_annotate.core.models import (
    ROW_EXTERNAL_ID,
    ROW_LINE,
    ClaimRequest,
    CurrentLabel,
    Draft,
    EventKind,
    Item,
    LabelEvent,
    NewItem,
)
from tui_annotate.core.names import JUDGE_PREFIX
from tui_annotate.errors import DuplicateItemId, ItemFull, StoreError
from tui_annotate.store.db import BUSY_TIMEOUT_MS, connect, refuses_writes
from tui_annotate.store.queue import QueueQueries

if TYPE_CHECKING:
    from tui_annotate.store.export import ExportQueries
    from tui_annotate.store.item_import import ItemImport
    from tui_annotate.store.judge import JudgeStore
    from tui_annotate.store.label_stage import LabelStage
    from tui_annotate.store.rounds import RoundStore


class LabelWrite(TypedDict):
    """One label event to append (see Repository.append_event)."""

    item_id: int
    rubric: str
    rubric_version: str
    annotator: str
    kind: EventKind
    score: NotRequired[int | None]
    tags: NotRequired[Sequence[str]]
    comment: NotRequired[str]
    seconds: NotRequired[float]
    calibration: NotRequired[bool]
    round_id: NotRequired[int | None]
    meta: NotRequired[dict[str, Any] | None]
    clear_draft: NotRequired[bool]
    #: Claim the item (or refuse the rating) against this many annotators.
    overlap: NotRequired[int | None]


class Repository(QueueQueries):
    """One connection to one project database, and every query the app needs."""

    def __init__(self, conn: sqlite3.Connection, path: Path | str = ":memory:") -> None:
        self.conn = conn
        self.path = str(path)
        #: How long a claim outlives its annotator's last heartbeat (Settings.lease_seconds).
        self.lease_seconds: float = Settings().lease_seconds
        #: Opened for reading only: claims are looked up, never written.
        self.readonly = False

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Repository:
        repo = cls(connect(path, readonly=readonly), path)
        repo.readonly = readonly
        return repo

    def backup_to(self, dest: Path) -> int:
        """A consistent copy of the whole database in DEST, taken while others keep writing.

        SQLite's online backup reads one snapshot, the WAL's committed frames
        included: copying the main file alone would miss every label not yet
        checkpointed into it. Written beside DEST and renamed, so DEST is
        never half a database. Returns the copy's size in bytes.
        """
        part = dest.with_name(dest.name + ".part")
        part.unlink(missing_ok=True)
        target = sqlite3.connect(part, isolation_level=None)
        try:
            self.conn.backup(target)  # every page in one step: one read snapshot
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        except sqlite3.Error as exc:
            target.close()
            part.unlink(missing_ok=True)
            raise StoreError(f"{dest}: the backup failed: {exc}") from None
        target.close()
        part.replace(dest)
        return dest.stat().st_size

    @classmethod
    def open_or_browse(cls, path: Path | str) -> tuple[Repository, str | None]:
        """Open for annotating; a file that takes no writes is opened read-only instead.

        Returns the repository and, when read-only, why: the app then lets the
        annotator browse, and says plainly that nothing will be saved.
        """
        try:
            repo = cls.open(path)
        except StoreError as exc:
            if "unable to open" not in str(exc) and "readonly" not in str(exc):
                raise
            reason = str(exc)
        else:
            try:
                refusal = refuses_writes(repo.conn)
            except StoreError as exc:
                repo.close()
                raise StoreError(f"{path}: {exc}") from None
            if refusal is None:
                return repo, None
            repo.close()
            reason = f"{path}: {refusal}"
        return cls.open(path, readonly=True), reason

    @property
    def db(self) -> Any:
        """sqlite-utils over the same connection, for introspection off the hot path.

        Created on first use: sqlite-utils imports numpy when it is installed,
        and the annotation app must not pay for that before its first frame.
        """
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @property
    def judge(self) -> JudgeStore:
        """The LLM judge's cache, attempts, batches and routes (SQL in store/judge.py)."""
        from tui_annotate.store.judge import JudgeStore

        return JudgeStore(self)

    def item_import(self, waiting: Callable[[str], None] | None = None) -> ItemImport:
        """An import's session: chunks invisible until published (store/item_import.py)."""
        from tui_annotate.store.item_import import ItemImport

        return ItemImport(self, waiting)

    def label_stage(self) -> LabelStage:
        """Labels from elsewhere, staged unseen and appended at once (store/label_stage.py)."""
        from tui_annotate.store.label_stage import LabelStage

        return LabelStage(self)

    @property
    def exports(self) -> ExportQueries:
        """Export's streaming read of a rubric's labels (SQL in store/export.py)."""
        from tui_annotate.store.export import ExportQueries

        return ExportQueries(self)

    @property
    def rounds(self) -> RoundStore:
        """Calibration rounds and the golden set (SQL kept in store/rounds.py)."""
        from tui_annotate.store.rounds import RoundStore

        return RoundStore(self)

    def close(self) -> None:
        self.conn.close()

    def optimize(self, *, wait_ms: int | None = None) -> bool:
        """Bring the planner's statistics up to date, cheaply; False if it could not run.

        Called after an import (the tables just grew) and as a long-lived
        connection closes, as SQLite advises. `analysis_limit` makes ANALYZE
        read a sample of each index: 30 ms at a million items and three
        million labels, so it simply runs everywhere (the `PRAGMA optimize`
        of SQLite before 3.46 skips a table no query of this connection
        used, i.e. every table right after an import). The queries that
        matter most don't depend on it (they name their indexes); the rest
        plan better with it. WAIT_MS bounds the wait for the write lock (an
        app quitting shouldn't sit behind someone's import); a database that
        takes no writes, or stays busy, is left as it was.
        """
        previous = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        try:
            if wait_ms is not None:
                self.conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
            self.conn.execute("PRAGMA analysis_limit = 1000")
            self.conn.execute("ANALYZE")
        except sqlite3.Error:
            return False
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(previous)}")
        return True

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT: the write lock up front, so no deadlock on upgrade."""
        self.begin_immediate()
        try:
            yield
        except sqlite3.OperationalError as exc:
            self._rollback()
            raise _store_error(self.path, exc) from None
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self._rollback()
            raise _store_error(self.path, exc) from None

    def begin_immediate(self) -> None:
        """Take the write lock, polling about every millisecond while another writer has it.

        SQLite's own busy handler sleeps longer and longer between tries (up to
        100 ms each): against an import that commits a chunk every few tens of
        milliseconds and pauses a moment between chunks, it would keep waking
        up inside the next chunk. Polling this finely catches the pause.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            pause = 0.0005
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not _busy(exc) or time.monotonic() > deadline:
                        raise _store_error(self.path, exc) from None
                time.sleep(pause)
                pause = min(pause * 1.5, 0.002)
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @contextmanager
    def bulk_insert(self) -> Iterator[None]:
        """A large page cache while importing: random keys in three indexes otherwise thrash
        SQLite's default 2 MB cache. Memory is returned when the import ends."""
        previous = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        temp_store = self.conn.execute("PRAGMA temp_store").fetchone()[0]
        self.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
        # Each batch runs in a savepoint, whose undo pages would otherwise go to a temp file.
        self.conn.execute("PRAGMA temp_store = MEMORY")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {int(previous)}")
            self.conn.execute(f"PRAGMA temp_store = {int(temp_store)}")

    def _rollback(self) -> None:
        # SQLite rolls back by itself after some errors (a full disk, say).
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # -- schema introspection (tests, status) --------------------------------

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def columns(self, table: str) -> list[str]:
        """A table's or a view's columns (`items` is a view since m005)."""
        return [
            str(r[1]) for r in self.conn.execute("SELECT * FROM pragma_table_info(?)", (table,))
        ]

    def tables(self) -> list[str]:
        """Tables, and views that stand for one (`items`)."""
        return sorted(self.db.table_names() + self.db.view_names())

    # -- items ----------------------------------------------------------------

    def insert_items(self, items: Sequence[NewItem], *, recoverable: bool = False) -> int:
        """Insert a batch inside the caller's transaction; return how many were new.

        The rows go above the visibility watermark: nobody sees them until the
        import publishes (store/item_import.py).

        Content duplicates are ignored; an external id reused for different
        content raises DuplicateItemId naming the offending item. RECOVERABLE
        wraps the batch in a savepoint so that after that error nothing of it
        is left and the caller can retry without the culprit (--skip-invalid);
        otherwise the caller rolls the whole import back, and the batch runs
        without a savepoint's undo journal, which costs a fifth of the time.
        """
        sql = (
            "INSERT INTO items_all (external_id, content_hash, rank, output, input, context,"
            " prompt, prompt_version, source, metadata, import_file, import_line, imported_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (content_hash) DO NOTHING"
        )
        before = self.conn.total_changes
        if recoverable:
            self.conn.execute("SAVEPOINT items_batch")
        try:
            self.conn.executemany(sql, items)  # NewItem is the row, column for column
        except sqlite3.IntegrityError:
            self.conn.execute("SAVEPOINT find_culprit")
            culprit = items[0]
            for item in items:
                try:
                    self.conn.execute(sql, item)
                except sqlite3.IntegrityError:
                    culprit = item
                    break
            self.conn.execute("ROLLBACK TO find_culprit")
            self.conn.execute("RELEASE find_culprit")
            if recoverable:
                self.conn.execute("ROLLBACK TO items_batch")
                self.conn.execute("RELEASE items_batch")
            raise DuplicateItemId(str(culprit[ROW_EXTERNAL_ID]), int(culprit[ROW_LINE])) from None
        if recoverable:
            self.conn.execute("RELEASE items_batch")
        return self.conn.total_changes - before

    def count_items(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM items").fetchone()[0])

    def get_item(self, item_id: int) -> Item:
        row = self.conn.execute(
            "SELECT id, external_id, output, input, context, prompt, prompt_version, source,"
            " metadata FROM items WHERE id = ?",
            (item_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no item with id {item_id}")
        return Item(
            id=row[0], external_id=row[1], output=row[2], input=row[3], context=row[4],
            prompt=row[5], prompt_version=row[6], source=row[7], metadata=json.loads(row[8]),
        )  # fmt: skip

    def item_ids_by_external(self, external_ids: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        ids = list(external_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for ext, iid in self.conn.execute(
                f"SELECT external_id, id FROM items WHERE external_id IN ({marks})", chunk
            ):
                found[ext] = iid
        return found

    # -- rubrics --------------------------------------------------------------

    def rubric_snapshot_hash(self, name: str, version: str) -> str | None:
        row = self.conn.execute(
            "SELECT content_hash FROM rubrics WHERE name = ? AND version = ?", (name, version)
        ).fetchone()
        return None if row is None else str(row[0])

    def save_rubric_snapshot(self, name: str, version: str, content_hash: str, toml: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO rubrics (name, version, content_hash, toml, registered_at)"
                " VALUES (?,?,?,?,?)",
                (name, version, content_hash, toml, now()),
            )

    # -- label events ---------------------------------------------------------

    def append_event(self, **event: Unpack[LabelWrite]) -> int:
        """Append one label event and commit it before returning (the durability promise).

        With `overlap`, a rating also claims the item for the annotator if they
        don't hold it (an undone skip, say), and is refused when the item
        already has that many other annotators.
        """
        with self.transaction():
            return self._append_locked(event)

    def append_and_claim(
        self, request: ClaimRequest, **event: Unpack[LabelWrite]
    ) -> tuple[int, int | None]:
        """append_event, and claim the annotator's next item in the same transaction.

        One commit, so one fsync, per rating key: the label and the next
        item's claim land together or not at all.
        """
        with self.transaction():
            event_id = self._append_locked(event)
            return event_id, self._claim_next_locked(request)

    def _append_locked(self, e: LabelWrite) -> int:
        item_id, rubric, annotator, kind = e["item_id"], e["rubric"], e["annotator"], e["kind"]
        overlap, round_id = e.get("overlap"), e.get("round_id")
        if (
            overlap is not None
            and kind == "rate"
            and not self._claim(rubric, item_id, annotator, overlap)
        ):
            raise ItemFull(
                f"this item already has {overlap} other annotator(s) (overlap {overlap}); "
                "it can't take another label"
            )
        cur = self.conn.execute(
            "INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score,"
            " tags, comment, seconds, calibration, round_id, meta, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (item_id, rubric, e["rubric_version"], annotator, kind, e.get("score"),
             json.dumps(list(e.get("tags", ()))), e.get("comment", ""),
             round(e.get("seconds", 0.0), 3), int(e.get("calibration", False) or round_id is not None),
             round_id, json.dumps(e.get("meta") or {}), now()),
        )  # fmt: skip
        if kind in ("rate", "retract"):
            # Labelled: held for good. Retracted: back on a lease while they re-rate it.
            self.conn.execute(
                "UPDATE assignments SET lease_until = ? WHERE rubric = ? AND item_id = ?"
                " AND annotator = ?",
                (None if kind == "rate" else later(self.lease_seconds), rubric, item_id, annotator),
            )
        if e.get("clear_draft"):
            self.conn.execute(
                "DELETE FROM drafts WHERE rubric = ? AND annotator = ? AND item_id = ?",
                (rubric, annotator, item_id),
            )
        if kind == "skip":
            # A skipped item goes back to the pool for others.
            self.conn.execute(
                "DELETE FROM assignments WHERE rubric = ? AND item_id = ? AND annotator = ?",
                (rubric, item_id, annotator),
            )
        return int(cur.lastrowid or 0)

    def append_imported_labels(self, events: Sequence[dict[str, Any]]) -> int:
        """Append labels made elsewhere in one transaction; they hold their items like claims."""
        stamp = now()
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score,"
                " tags, comment, meta, created_at) VALUES (?,?,?,?,'rate',?,?,?,?,?)",
                [(e["item_id"], e["rubric"], e["rubric_version"], e["annotator"], e["score"],
                  json.dumps(list(e["tags"])), e["comment"], json.dumps(e["meta"]), stamp)
                 for e in events],
            )  # fmt: skip
            self.conn.executemany(
                "INSERT INTO assignments (rubric, item_id, annotator, claimed_at, lease_until)"
                " VALUES (?,?,?,?,NULL) ON CONFLICT DO UPDATE SET lease_until = NULL",
                [(e["rubric"], e["item_id"], e["annotator"], stamp) for e in events],
            )
        return len(events)

    def events(
        self, *, rubric: str | None = None, annotator: str | None = None
    ) -> list[LabelEvent]:
        where, args = [], []
        if rubric is not None:
            where.append("rubric = ?")
            args.append(rubric)
        if annotator is not None:
            where.append("annotator = ?")
            args.append(annotator)
        sql = (
            "SELECT id, item_id, rubric, rubric_version, annotator, kind, score, tags, comment,"
            " seconds, created_at, calibration FROM labels"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [
            LabelEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(json.loads(r[7])), r[8],
                       r[9], r[10], bool(r[11]))
            for r in self.conn.execute(sql + " ORDER BY id", args)
        ]  # fmt: skip

    def current_label(self, item_id: int, rubric: str, annotator: str) -> CurrentLabel | None:
        row = self.conn.execute(
            "SELECT l.item_id, l.annotator, l.score, l.tags, l.comment, l.rubric_version,"
            " l.created_at FROM label_state s JOIN labels l ON l.id = s.event_id"
            " WHERE s.rubric = ? AND s.annotator = ? AND s.item_id = ? AND s.state = 'rated'",
            (rubric, annotator, item_id),
        ).fetchone()
        if row is None:
            return None
        return CurrentLabel(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4], row[5],
                            row[6])  # fmt: skip

    def is_flagged(self, item_id: int, rubric: str, annotator: str) -> bool:
        row = self.conn.execute(
            "SELECT flagged FROM label_state WHERE rubric = ? AND annotator = ? AND item_id = ?",
            (rubric, annotator, item_id),
        ).fetchone()
        return bool(row and row[0])

    def recent_rated(self, rubric: str, annotator: str, limit: int) -> list[int]:
        """The annotator's most recently rated items, oldest first (for undo after a restart)."""
        rows = self.conn.execute(
            "SELECT item_id FROM label_state INDEXED BY label_state_counts WHERE rubric = ?"
            " AND annotator = ? AND state = 'rated' ORDER BY event_id DESC LIMIT ?",
            (rubric, annotator, limit),
        ).fetchall()
        return [r[0] for r in reversed(rows)]

    def current_labels(
        self,
        rubric: str,
        *,
        humans_only: bool = True,
        live_only: bool = False,
        annotators: Sequence[str] | None = None,
    ) -> list[CurrentLabel]:
        """Every annotator's current label on RUBRIC, ordered by item.

        Labels made in an open calibration round are never returned: the round
        is blind until it closes. Other labels on its items (made before the
        round, by people outside it) are, so opening a round drops nothing
        else; `open_round_labels` counts what was held back. LIVE_ONLY leaves
        out every calibration label.
        """
        sql = (
            "SELECT l.item_id, l.annotator, l.score, l.tags, l.comment, l.rubric_version,"
            " l.created_at FROM label_state s JOIN labels l ON l.id = s.event_id"
            " WHERE s.rubric = ? AND s.state = 'rated'"
            # Uncorrelated: the open rounds' ids are read once, not once per label.
            " AND (l.round_id IS NULL OR l.round_id NOT IN"
            "   (SELECT id FROM rounds WHERE rubric = ? AND status = 'open'))"
        )
        args: list[Any] = [rubric, rubric]
        sql, args = _label_filters(sql, args, humans_only=humans_only, annotators=annotators)
        if live_only:
            sql += " AND l.round_id IS NULL"
        return [
            CurrentLabel(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6])
            for r in self.conn.execute(sql + " ORDER BY s.item_id, s.annotator", args)
        ]

    def open_round_labels(
        self,
        rubric: str,
        *,
        humans_only: bool = True,
        annotators: Sequence[str] | None = None,
    ) -> dict[int, int]:
        """{open round id: its current labels} on RUBRIC: what current_labels holds back.

        Walks the open rounds' items (few), not the rubric's labels (many).
        CROSS JOIN and INDEXED BY fix that plan: without statistics the planner
        scans the rubric's whole label_state instead.
        """
        sql = (
            "SELECT r.id, count(*) FROM rounds r CROSS JOIN round_items ri"
            " CROSS JOIN label_state s INDEXED BY label_state_by_item CROSS JOIN labels l"
            " WHERE r.rubric = ? AND r.status = 'open' AND ri.round_id = r.id"
            " AND s.rubric = r.rubric AND s.item_id = ri.item_id AND s.state = 'rated'"
            " AND l.id = s.event_id AND l.round_id = r.id"
        )
        sql, args = _label_filters(sql, [rubric], humans_only=humans_only, annotators=annotators)
        return {
            int(r[0]): int(r[1])
            for r in self.conn.execute(sql + " GROUP BY r.id ORDER BY r.id", args)
        }

    def rating_chunks(
        self, rubric: str, annotator: str, *, live_only: bool = False, size: int = 65_536
    ) -> Iterator[list[tuple[int, int]]]:
        """(item_id, score) of a person's current ratings on RUBRIC, in chunks, by item.

        The rows current_labels gives for one human annotator (an open round's
        own labels left out: blind), without an object per label: agreement over
        millions of labels builds its arrays straight from these.
        """
        # As current_labels: an open round's own labels are held back, nothing else.
        # Their round is on the label row, so it is joined only when a round is open.
        open_rounds = self.conn.execute(
            "SELECT 1 FROM rounds WHERE rubric = ? AND status = 'open' LIMIT 1", (rubric,)
        ).fetchone()
        join = live_only or open_rounds is not None
        sql = (
            "SELECT s.item_id, s.score FROM label_state s"
            + (" JOIN labels l ON l.id = s.event_id" if join else "")
            + " WHERE s.rubric = :rubric AND s.annotator = :annotator AND s.state = 'rated'"
            f" AND s.annotator NOT LIKE '{JUDGE_PREFIX}%'"
            + (
                " AND (l.round_id IS NULL OR l.round_id NOT IN"
                "   (SELECT id FROM rounds WHERE rubric = :rubric AND status = 'open'))"
                if open_rounds is not None
                else ""
            )
            + (" AND l.round_id IS NULL" if live_only else "")
            + " ORDER BY s.item_id"
        )
        cur = self.conn.execute(sql, {"rubric": rubric, "annotator": annotator})
        while chunk := cur.fetchmany(size):
            yield chunk

    def external_ids(self, item_ids: Iterable[int]) -> dict[int, str]:
        """item id -> external id, for the few items a report names."""
        ids = list(item_ids)
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for iid, ext in self.conn.execute(
                f"SELECT id, external_id FROM items WHERE id IN ({marks})", chunk
            ):
                found[iid] = ext
        return found

    # -- drafts ---------------------------------------------------------------

    def save_draft(self, item_id: int, rubric: str, annotator: str, draft: Draft) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO drafts (rubric, annotator, item_id, tags, comment, updated_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET"
                " tags = excluded.tags, comment = excluded.comment, updated_at = excluded.updated_at",
                (rubric, annotator, item_id, json.dumps(list(draft.tags)), draft.comment, now()),
            )

    def get_draft(self, item_id: int, rubric: str, annotator: str) -> Draft | None:
        row = self.conn.execute(
            "SELECT tags, comment FROM drafts WHERE rubric = ? AND annotator = ? AND item_id = ?",
            (rubric, annotator, item_id),
        ).fetchone()
        return None if row is None else Draft(tuple(json.loads(row[0])), row[1])

    # -- settings -------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- status ---------------------------------------------------------------

    def label_counts(self) -> list[tuple[str, str, int, int, int]]:
        """(rubric, annotator, rated, skipped, flagged) for every annotator with any state.

        Counted along label_state_counts, whose order is the grouping: no sort, and index
        entries rather than table rows.
        """
        totals: dict[tuple[str, str], list[int]] = {}
        for rubric, annotator, state, flagged, count in self.conn.execute(
            "SELECT rubric, annotator, state, sum(flagged), count(*) FROM label_state"
            " INDEXED BY label_state_counts GROUP BY rubric, annotator, state"
        ):
            entry = totals.setdefault((rubric, annotator), [0, 0, 0])
            if state == "rated":
                entry[0] += count
            elif state == "skipped":
                entry[1] += count
            entry[2] += flagged
        return [(r, a, *totals[(r, a)]) for r, a in sorted(totals)]  # type: ignore[misc]

    def items_unlabeled(self, rubric: str) -> int:
        """Items with no current human label on RUBRIC.

        All items less those with one: the second is one ordered pass over the
        small label_state_human index, where asking each of a million items
        took seconds. (Every label_state row's item exists: a foreign key.)
        """
        labelled = self.conn.execute(
            "SELECT count(*) FROM (SELECT h.item_id FROM label_state h INDEXED BY label_state_human"
            " WHERE h.rubric = :rubric AND h.annotator NOT LIKE 'judge:%' AND h.state = 'rated'"
            " GROUP BY h.item_id)",
            {"rubric": rubric},
        ).fetchone()[0]
        return self.count_items() - int(labelled)

    def rubrics_in_use(self) -> list[str]:
        """Rubrics with labels: one seek per rubric along labels_by_annotator, not a scan."""
        return [
            r[0]
            for r in self.conn.execute(
                "WITH RECURSIVE used (name) AS ("
                "  SELECT min(rubric) FROM labels"
                "  UNION ALL SELECT (SELECT min(rubric) FROM labels WHERE rubric > used.name)"
                "  FROM used WHERE used.name IS NOT NULL)"
                " SELECT name FROM used WHERE name IS NOT NULL ORDER BY 1"
            )
        ]

    def annotators(self, rubric: str) -> list[str]:
        """Everyone with a label state on RUBRIC: one seek each along label_state's key."""
        return [
            r[0]
            for r in self.conn.execute(
                "WITH RECURSIVE who (name) AS ("
                "  SELECT min(annotator) FROM label_state WHERE rubric = :rubric"
                "  UNION ALL SELECT (SELECT min(annotator) FROM label_state"
                "    WHERE rubric = :rubric AND annotator > who.name)"
                "  FROM who WHERE who.name IS NOT NULL)"
                " SELECT name FROM who WHERE name IS NOT NULL ORDER BY 1",
                {"rubric": rubric},
            )
        ]


def _label_filters(
    sql: str, args: list[Any], *, humans_only: bool, annotators: Sequence[str] | None
) -> tuple[str, list[Any]]:
    """The who-filters current_labels and open_round_labels share (label_state as `s`)."""
    if humans_only:
        sql += f" AND s.annotator NOT LIKE '{JUDGE_PREFIX}%'"
    if annotators is not None:
        sql += f" AND s.annotator IN ({','.join('?' * len(annotators))})"
        args = [*args, *annotators]
    return sql, args


def _busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc)
    return "locked" in message or "busy" in message


def _store_error(path: str, exc: sqlite3.OperationalError) -> StoreError:
    message = str(exc)
    if "locked" in message or "busy" in message:
        return StoreError(f"{path}: the database stayed locked by another process ({message})")
    if "readonly" in message or "read-only" in message:
        return StoreError(f"{path}: the database is read-only; nothing can be saved ({message})")
    if "full" in message:
        return StoreError(f"{path}: the disk is full; the last change was not saved ({message})")
    return StoreError(f"{path}: {message}")
