"""Open a project database: WAL, foreign keys, a busy timeout and forward migrations."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
from pathlib import Path

from tui_annotate.errors import StoreError
from tui_annotate.store.migrations import MIGRATIONS, SCHEMA_VERSION

#: How long a writer waits for another process's transaction before giving up.
#: Eight annotators commit a label each in well under a millisecond, so a wait
#: this long means something is stuck, not busy.
BUSY_TIMEOUT_MS = 15_000


def connect(
    path: Path | str, *, readonly: bool = False, migrate: bool = True
) -> sqlite3.Connection:
    """Open PATH, create or migrate its schema, and return a connection in autocommit mode.

    Transactions are explicit (`BEGIN IMMEDIATE` … `COMMIT`) so that a label
    is durable the moment its transaction returns. A file written by a newer
    version of tui-annotate is refused and left untouched.
    """
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, not a database file")
    created = not readonly and not path.exists()
    try:
        if readonly:
            if not path.exists():
                raise StoreError(f"{path}: no such database")
            conn = _open_read_only(path)
        else:
            if not path.parent.exists():
                raise StoreError(f"{path}: the directory {path.parent} does not exist")
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: can't open the database: {exc}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path}: this database has schema version {version}, written by a newer "
                f"tui-annotate (this one knows up to {SCHEMA_VERSION}). Upgrade tui-annotate; "
                "the file was not changed."
            )
        if version == 0:
            foreign = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            if foreign:
                raise StoreError(
                    f"{path}: not a tui-annotate database (it holds other tables: "
                    f"{', '.join(foreign[:5])}); it was not changed"
                )
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"{path}: can't switch the database to WAL mode (got {mode})")
        # FULL: a commit is on disk before the screen moves on, even across a power cut.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:
            if readonly or not migrate:
                raise StoreError(
                    f"{path}: schema version {version} needs migrating to {SCHEMA_VERSION}; "
                    "open it once read-write"
                )
            _migrate(conn)
    except sqlite3.OperationalError as exc:
        # Can't read or lock it (permissions, a read-only mount): not a question of format.
        conn.close()
        raise StoreError(f"{path}: can't open the database: {exc}") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: not a tui-annotate database ({exc})") from None
    except BaseException:
        conn.close()
        raise
    if created:
        share_with_group(path)
    return conn


def share_with_group(path: Path) -> None:
    """A new database in a shared directory is made writable by that directory's group.

    A team host keeps the database in a setgid, group-writable directory
    (README: "Running a team host"); a lead whose umask is the usual 022
    would otherwise create a file the annotators can only read. SQLite
    gives the -wal and -shm files the database's mode when it creates them,
    so the ones it already made get it too.
    """
    folder = path.parent.stat().st_mode
    if not (folder & stat.S_ISGID and folder & stat.S_IWGRP):
        return
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(OSError):  # not ours to change, or already gone
            part.chmod(part.stat().st_mode | stat.S_IRGRP | stat.S_IWGRP)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """mode=ro, or immutable=1 where even that can't work.

    A WAL database opened read-only still needs its -shm file, and creates it
    when missing: on a read-only mount, or in a directory this user can't
    write, that fails. immutable=1 then reads the main file without locks;
    what it shows is the last checkpoint (everything, once the writers have
    closed), which is enough for browsing.
    """
    # as_uri() escapes '#', '?' and '%' in the path, which a URI would misread.
    base = path.resolve().as_uri()
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(
            base + "?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        if conn is not None:
            conn.close()
        return sqlite3.connect(
            base + "?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False
        )


def refuses_writes(conn: sqlite3.Connection) -> str | None:
    """Why this connection can't write (a read-only file or mount), or None if it can.

    Writes the header's user_version back unchanged and rolls back: nothing
    changes, but SQLite has to take the write path to say no.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(version)}")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "readonly" in str(exc) or "read-only" in str(exc):
            return str(exc)
        raise StoreError(f"can't write the database: {exc}") from None
    return None


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply each pending migration in its own transaction, re-checking the version under lock."""
    for number, migration in enumerate(MIGRATIONS, start=1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                conn.execute("COMMIT")
                continue
            migration(conn)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
