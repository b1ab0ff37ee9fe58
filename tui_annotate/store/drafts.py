"""Drafts: the tags and comment an annotator typed on an item before rating it, kept across restarts."""

from __future__ import annotations

import json

from tui_annotate.core.clock import now
from tui_annotate.core.models import Draft
from tui_annotate.store.connection import Connection


class DraftStore:
    """One draft per (rubric, annotator, item); a rating that says so clears it (store/labels.py)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def save(self, item_id: int, rubric: str, annotator: str, draft: Draft) -> None:
        with self.connection.transaction():
            self.conn.execute(
                "INSERT INTO drafts (rubric, annotator, item_id, tags, comment, updated_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET"
                " tags = excluded.tags, comment = excluded.comment, updated_at = excluded.updated_at",
                (rubric, annotator, item_id, json.dumps(list(draft.tags)), draft.comment, now()),
            )

    def get(self, item_id: int, rubric: str, annotator: str) -> Draft | None:
        row = self.conn.execute(
            "SELECT tags, comment FROM drafts WHERE rubric = ? AND annotator = ? AND item_id = ?",
            (rubric, annotator, item_id),
        ).fetchone()
        return None if row is None else Draft(tuple(json.loads(row[0])), row[1])
