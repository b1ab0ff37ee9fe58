"""Rubric snapshots: each (name, version) a label was made under, with the TOML it had then."""

from __future__ import annotations

from tui_annotate.core.clock import now
from tui_annotate.store.connection import Connection


class RubricStore:
    """Registers a rubric version once; labels name it by (name, version)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def snapshot_hash(self, name: str, version: str) -> str | None:
        row = self.conn.execute(
            "SELECT content_hash FROM rubrics WHERE name = ? AND version = ?", (name, version)
        ).fetchone()
        return None if row is None else str(row[0])

    def save_snapshot(self, name: str, version: str, content_hash: str, toml: str) -> None:
        with self.connection.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO rubrics (name, version, content_hash, toml, registered_at)"
                " VALUES (?,?,?,?,?)",
                (name, version, content_hash, toml, now()),
            )
