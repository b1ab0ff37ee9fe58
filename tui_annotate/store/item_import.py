"""An import that never blocks annotators and is seen whole or not at all.

Items are written above the visibility watermark (migration m005: `items` is
a view of `items_all` up to `import_state.visible_up_to`) in short
transactions, each holding the write lock for a few milliseconds, with a
pause between them in which annotators' writes get in. Nothing written is
visible until `publish` moves the watermark in one tiny transaction. An
import that stops before that (an error, Ctrl-C, `kill -9`) leaves rows
above the watermark that no reader sees; they are deleted, also in short
transactions, when it fails or else by the next import, before it writes
anything (dedup by content hash must not match an invisible row).

Imports are serialized by a lock row in the database (import_lock.py): the
watermark covers every row below it, so two imports writing at once would
publish each other's half.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from tui_annotate.core.models import NewItem
from tui_annotate.errors import StoreError
from tui_annotate.store.connection import Connection
from tui_annotate.store.import_lock import ImportLock
from tui_annotate.store.items import ItemStore

#: Rows deleted per transaction when an unfinished import is cleaned up.
DELETE_CHUNK = 5_000
#: After each chunk, the import waits this share of the time it held the lock
#: (at least PAUSE_MIN seconds): annotators waiting to save a label get in.
PAUSE_SHARE = 0.3
PAUSE_MIN = 0.003

#: Called between chunks in tests, to kill an import at a known point.
chunk_hook: Callable[[int], None] | None = None


class ItemImports:
    """The watermark and the rows above it; `session()` starts one import."""

    def __init__(self, connection: Connection, items: ItemStore) -> None:
        self.connection = connection
        self.conn = connection.conn
        self.items = items

    def session(self, waiting: Callable[[str], None] | None = None) -> ItemImport:
        """An import's session: chunks invisible until published (see the module docstring)."""
        return ItemImport(self, waiting)

    def watermark(self) -> int:
        return int(self.conn.execute("SELECT visible_up_to FROM import_state").fetchone()[0])

    def unfinished_rows(self) -> int:
        """Rows of an import that never finished (or of the one running now)."""
        return int(
            self.conn.execute(
                "SELECT count(*) FROM items_all WHERE id > (SELECT visible_up_to FROM import_state)"
            ).fetchone()[0]
        )

    def discard_unfinished(self) -> int:
        """Delete the rows above the watermark, a chunk per transaction; the caller holds the lock.

        No reader saw them and nothing refers to them (labels and claims are made
        on visible items only). Returns how many were deleted.
        """
        deleted = 0
        while True:
            with self.connection.transaction():
                cur = self.conn.execute(
                    "DELETE FROM items_all WHERE id IN (SELECT id FROM items_all WHERE id >"
                    " (SELECT visible_up_to FROM import_state) ORDER BY id DESC LIMIT ?)",
                    (DELETE_CHUNK,),
                )
            deleted += cur.rowcount
            if cur.rowcount < DELETE_CHUNK:
                return deleted

    def publish(self) -> None:
        """Make every row written so far visible, in one tiny transaction."""
        self.conn.execute("PRAGMA synchronous = FULL")
        with self.connection.transaction():
            self.conn.execute(
                "UPDATE import_state SET visible_up_to ="
                " max(visible_up_to, (SELECT coalesce(max(id), 0) FROM items_all))"
            )


class ItemImport:
    """`with repo.item_import() as session: session.write(batch) …; session.publish()`."""

    def __init__(self, imports: ItemImports, waiting: Callable[[str], None] | None = None) -> None:
        self.imports = imports
        self.conn = imports.conn
        self.lock = ImportLock(imports.connection)
        self._waiting = waiting
        self.start = 0
        self.published = False
        self.chunks = 0

    def __enter__(self) -> ItemImport:
        self.lock.acquire(self._waiting)
        try:
            self.imports.discard_unfinished()
            self.start = self.imports.watermark()
            # Chunks need not reach the disk one by one: only the watermark's commit
            # (FULL again by then) decides what exists. WAL keeps NORMAL crash-safe.
            self.conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.conn.execute("PRAGMA synchronous = FULL")
            if not self.published:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                self.imports.discard_unfinished()
        finally:
            # Should this fail too (a full disk), the lock names a process that is about
            # to be gone: the next import takes it over.
            with contextlib.suppress(StoreError, sqlite3.Error):
                self.lock.release()

    def write(self, batch: Sequence[NewItem], *, recoverable: bool) -> int:
        """Insert BATCH in its own short transaction; return how many were new.

        DuplicateItemId leaves nothing of the batch behind (its transaction is
        rolled back), so the caller may retry without the culprit.
        """
        began = time.monotonic()
        with self.imports.connection.transaction():
            inserted = self.imports.items.insert(batch, recoverable=recoverable)
        held = time.monotonic() - began
        self.chunks += 1
        if chunk_hook is not None:
            chunk_hook(self.chunks)
        time.sleep(max(PAUSE_MIN, held * PAUSE_SHARE))
        return inserted

    def publish(self) -> None:
        """Make every row written by this import visible, in one tiny transaction."""
        self.imports.publish()
        self.published = True
