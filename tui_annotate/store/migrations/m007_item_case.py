"""Migration 007: the fields deciding compares on, an item's case and when it happened."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


def m007_item_case(conn: sqlite3.Connection) -> None:
    """Every item gains `case_key` and `logged_at`; prompts and versions get an index.

    `case_key` is the item's `case` field (issue 13): two versions are compared
    on the items of one case; empty means "the same input text is the case".
    `logged_at` is the `timestamp` a production log gave the item (ISO 8601,
    UTC), empty when it had none: drift windows use it, else `imported_at`.
    Both default to '' so every existing row and writer stays valid. The
    `items` view selects `*`, so it shows the new columns; its insert trigger
    names its columns and is rebuilt with them.
    """
    run_script(
        conn,
        """
        ALTER TABLE items_all ADD COLUMN case_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE items_all ADD COLUMN logged_at TEXT NOT NULL DEFAULT '';
        DROP VIEW items;
        CREATE VIEW items AS
            SELECT * FROM items_all WHERE id <= (SELECT visible_up_to FROM import_state);
        CREATE TRIGGER items_insert INSTEAD OF INSERT ON items
        BEGIN
            INSERT INTO items_all (id, external_id, content_hash, rank, input, output,
                context, prompt, prompt_version, source, metadata, import_file, import_line,
                imported_at, case_key, logged_at)
            VALUES (NEW.id, NEW.external_id, NEW.content_hash, NEW.rank,
                coalesce(NEW.input, ''), NEW.output, coalesce(NEW.context, ''),
                coalesce(NEW.prompt, ''), coalesce(NEW.prompt_version, ''),
                coalesce(NEW.source, 'batch'), coalesce(NEW.metadata, '{}'),
                coalesce(NEW.import_file, ''), coalesce(NEW.import_line, 0), NEW.imported_at,
                coalesce(NEW.case_key, ''), coalesce(NEW.logged_at, ''));
            UPDATE import_state SET visible_up_to = (SELECT max(id) FROM items_all)
                WHERE importer_pid IS NULL;
        END;
        -- One prompt's items, by version: what every scorecard, comparison and drift
        -- check reads first.
        CREATE INDEX items_by_prompt ON items_all (prompt, prompt_version, id);
        """,
    )
