"""SQL for live mode: followed files' offsets, written with their items in one transaction,
and the quarantine of bad lines.

A poll's items become visible at once (they are published in the same
transaction: a follower writes small batches, so the watermark of m005 moves
with each), and the offset just past them is stored in that transaction too:
after `kill -9`, the offset names exactly the lines whose items exist. The
follower does not hold the import lock between polls, so a batch `import`
can run beside it; while one runs, the follower's poll waits (it would
otherwise publish that import's half-written rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from tui_annotate.core.clock import now
from tui_annotate.core.live.batch import (
    BadLine,
    FileOffset,
    FilePart,
    Identity,
    LiveCommit,
    QuarantineEntry,
)
from tui_annotate.core.models import ROW_CONTENT_HASH, ROW_LINE, NewItem
from tui_annotate.errors import DuplicateItemId
from tui_annotate.store.connection import Connection
from tui_annotate.store.follow_lock import FollowLock
from tui_annotate.store.import_lock import ImportLock
from tui_annotate.store.items import ItemStore

#: The `model` of a route made by the live sample (routes name who routed an item).
SAMPLE_ROUTER = "live-sample"


class FollowStore:
    """Offsets, the poll's one transaction, and the quarantine."""

    def __init__(self, connection: Connection, items: ItemStore) -> None:
        self.connection = connection
        self.conn = connection.conn
        self.items = items
        self.lock = ImportLock(connection)
        #: One follower per log (store/follow_lock.py).
        self.claims = FollowLock(connection)

    # -- offsets -------------------------------------------------------------------------

    def offsets(self) -> dict[Identity, FileOffset]:
        return {
            (row[0], row[1], row[2]): FileOffset(*row)
            for row in self.conn.execute(
                "SELECT device, inode, head_hash, path, byte_offset, line, tail_hash"
                " FROM follow_offsets"
            )
        }

    # -- the poll's transaction ------------------------------------------------------------

    def import_running(self) -> str:
        """'pid N' of a batch import running now (the poll must wait for it), or ''."""
        return self.lock.held_by()

    def commit(
        self,
        parts: Sequence[FilePart],
        *,
        rubrics: Sequence[str] = (),
        sampled: Callable[[str], bool] | None = None,
    ) -> LiveCommit | None:
        """Write PARTS (items, bad lines, offsets) in one transaction and publish the items.

        New items SAMPLED (by content hash) are routed to people on each of RUBRICS.
        Returns None, writing nothing, while a batch import holds the import lock.
        """
        with self.connection.transaction():
            if self.lock.holder() is not None:
                return None
            # Rows above the watermark belong to an import that died: not ours to publish.
            self.conn.execute(
                "DELETE FROM items_all WHERE id > (SELECT visible_up_to FROM import_state)"
            )
            first_new = self._max_id() + 1
            inserted = duplicates = quarantined = 0
            for part in parts:
                bad = list(part.bad)
                new, clashes = self._insert(part.items)
                inserted += new
                duplicates += len(part.items) - len(clashes) - new
                for line in clashes:
                    at, raw = part.lines.get(line, (0, ""))
                    bad.append(
                        BadLine(
                            part.offset.path,
                            line,
                            at,
                            "its id already names a different item",
                            "id",
                            raw,
                        )
                    )
                quarantined += self._quarantine(bad)
                self._save_offset(part)
            self.conn.execute(
                "UPDATE import_state SET visible_up_to ="
                " max(visible_up_to, (SELECT coalesce(max(id), 0) FROM items_all))"
            )
            routed = self._route(first_new, rubrics, sampled) if sampled and rubrics else 0
        return LiveCommit(inserted, duplicates, quarantined, routed)

    def _max_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM items_all").fetchone()[0])

    def _insert(self, items: list[NewItem]) -> tuple[int, list[int]]:
        """Insert ITEMS; an id naming other content is left out. (new, clashing lines)."""
        clashes: list[int] = []
        while items:
            try:
                return self.items.insert(items, recoverable=True), clashes
            except DuplicateItemId as exc:
                clashes.append(exc.line)
                items = [item for item in items if item[ROW_LINE] != exc.line]
        return 0, clashes

    def _quarantine(self, bad: Sequence[BadLine]) -> int:
        stamp = now()
        self.conn.executemany(
            "INSERT INTO quarantine (file, line, byte_offset, reason, field, raw, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            [(b.file, b.line, b.byte_offset, b.reason, b.field, b.raw, stamp) for b in bad],
        )
        return len(bad)

    def _save_offset(self, part: FilePart) -> None:
        o = part.offset
        if part.replaces is not None:
            self.conn.execute(
                "DELETE FROM follow_offsets WHERE device = ? AND inode = ? AND head_hash = ?",
                part.replaces,
            )
        self.conn.execute(
            "INSERT INTO follow_offsets (device, inode, head_hash, path, byte_offset, line,"
            " tail_hash, updated_at) VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT (device, inode, head_hash) DO UPDATE"
            " SET path = excluded.path, byte_offset = excluded.byte_offset,"
            " line = excluded.line, tail_hash = excluded.tail_hash,"
            " updated_at = excluded.updated_at",
            (o.device, o.inode, o.head_hash, o.path, o.byte_offset, o.line, o.tail_hash, now()),
        )

    def _route(self, first_new: int, rubrics: Sequence[str], sampled: Callable[[str], bool]) -> int:
        chosen = [
            item_id
            for item_id, digest in self.conn.execute(
                "SELECT id, content_hash FROM items_all WHERE id >= ?", (first_new,)
            )
            if sampled(digest)
        ]
        if not chosen:
            return 0
        last = self.conn.execute("SELECT coalesce(max(id), 0) FROM labels").fetchone()[0]
        stamp = now()
        self.conn.executemany(
            "INSERT OR IGNORE INTO routes (rubric, item_id, reason, model, after_label,"
            " created_at) VALUES (?,?,'sample',?,?,?)",
            [(r, i, SAMPLE_ROUTER, last, stamp) for r in rubrics for i in chosen],
        )
        return len(chosen)

    # -- the quarantine ------------------------------------------------------------------

    def quarantined(self, *, include_imported: bool = False) -> list[QuarantineEntry]:
        where = "" if include_imported else " WHERE status = 'open'"
        return [
            QuarantineEntry(*row)
            for row in self.conn.execute(
                "SELECT id, file, line, byte_offset, reason, field, raw, created_at, status,"
                f" retries FROM quarantine{where} ORDER BY id"
            )
        ]

    def quarantine_count(self) -> int:
        """Open quarantined lines (0 on a database from before live mode)."""
        try:
            row = self.conn.execute("SELECT count(*) FROM quarantine WHERE status = 'open'")
        except sqlite3.OperationalError:
            return 0
        return int(row.fetchone()[0])

    def release(self, entry_id: int, item: NewItem) -> bool | None:
        """Import a quarantined line's ITEM and close the entry, in one transaction.

        True when imported (or its content was already there), False when its id
        names other content (the entry stays open), None while a batch import runs.
        """
        with self.connection.transaction():
            if self.lock.holder() is not None:
                return None
            self.conn.execute(
                "DELETE FROM items_all WHERE id > (SELECT visible_up_to FROM import_state)"
            )
            try:
                self.items.insert([item], recoverable=True)
            except DuplicateItemId:
                return False
            self.conn.execute(
                "UPDATE import_state SET visible_up_to ="
                " max(visible_up_to, (SELECT coalesce(max(id), 0) FROM items_all))"
            )
            found = self.conn.execute(
                "SELECT id FROM items_all WHERE content_hash = ?", (item[ROW_CONTENT_HASH],)
            ).fetchone()
            self.conn.execute(
                "UPDATE quarantine SET status = 'imported', item_id = ?, retries = retries + 1,"
                " retried_at = ? WHERE id = ?",
                (found[0] if found else None, now(), entry_id),
            )
        return True

    def still_bad(self, entry_id: int, reason: str, field: str | None) -> None:
        """A retry failed again: keep the entry open with today's reason."""
        with self.connection.transaction():
            self.conn.execute(
                "UPDATE quarantine SET reason = ?, field = ?, retries = retries + 1,"
                " retried_at = ? WHERE id = ?",
                (reason, field, now(), entry_id),
            )
