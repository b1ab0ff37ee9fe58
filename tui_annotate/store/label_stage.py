"""Labels made elsewhere, written unseen batch by batch as the file is read, then shown at once.

An import of labels runs on two cores (core/label_import.py):

- the reading thread parses and checks a batch of the file, then makes it
  ready to write on a connection of its own (store/label_ready.py: item ids
  resolved, sorted, repeats and duplicates found), into a scratch database
  that lives in a temporary directory for as long as the import;
- meanwhile this connection writes the batch before it into the project
  (while the file's lines come in item order; else the rest once it is read,
  sorted), unseen, in short transactions that annotators' saves get in
  between (store/label_publish.py), and at the end shows the whole file in
  one last, small transaction.

Writing while reading is what makes an import fast, and it is why the
pending range of ids is reserved before the file's length is known: it is
as long as the file could hold lines.

Label imports take the project's import lock (store/import_lock.py), as
item imports do, before anything is read: one pending range at a time, and
whoever holds the lock knows that a pending range it finds belongs to an
import that died (`kill -9` included). That range is deleted, in short
transactions, before anything else is written; until then nobody sees it.
An import that fails or is interrupted in this process deletes its own
range on the way out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import tempfile
from pathlib import Path
from types import TracebackType

from tui_annotate.errors import InputError, StoreError
from tui_annotate.store.connection import Connection
from tui_annotate.store.import_lock import ImportLock, Wait, process_alive, process_started
from tui_annotate.store.label_publish import LabelPublish
from tui_annotate.store.label_ready import LabelReady

#: Ids reserved for a source whose length can't be known (a pipe): more lines than any file.
UNBOUNDED = 1 << 40
#: The scratch directory's name, before PID.START@HOST- (in the temporary directory).
SCRATCH_PREFIX = "tui-annotate-labels-"


class LabelStage:
    """`with repo.label_stage(...) as stage: ready = stage.begin(); … stage.write(top); …`.

    SOURCE names the file in each label's meta, STAMP is every label's time,
    CAPACITY bounds the rows the file can hold (None: unknown, a pipe), and
    WAITING(who) is told when this import waits for another to finish.
    """

    def __init__(
        self,
        connection: Connection,
        source: str,
        stamp: str,
        capacity: int | None,
        waiting: Wait = None,
    ) -> None:
        self.connection = connection
        self.conn = connection.conn
        self.source = source
        self.stamp = stamp
        self.capacity = UNBOUNDED if capacity is None else capacity
        self.lock = ImportLock(connection)
        #: Writes the rows unseen and shows them (store/label_publish.py).
        self.publisher = LabelPublish(connection)
        #: The reading thread's side, once `begin` has made it.
        self.ready: LabelReady | None = None
        self._waiting = waiting
        self._folder: str | None = None
        self._attached = False
        self._cache = 0
        self._top = 0  # label_write's rows up to this one are written
        self._written = 0

    def __enter__(self) -> LabelStage:
        if self.connection.path == ":memory:" or not Path(self.connection.path).is_file():
            raise StoreError(f"{self.connection.path}: importing labels needs a database file")
        # A larger page cache for the appends: the indexes' pages they touch stay in it.
        self._cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute("PRAGMA cache_size = -65536")  # 64 MiB
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
            self.publisher.settings_back()
            if self.lock.held:
                # Ours, if this import stopped between reserving and publishing.
                self.publisher.discard()
        finally:
            # Should this fail too (a full disk), the lock names a process that is about
            # to be gone: the next import takes it over and deletes the range.
            with contextlib.suppress(StoreError, sqlite3.Error):
                self.lock.release()
            self.close_scratch()
            self.conn.execute(f"PRAGMA cache_size = {int(self._cache)}")

    def begin(self) -> LabelReady:
        """Take the import lock, clear what a dead import left, reserve the pending range,
        and make the scratch database; the reading thread's side of the import."""
        self.lock.acquire(self._waiting)
        self.publisher.discard()  # an import that died: what it wrote, never seen
        self.publisher.begin(self.capacity, self.stamp)
        _sweep(tempfile.gettempdir())
        me = f"{os.getpid()}.{process_started(os.getpid())}@{socket.gethostname()}"
        self._folder = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{me}-")
        scratch = Path(self._folder) / "ready.db"
        self.ready = LabelReady(
            self.connection.path,
            str(scratch),
            self.publisher.low,
            self.publisher.high,
            self.source,
        )
        # Read-only: this connection's write transactions then leave the scratch alone.
        # (Where SQLite was built to read no URIs, they take its write lock too, and the
        # reading thread waits for each chunk: slower, never wrong.)
        self.conn.execute(
            "ATTACH ? AS scratch",
            (scratch.resolve().as_uri() + "?mode=ro" if _uri_names() else str(scratch),),
        )
        self._attached = True
        # Each chunk reads its rows three times (labels, states, claims): kept in memory.
        self.conn.execute("PRAGMA scratch.cache_size = -16384")  # 16 MiB
        return self.ready

    def write(self, top: int) -> None:
        """Write label_write's rows up to TOP, unseen (store/label_publish.py)."""
        if top > self.capacity:
            raise InputError(
                f"grew while it was read: more than the {self.capacity:,} lines it could"
                " hold when the import started",
                file=self.source,
            )
        self._written += self.publisher.write(self._top + 1, top)
        self._top = max(self._top, top)

    def unknown_items(self, limit: int) -> tuple[list[str], int]:
        """Up to LIMIT item ids of the file that name no (visible) item, sorted, and how many."""
        if not self._attached:
            return [], 0
        shown = [
            r[0]
            for r in self.conn.execute(
                "SELECT ext FROM scratch.label_unknown ORDER BY ext LIMIT ?", (limit,)
            )
        ]
        count = int(self.conn.execute("SELECT count(*) FROM scratch.label_unknown").fetchone()[0])
        return shown, count

    def publish(self) -> int:
        """Show every label written, at once; return how many were appended."""
        dropped = self.publisher.show()
        return self._written - self.publisher.redone - dropped

    def close_scratch(self) -> None:
        """Detach and delete the scratch database (the reading thread is done with it)."""
        if self._attached:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("DETACH scratch")
            self._attached = False
        if self.ready is not None:
            with contextlib.suppress(sqlite3.Error):
                self.ready.close()
            self.ready = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _sweep(folder: str) -> None:
    """Delete the scratch directories of imports that died (kill -9).

    Each is named after its process as the import lock records one (pid,
    start, host): one whose process is gone is left over. Another host's (a
    container sharing the directory) stays, and so does another user's (not
    ours to delete).
    """
    for path in Path(folder).glob(f"{SCRATCH_PREFIX}*@*-*"):
        who, _, rest = path.name[len(SCRATCH_PREFIX) :].partition("@")
        pid, _, since = who.partition(".")
        if not (pid.isdigit() and since.isdigit()):
            continue
        if not process_alive(rest.rsplit("-", 1)[0], int(pid), int(since)):
            shutil.rmtree(path, ignore_errors=True)


def _uri_names() -> bool:
    """Whether ATTACH reads a `file:` URI as one on every connection (SQLITE_USE_URI)."""
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        return any(
            r[0] == "USE_URI=1" or r[0] == "USE_URI" for r in conn.execute("PRAGMA compile_options")
        )
