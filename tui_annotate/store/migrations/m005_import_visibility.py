"""Migration 005: imports commit in short chunks that nobody sees until the last one is in."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


def m005_import_visibility(conn: sqlite3.Connection) -> None:
    """Imports commit in short chunks that nobody sees until the last one is in.

    The rows live in `items_all`; `items` is a view of those at or below the
    visibility watermark, so every query that reads `items` is unchanged and
    SQLite flattens the view into a rowid range. An import writes above the
    watermark, chunk by chunk, and moves the watermark in one tiny transaction
    at the end; rows above it belong to an import that never finished and are
    deleted by the next import before it writes (store/item_import.py). Which
    import runs is recorded here too, so that imports take turns
    (store/import_lock.py).
    RENAME rewrites the foreign keys of labels, assignments and the rest to
    `items_all`. Indexes on items now go on `items_all`: a view takes none.
    """
    run_script(
        conn,
        """
        ALTER TABLE items RENAME TO items_all;
        CREATE TABLE import_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            -- items with an id at or below this are visible; above it, an import in progress
            visible_up_to INTEGER NOT NULL,
            -- the import running now (one at a time): its host, pid and process start
            importer_host TEXT,
            importer_pid INTEGER,
            importer_since INTEGER
        );
        INSERT INTO import_state (id, visible_up_to)
            SELECT 1, coalesce(max(id), 0) FROM items_all;
        CREATE VIEW items AS
            SELECT * FROM items_all WHERE id <= (SELECT visible_up_to FROM import_state);

        -- A row written straight into `items` (a tool, a test's fixture, a bench's
        -- generator) lands in items_all and is visible at once, unless an import runs
        -- (importer_pid set): then it shows when that import publishes, or goes with
        -- that import's rows if it never does.
        CREATE TRIGGER items_insert INSTEAD OF INSERT ON items
        BEGIN
            INSERT INTO items_all (id, external_id, content_hash, rank, input, output,
                context, prompt, prompt_version, source, metadata, import_file, import_line,
                imported_at)
            VALUES (NEW.id, NEW.external_id, NEW.content_hash, NEW.rank,
                coalesce(NEW.input, ''), NEW.output, coalesce(NEW.context, ''),
                coalesce(NEW.prompt, ''), coalesce(NEW.prompt_version, ''),
                coalesce(NEW.source, 'batch'), coalesce(NEW.metadata, '{}'),
                coalesce(NEW.import_file, ''), coalesce(NEW.import_line, 0), NEW.imported_at);
            UPDATE import_state SET visible_up_to = (SELECT max(id) FROM items_all)
                WHERE importer_pid IS NULL;
        END;
        """,
    )
