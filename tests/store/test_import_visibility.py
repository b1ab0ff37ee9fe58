"""An import is seen whole or not at all, though it commits in chunks (migration m005).

Readers in other connections see none of an unfinished import's items; a
failed, interrupted or killed import leaves rows above the watermark that
the next import deletes before it writes; imports run one at a time.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tui_annotate.core import ingest
from tui_annotate.errors import ManyInputErrors
from tui_annotate.store import item_import
from tui_annotate.store.import_lock import ImportLock
from tui_annotate.store.repository import Repository

DEADLINE = 60.0


def items_file(path: Path, n: int, prefix: str = "k") -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"{prefix}-{i:06d}", "input": f"q {i}", "output": f"a {i}"}) + "\n"
            for i in range(n)
        ),
        "utf-8",
    )
    return path


def visible_count(db: Path) -> int:
    """What any other reader sees, through the `items` every query uses."""
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])


def stored_count(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM items_all").fetchone()[0])


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many chunks from a small file, and no pause between them."""
    monkeypatch.setattr(ingest, "CHUNK_ITEMS", 50)
    monkeypatch.setattr(item_import, "PAUSE_MIN", 0.0)


def test_chunks_are_invisible_until_published(
    repo: Repository, db_path: Path, tmp_path: Path, small_chunks: None
) -> None:
    seen: list[tuple[int, int]] = []
    hook_calls: list[int] = []

    def look(chunk: int) -> None:
        hook_calls.append(chunk)
        seen.append((visible_count(db_path), stored_count(db_path)))

    item_import.chunk_hook = look
    try:
        result = ingest.import_items(repo, items_file(tmp_path / "i.jsonl", 500))
    finally:
        item_import.chunk_hook = None
    assert result.inserted == 500
    assert len(hook_calls) == 10  # committed in ten chunks …
    assert [v for v, _ in seen] == [0] * 10  # … none of which anybody saw
    assert [s for _, s in seen] == [50 * k for k in range(1, 11)]
    assert visible_count(db_path) == 500


def test_a_failed_import_leaves_nothing_in_the_file(
    repo: Repository, db_path: Path, tmp_path: Path, small_chunks: None
) -> None:
    path = items_file(tmp_path / "i.jsonl", 300)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"id": "k-000001", "output": "other content, same id"}\n')
    with pytest.raises(ManyInputErrors, match="already names a different item"):
        ingest.import_items(repo, path)
    assert visible_count(db_path) == 0
    assert stored_count(db_path) == 0  # deleted on the way out, not left for the next one


def test_an_abandoned_import_is_cleaned_up_by_the_next(
    repo: Repository, db_path: Path, tmp_path: Path
) -> None:
    ingest.import_items(repo, items_file(tmp_path / "first.jsonl", 20, prefix="old"))
    rows = [
        (
            f"new-{i}",
            f"hash-{i}",
            i,
            "out",
            "",
            "",
            "",
            "",
            "batch",
            "{}",
            "f",
            i + 1,
            "now",
            "",
            "",
        )
        for i in range(30)
    ]
    # Direct store calls: an import that wrote chunks and never published or cleaned up …
    other = Repository.open(db_path)
    session = other.item_import().__enter__()
    session.write(rows[:15], recoverable=False)
    session.write(rows[15:], recoverable=False)
    # … and whose process is gone: its lock names a pid that no longer runs.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    other.conn.execute("UPDATE import_state SET importer_pid = ?", (gone.pid,))
    other.close()
    assert (visible_count(db_path), stored_count(db_path)) == (20, 50)
    assert repo.imports.unfinished_rows() == 30

    # Dedup by content must not match the invisible rows: clean-up comes first.
    again = ingest.import_items(repo, items_file(tmp_path / "first.jsonl", 25, prefix="old"))
    assert (again.inserted, again.duplicates) == (5, 20)
    assert (visible_count(db_path), stored_count(db_path)) == (25, 25)
    assert repo.imports.unfinished_rows() == 0


def test_views_are_flattened_into_a_rowid_range(repo: Repository) -> None:
    for sql in (
        "SELECT count(*) FROM items",
        "SELECT id FROM items WHERE external_id IN ('a', 'b')",
        "SELECT id FROM items ORDER BY rank LIMIT 1",
    ):
        plan = " / ".join(r[3] for r in repo.conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "items_all" in plan, plan
        assert "CO-ROUTINE" not in plan and "MATERIALIZE" not in plan, plan
        assert "SCAN items_all" not in plan or "INDEX" in plan, plan


def test_imports_take_turns(db_path: Path, repo: Repository) -> None:
    first = ImportLock(repo.connection)
    assert first.try_acquire()
    with Repository.open(db_path) as other:
        second = ImportLock(other.connection)
        try:
            assert not second.try_acquire()
            assert second.held_by() == f"pid {os.getpid()}"
        finally:
            first.release()
        assert second.try_acquire()
        assert first.held_by() == f"pid {os.getpid()}"
        second.release()
    assert first.holder() is None


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


#: Runs an import that stops for good after its third chunk, saying so in a file.
PAUSED_IMPORT = """
import sys, time
from pathlib import Path
from tui_annotate.core import ingest
from tui_annotate.store import item_import
from tui_annotate.store.repository import Repository

ingest.CHUNK_ITEMS = 100
def hook(chunk):
    if chunk == 3:
        Path(sys.argv[3]).write_text("3")
        time.sleep(3600)
item_import.chunk_hook = hook
ingest.import_items(Repository.open(sys.argv[1]), Path(sys.argv[2]))
"""


def test_kill9_mid_import_shows_nothing_and_the_next_import_cleans_up(
    db_path: Path, tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    Repository.open(db_path).close()
    source = items_file(tmp_path / "i.jsonl", 1_000)
    marker = tmp_path / "paused"
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED_IMPORT, str(db_path), str(source), str(marker)]
    )
    children.append(proc)
    deadline = time.monotonic() + DEADLINE
    while not marker.exists():
        assert proc.poll() is None, "the import ended before its third chunk"
        assert time.monotonic() < deadline, "the import never reached its third chunk"
        time.sleep(0.02)
    assert (visible_count(db_path), stored_count(db_path)) == (0, 300)
    # A second import would wait for the first, and can say whom it waits for.
    waited: list[str] = []
    with Repository.open(db_path) as repo:
        lock = ImportLock(repo.connection)
        assert not lock.try_acquire()
        assert lock.held_by() == f"pid {proc.pid}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (visible_count(db_path), stored_count(db_path)) == (0, 300)

    with Repository.open(db_path) as repo:
        result = ingest.import_items(repo, source, waiting=waited.append)
    assert waited == []  # the dead import's lock was taken over
    assert (result.inserted, result.duplicates) == (1_000, 0)
    assert (visible_count(db_path), stored_count(db_path)) == (1_000, 1_000)


def test_a_writer_waits_for_the_lock_between_chunks(repo: Repository, db_path: Path) -> None:
    """With busy_timeout 0 while it polls, a held lock must still be waited for, not an error."""
    import threading

    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release() -> None:
        time.sleep(0.05)  # the other writer's transaction, as long as an import chunk
        other.execute("COMMIT")
        released.set()

    threading.Thread(target=release).start()
    repo.set_setting("k", "v")  # must wait for the lock, then write
    assert released.is_set()
    assert repo.get_setting("k") == "v"
    assert repo.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000  # restored
    other.close()


def test_a_second_import_waits_for_the_first_and_says_for_whom(
    repo: Repository, db_path: Path, tmp_path: Path
) -> None:
    import threading

    first = ImportLock(repo.connection)
    assert first.try_acquire()
    told = threading.Event()
    said: list[str] = []
    done: list[int] = []

    def waiting(who: str) -> None:
        said.append(who)
        told.set()

    def second() -> None:
        with Repository.open(db_path) as other:
            path = items_file(tmp_path / "second.jsonl", 10)
            done.append(ingest.import_items(other, path, waiting=waiting).inserted)

    thread = threading.Thread(target=second)
    thread.start()
    assert told.wait(DEADLINE), "the second import never said it was waiting"
    assert said == [f"pid {os.getpid()}"]
    assert (done, stored_count(db_path)) == ([], 0)  # it waits, writing nothing
    first.release()
    thread.join(DEADLINE)
    assert done == [10] and visible_count(db_path) == 10


def test_a_row_written_straight_into_items_is_visible_unless_an_import_runs(
    repo: Repository, db_path: Path
) -> None:
    """Tools and fixtures that INSERT INTO items keep working on the view."""
    sql = "INSERT INTO items (external_id, content_hash, rank, output, imported_at) VALUES (?,?,?,?,?)"
    repo.conn.execute(sql, ("t1", "h1", 1, "out", "now"))
    assert visible_count(db_path) == 1
    assert repo.get_item(repo.item_ids_by_external(["t1"])["t1"]).source == "batch"
    lock = ImportLock(repo.connection)
    assert lock.try_acquire()
    repo.conn.execute(sql, ("t2", "h2", 2, "out", "now"))
    assert visible_count(db_path) == 1  # an import runs: its rows must not show early
    lock.release()
