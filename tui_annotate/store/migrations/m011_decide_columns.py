"""Migration 011: what deciding reads of every item, as integers in one covering index."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


def m011_decide_columns(conn: sqlite3.Connection) -> None:
    """Items gain `case_hash` and `happened_at`; `items_by_prompt` holds them too.

    `prompt_table` (every scorecard, comparison, gate, drift check and the
    Decide screen) reads a prompt's items: id, version, case, time. Read as
    text that was most of its time at a million items. Now:
    `case_hash` is the 64-bit hash of the item's case text (core/case_hash.py),
    written by import (store/items.py) and backfilled here; NULL where a
    writer did not set it (rows inserted by hand through the `items` view),
    and the read then hashes those rows' texts itself. `happened_at` is Unix
    seconds of `logged_at`, else `imported_at`, computed by SQLite where the
    row is written (import's INSERT, the view's trigger) and backfilled here;
    NULL where SQLite can't read the time (the read parses those itself). A
    plain column, not a generated one: SQLite (3.40) does not read a virtual
    generated column from an index, so the read would visit every row.
    m007's `items_by_prompt (prompt, prompt_version, id)` is rebuilt, under
    its name, as `(prompt, prompt_version, id, case_hash, happened_at)`: it
    answers every question it answered and covers the read, one range of the
    index and never a row's pages (long outputs). The `items` view and its
    insert trigger are rebuilt with the new column, as m007 did.
    """
    from tui_annotate.core.case_hash import case_hash  # only when migrating

    conn.create_function("m011_case_hash", 1, case_hash, deterministic=True)
    try:
        run_script(
            conn,
            """
            ALTER TABLE items_all ADD COLUMN case_hash INTEGER;
            ALTER TABLE items_all ADD COLUMN happened_at INTEGER;
            UPDATE items_all SET case_hash = m011_case_hash(
                    CASE WHEN case_key != '' THEN case_key ELSE input END),
                happened_at = CAST(strftime('%s', CASE WHEN logged_at != '' THEN logged_at
                                                       ELSE imported_at END) AS INTEGER);
            DROP VIEW items;
            CREATE VIEW items AS
                SELECT * FROM items_all WHERE id <= (SELECT visible_up_to FROM import_state);
            CREATE TRIGGER items_insert INSTEAD OF INSERT ON items
            BEGIN
                INSERT INTO items_all (id, external_id, content_hash, rank, input, output,
                    context, prompt, prompt_version, source, metadata, import_file,
                    import_line, imported_at, case_key, logged_at, case_hash, happened_at)
                VALUES (NEW.id, NEW.external_id, NEW.content_hash, NEW.rank,
                    coalesce(NEW.input, ''), NEW.output, coalesce(NEW.context, ''),
                    coalesce(NEW.prompt, ''), coalesce(NEW.prompt_version, ''),
                    coalesce(NEW.source, 'batch'), coalesce(NEW.metadata, '{}'),
                    coalesce(NEW.import_file, ''), coalesce(NEW.import_line, 0),
                    NEW.imported_at, coalesce(NEW.case_key, ''), coalesce(NEW.logged_at, ''),
                    NEW.case_hash,
                    CAST(strftime('%s', CASE WHEN coalesce(NEW.logged_at, '') != ''
                        THEN NEW.logged_at ELSE NEW.imported_at END) AS INTEGER));
                UPDATE import_state SET visible_up_to = (SELECT max(id) FROM items_all)
                    WHERE importer_pid IS NULL;
            END;
            -- One prompt's items by version, with everything deciding reads of them.
            DROP INDEX items_by_prompt;
            CREATE INDEX items_by_prompt ON items_all
                (prompt, prompt_version, id, case_hash, happened_at);
            """,
        )
    finally:
        conn.create_function("m011_case_hash", 1, None)
