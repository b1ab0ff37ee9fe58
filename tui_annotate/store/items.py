"""The items to label: written in batches by an import, read one by one by the app."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from tui_annotate.core.models import ROW_EXTERNAL_ID, ROW_LINE, Item, NewItem
from tui_annotate.errors import DuplicateItemId, StoreError
from tui_annotate.store.connection import Connection

# Unix seconds of the item's `timestamp` (?15), else when it was imported (?13), for
# deciding's covering index (m011); NULL when SQLite can't read it.
HAPPENED_AT = "CAST(strftime('%s', CASE WHEN ?15 != '' THEN ?15 ELSE ?13 END) AS INTEGER)"


class ItemStore:
    """Items by id and by external id; only visible ones (the `items` view) are read."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def insert(self, items: Sequence[NewItem], *, recoverable: bool = False) -> int:
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
        # Here, not at the top: hashlib's blake2 is no part of the annotation app's start.
        from tui_annotate.core.case_hash import case_hash, case_text

        sql = (
            "INSERT INTO items_all (external_id, content_hash, rank, output, input, context,"
            " prompt, prompt_version, source, metadata, import_file, import_line, imported_at,"
            " case_key, logged_at, case_hash, happened_at)"
            " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
            f" {HAPPENED_AT})"
            " ON CONFLICT (content_hash) DO NOTHING"
        )
        # NewItem is the row, column for column, and then the hash of its case (m011):
        # its case field (13), else its input (4).
        rows = [(*item, case_hash(case_text(item[13], item[4]))) for item in items]
        before = self.conn.total_changes
        if recoverable:
            self.conn.execute("SAVEPOINT items_batch")
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError:
            self.conn.execute("SAVEPOINT find_culprit")
            culprit = items[0]
            for item, row in zip(items, rows, strict=True):
                try:
                    self.conn.execute(sql, row)
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

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM items").fetchone()[0])

    def mark(self) -> int:
        """Changes when items are added (the highest item id): cheap enough for a timer."""
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0])

    def get(self, item_id: int) -> Item:
        row = self.conn.execute(
            "SELECT id, external_id, output, input, context, prompt, prompt_version, source,"
            " metadata FROM items WHERE id = ?",
            (item_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no item with id {item_id}")
        return Item(
            id=row[0],
            external_id=row[1],
            output=row[2],
            input=row[3],
            context=row[4],
            prompt=row[5],
            prompt_version=row[6],
            source=row[7],
            metadata=json.loads(row[8]),
        )

    def ids_by_external(self, external_ids: Iterable[str]) -> dict[str, int]:
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
