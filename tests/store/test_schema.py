"""The schema after migrating an empty file, the connection's pragmas, and files that are refused."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from tui_annotate.errors import StoreError
from tui_annotate.store.db import BUSY_TIMEOUT_MS
from tui_annotate.store.migrations import SCHEMA_VERSION
from tui_annotate.store.repository import Repository

COLUMNS = {
    "items": [
        "id",
        "external_id",
        "content_hash",
        "rank",
        "input",
        "output",
        "context",
        "prompt",
        "prompt_version",
        "source",
        "metadata",
        "import_file",
        "import_line",
        "imported_at",
        "case_key",
        "logged_at",
        "case_hash",
        "happened_at",
    ],
    "rubrics": ["name", "version", "content_hash", "toml", "registered_at"],
    "labels": [
        "id",
        "item_id",
        "rubric",
        "rubric_version",
        "annotator",
        "kind",
        "score",
        "tags",
        "comment",
        "seconds",
        "calibration",
        "meta",
        "created_at",
        "round_id",
    ],
    "rounds": [
        "id",
        "rubric",
        "rubric_version",
        "rubric_major",
        "status",
        "source",
        "seed",
        "created_by",
        "created_at",
        "closed_at",
        "verdict",
        "alpha",
        "result",
    ],
    "round_annotators": ["round_id", "annotator"],
    "round_items": ["round_id", "item_id", "position"],
    "judge_cache": ["model", "prompt_hash", "answer", "created_at"],
    "judge_attempts": [
        "id",
        "item_id",
        "rubric",
        "model",
        "prompt_hash",
        "status",
        "error",
        "raw",
        "prompt_tokens",
        "completion_tokens",
        "latency_ms",
        "created_at",
    ],
    "judge_batches": [
        "id",
        "rubric",
        "rubric_version",
        "model",
        "status",
        "requests",
        "output_file_id",
        "created_at",
        "finished_at",
    ],
    "routes": ["rubric", "item_id", "reason", "model", "after_label", "created_at", "item_rank"],
    "golden": [
        "id",
        "item_id",
        "rubric",
        "rubric_version",
        "score",
        "note",
        "adjudicator",
        "round_id",
        "created_at",
    ],
    "label_state": ["rubric", "annotator", "item_id", "state", "score", "event_id", "flagged"],
    "assignments": ["rubric", "item_id", "annotator", "claimed_at", "lease_until"],
    "drafts": ["rubric", "annotator", "item_id", "tags", "comment", "updated_at"],
    "settings": ["key", "value"],
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pragma(repo: Repository, name: str) -> object:
    return repo.conn.execute(f"PRAGMA {name}").fetchone()[0]


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_exact_columns_after_migrating_an_empty_file(repo: Repository, table: str) -> None:
    assert repo.columns(table) == COLUMNS[table]


def test_every_table_is_there(repo: Repository) -> None:
    assert set(COLUMNS) <= set(repo.tables())


def test_schema_version(repo: Repository) -> None:
    assert SCHEMA_VERSION >= 1
    assert pragma(repo, "user_version") == SCHEMA_VERSION
    assert repo.schema_version() == SCHEMA_VERSION


def test_connection_pragmas(repo: Repository) -> None:
    assert str(pragma(repo, "journal_mode")).lower() == "wal"
    assert pragma(repo, "foreign_keys") == 1
    assert pragma(repo, "busy_timeout") == BUSY_TIMEOUT_MS
    assert BUSY_TIMEOUT_MS >= 1000
    assert pragma(repo, "synchronous") == 2  # FULL: a commit is on disk when it returns


def test_an_existing_empty_sqlite_file_is_migrated(db_path: Path) -> None:
    sqlite3.connect(db_path).close()
    with Repository.open(db_path) as repo:
        assert repo.schema_version() == SCHEMA_VERSION
        assert repo.columns("labels") == COLUMNS["labels"]


def test_a_version_1_file_with_labels_migrates_forward(db_path: Path) -> None:
    """A database written before calibration existed keeps every label and gains the new schema."""
    from tui_annotate.store.migrations import m001_initial

    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN")
    m001_initial(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO items (external_id, content_hash, rank, output, imported_at)"
        " VALUES ('x', 'h', 1, 'out', 'now')"
    )
    conn.execute(
        "INSERT INTO rubrics (name, version, content_hash, toml, registered_at)"
        " VALUES ('r', '1.0.0', 'c', '', 'now')"
    )
    conn.execute(
        "INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score, created_at)"
        " VALUES (1, 'r', '1.0.0', 'ana', 'rate', 4, 'now')"
    )
    conn.execute("COMMIT")
    conn.close()
    with Repository.open(db_path) as repo:
        assert repo.schema_version() == SCHEMA_VERSION
        assert repo.columns("labels") == COLUMNS["labels"]
        (event,) = repo.events()
        assert (event.annotator, event.score) == ("ana", 4)
        assert repo.current_label(1, "r", "ana") is not None


def test_reopening_keeps_data_and_version(db_path: Path) -> None:
    with Repository.open(db_path) as repo:
        repo.set_setting("show_prompt_version", "true")
    with Repository.open(db_path) as repo:
        assert repo.schema_version() == SCHEMA_VERSION
        assert repo.get_setting("show_prompt_version") == "true"


def test_wal_is_on_disk(db_path: Path) -> None:
    Repository.open(db_path).close()
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


# -- refused files ----------------------------------------------------------------------------


def _set_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA user_version = {version}")
        conn.commit()
    finally:
        conn.close()


def test_newer_database_is_refused_and_untouched(db_path: Path) -> None:
    with Repository.open(db_path) as repo:
        repo.set_setting("k", "v")
    _set_version(db_path, SCHEMA_VERSION + 1)
    before = sha256(db_path)
    siblings = sorted(os.listdir(db_path.parent))
    with pytest.raises(StoreError, match="newer") as info:
        Repository.open(db_path)
    assert str(db_path) in str(info.value)
    assert sha256(db_path) == before
    assert sorted(os.listdir(db_path.parent)) == siblings
    with pytest.raises(StoreError, match="newer"):
        Repository.open(db_path, readonly=True)
    assert sha256(db_path) == before


def test_newer_rollback_journal_database_is_not_switched_to_wal(db_path: Path) -> None:
    """A file a newer version wrote in another journal mode must not be converted either."""
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("INSERT INTO future VALUES (1)")
    conn.execute("PRAGMA user_version = 1000")
    conn.commit()
    conn.close()
    before = sha256(db_path)
    with pytest.raises(StoreError, match="newer"):
        Repository.open(db_path)
    assert sha256(db_path) == before
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_random_bytes_are_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(bytes(range(256)) * 64)
    before = sha256(path)
    with pytest.raises(StoreError) as info:
        Repository.open(path)
    assert str(path) in str(info.value)
    assert sha256(path) == before


def test_a_text_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"output": "x"}\n' * 200, "utf-8")
    with pytest.raises(StoreError):
        Repository.open(path)


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    folder = tmp_path / "project.db"
    folder.mkdir()
    with pytest.raises(StoreError, match="directory"):
        Repository.open(folder)
    with pytest.raises(StoreError, match="directory"):
        Repository.open(folder, readonly=True)


def test_missing_parent_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        Repository.open(tmp_path / "no" / "such" / "dir.db")
    assert not (tmp_path / "no").exists()


def test_read_only_open_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no such database"):
        Repository.open(path, readonly=True)
    assert not path.exists()


def test_read_only_open_of_an_unmigrated_file(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    with pytest.raises(StoreError, match="migrat"):
        Repository.open(path, readonly=True)


def test_read_only_open_reads(db_path: Path) -> None:
    with Repository.open(db_path) as repo:
        repo.set_setting("k", "v")
    with Repository.open(db_path, readonly=True) as ro:
        assert ro.get_setting("k") == "v"
        assert ro.columns("items") == COLUMNS["items"]


def test_writing_through_a_read_only_repository_is_a_store_error(db_path: Path) -> None:
    """A write that can't happen must surface as a StoreError (a message), not a raw sqlite3 error."""
    Repository.open(db_path).close()
    with (
        Repository.open(db_path, readonly=True) as ro,
        pytest.raises(StoreError, match="read-only"),
    ):
        ro.set_setting("k", "v")


@pytest.mark.parametrize("name", ["proj#1.db", "what?.db", "100%25.db", "with space.db"])
def test_read_only_open_with_uri_characters_in_the_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with Repository.open(path) as repo:
        repo.set_setting("k", name)
    with Repository.open(path, readonly=True) as ro:
        assert ro.get_setting("k") == name


def test_another_apps_sqlite_database_is_refused_and_untouched(tmp_path: Path) -> None:
    """A --db pointed at some other SQLite file must not get our tables or be switched to WAL."""
    path = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = sha256(path)
    with pytest.raises(StoreError):
        Repository.open(path)
    assert sha256(path) == before
