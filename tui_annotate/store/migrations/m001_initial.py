"""Migration 001: items, rubric snapshots, the append-only label log and what is derived from it."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


def m001_initial(conn: sqlite3.Connection) -> None:
    """Items, rubric snapshots, the append-only label log and what is derived from it."""
    run_script(
        conn,
        """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            external_id TEXT NOT NULL UNIQUE,
            -- sha256 over the item's content: re-importing the same item is a no-op
            content_hash TEXT NOT NULL UNIQUE,
            -- a random position derived from content_hash: the queue's shuffled order
            rank INTEGER NOT NULL,
            input TEXT NOT NULL DEFAULT '',
            output TEXT NOT NULL,
            context TEXT NOT NULL DEFAULT '',
            prompt TEXT NOT NULL DEFAULT '',
            prompt_version TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'batch' CHECK (source IN ('batch', 'live')),
            metadata TEXT NOT NULL DEFAULT '{}',
            -- where it came from: the file and line it was imported from, and when
            import_file TEXT NOT NULL DEFAULT '',
            import_line INTEGER NOT NULL DEFAULT 0,
            imported_at TEXT NOT NULL
        );
        CREATE INDEX items_rank ON items (rank);

        -- The exact rubric text each label was made under.
        CREATE TABLE rubrics (
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            toml TEXT NOT NULL,
            registered_at TEXT NOT NULL,
            PRIMARY KEY (name, version)
        );

        -- Append-only: a re-rating, an undo or a skip is a new row.
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            rubric TEXT NOT NULL,
            rubric_version TEXT NOT NULL,
            annotator TEXT NOT NULL,
            kind TEXT NOT NULL
                CHECK (kind IN ('rate', 'retract', 'skip', 'flag', 'unflag')),
            score INTEGER,
            tags TEXT NOT NULL DEFAULT '[]',
            comment TEXT NOT NULL DEFAULT '',
            seconds REAL NOT NULL DEFAULT 0,
            calibration INTEGER NOT NULL DEFAULT 0,
            meta TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            FOREIGN KEY (rubric, rubric_version) REFERENCES rubrics (name, version),
            CHECK ((kind = 'rate') = (score IS NOT NULL))
        );
        CREATE INDEX labels_by_item ON labels (item_id, rubric, annotator);
        CREATE INDEX labels_by_annotator ON labels (rubric, annotator, id);

        CREATE TRIGGER labels_append_only_update BEFORE UPDATE ON labels
        BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
        CREATE TRIGGER labels_append_only_delete BEFORE DELETE ON labels
        BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;

        -- Derived from labels by the triggers below, in the same transaction:
        -- each annotator's current state per item, so the queue needs no scan
        -- of the log. It can be rebuilt from labels at any time.
        CREATE TABLE label_state (
            rubric TEXT NOT NULL,
            annotator TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items (id),
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'rated', 'skipped')),
            score INTEGER,
            event_id INTEGER,
            flagged INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (rubric, annotator, item_id)
        ) WITHOUT ROWID;
        CREATE INDEX label_state_by_item ON label_state (rubric, item_id);

        CREATE TRIGGER labels_derive_state AFTER INSERT ON labels
        WHEN NEW.kind IN ('rate', 'retract', 'skip')
        BEGIN
            INSERT INTO label_state (rubric, annotator, item_id, state, score, event_id)
            VALUES (
                NEW.rubric, NEW.annotator, NEW.item_id,
                CASE NEW.kind WHEN 'rate' THEN 'rated' WHEN 'skip' THEN 'skipped' ELSE 'open' END,
                NEW.score, NEW.id
            )
            ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET
                state = excluded.state, score = excluded.score, event_id = excluded.event_id;
        END;
        CREATE TRIGGER labels_derive_flag AFTER INSERT ON labels
        WHEN NEW.kind IN ('flag', 'unflag')
        BEGIN
            INSERT INTO label_state (rubric, annotator, item_id, flagged)
            VALUES (NEW.rubric, NEW.annotator, NEW.item_id, NEW.kind = 'flag')
            ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET flagged = excluded.flagged;
        END;

        -- Who was handed which item: the overlap limit counts these.
        CREATE TABLE assignments (
            rubric TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items (id),
            annotator TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            PRIMARY KEY (rubric, item_id, annotator)
        ) WITHOUT ROWID;
        CREATE INDEX assignments_by_annotator ON assignments (rubric, annotator, claimed_at);

        -- Tags and comments typed before the rating key: kept so nothing typed is lost.
        CREATE TABLE drafts (
            rubric TEXT NOT NULL,
            annotator TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items (id),
            tags TEXT NOT NULL DEFAULT '[]',
            comment TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (rubric, annotator, item_id)
        ) WITHOUT ROWID;

        -- Project settings a lead can change (e.g. show_prompt_version).
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )
