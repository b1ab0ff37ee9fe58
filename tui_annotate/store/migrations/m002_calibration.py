"""Migration 002: calibration rounds, their annotators and items, the golden set, and labels tied to a round."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


def m002_calibration(conn: sqlite3.Connection) -> None:
    """Calibration rounds, their annotators and items, the golden set, and labels tied to a round."""
    run_script(
        conn,
        """
        CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            rubric TEXT NOT NULL,
            rubric_version TEXT NOT NULL,
            rubric_major INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            source TEXT NOT NULL CHECK (source IN ('sample', 'golden')),
            seed INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            closed_at TEXT,
            verdict TEXT CHECK (verdict IN ('pass', 'tentative', 'fail', 'undefined')),
            alpha REAL,
            -- the whole result as computed at close: alpha, CI, diagnostics, thresholds
            result TEXT NOT NULL DEFAULT '{}',
            FOREIGN KEY (rubric, rubric_version) REFERENCES rubrics (name, version)
        );
        CREATE INDEX rounds_by_rubric ON rounds (rubric, status);

        CREATE TABLE round_annotators (
            round_id INTEGER NOT NULL REFERENCES rounds (id),
            annotator TEXT NOT NULL,
            PRIMARY KEY (round_id, annotator)
        ) WITHOUT ROWID;

        CREATE TABLE round_items (
            round_id INTEGER NOT NULL REFERENCES rounds (id),
            item_id INTEGER NOT NULL REFERENCES items (id),
            position INTEGER NOT NULL,
            PRIMARY KEY (round_id, item_id)
        ) WITHOUT ROWID;
        CREATE INDEX round_items_by_item ON round_items (item_id);

        -- Adjudicated labels: append-only like labels; the latest per item and rubric counts.
        CREATE TABLE golden (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            rubric TEXT NOT NULL,
            rubric_version TEXT NOT NULL,
            score INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            adjudicator TEXT NOT NULL,
            round_id INTEGER REFERENCES rounds (id),
            created_at TEXT NOT NULL,
            FOREIGN KEY (rubric, rubric_version) REFERENCES rubrics (name, version)
        );
        CREATE INDEX golden_by_item ON golden (rubric, item_id, id);
        CREATE TRIGGER golden_append_only_update BEFORE UPDATE ON golden
        BEGIN SELECT RAISE(ABORT, 'golden labels are append-only'); END;
        CREATE TRIGGER golden_append_only_delete BEFORE DELETE ON golden
        BEGIN SELECT RAISE(ABORT, 'golden labels are append-only'); END;

        -- Which round a calibration label belongs to (NULL for live labels).
        ALTER TABLE labels ADD COLUMN round_id INTEGER REFERENCES rounds (id);
        CREATE INDEX labels_by_round ON labels (round_id) WHERE round_id IS NOT NULL;
        """,
    )
