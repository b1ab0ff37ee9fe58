"""Migration 008: imported labels go in by short transactions that nobody sees until the last."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script

#: The label ids a running (or crashed) `import-labels` has written and not published:
#: every row from `labels_pending_from` to `labels_pending_to` (none when from > to).
PENDING = (
    "BETWEEN (SELECT labels_pending_from FROM import_state)"
    " AND (SELECT labels_pending_to FROM import_state)"
)


def m008_label_publish(conn: sqlite3.Connection) -> None:
    """Labels live in `labels_all`; `labels` is the view of those not pending.

    An import of labels reserves a range of ids above every label, records
    it in `import_state`, and writes its rows into that range in short
    transactions (store/label_stage.py). The view hides the range, so every
    reader of `labels` is unchanged and sees none of them, and the triggers
    that derive label_state skip them. With each chunk go the label_state
    rows and the claims of the keys the import is the first to label;
    readers leave those out by their label's id and their claim's time
    (store/clauses.py: `shown`, LIVE). One last, small transaction gives the
    keys the file re-rates their new state and empties the range: the file
    shows whole, label_state and claims with it. Annotators' labels,
    appended meanwhile, take ids above the range (a rowid is one past the
    largest) and are seen at once. Rows in the range were never seen, so
    they alone may be deleted (a failed or killed import is cleaned up that
    way); every other label stays append-only. RENAME moves the indexes and
    triggers to `labels_all`; a write into the view lands there through its
    INSTEAD OF trigger, with the columns' defaults, which a view does not
    apply by itself. `label_state_judged` gains the label id, so that
    leaving out a pending row still reads that index alone.
    """
    run_script(
        conn,
        f"""
        ALTER TABLE labels RENAME TO labels_all;
        ALTER TABLE import_state ADD COLUMN labels_pending_from INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE import_state ADD COLUMN labels_pending_to INTEGER NOT NULL DEFAULT 0;
        CREATE VIEW labels AS SELECT * FROM labels_all WHERE id NOT {PENDING};
        CREATE TRIGGER labels_insert INSTEAD OF INSERT ON labels
        BEGIN
            INSERT INTO labels_all (id, item_id, rubric, rubric_version, annotator, kind,
                score, tags, comment, seconds, calibration, meta, created_at, round_id)
            VALUES (NEW.id, NEW.item_id, NEW.rubric, NEW.rubric_version, NEW.annotator,
                NEW.kind, NEW.score, coalesce(NEW.tags, '[]'), coalesce(NEW.comment, ''),
                coalesce(NEW.seconds, 0), coalesce(NEW.calibration, 0),
                coalesce(NEW.meta, '{{}}'), NEW.created_at, NEW.round_id);
        END;
        CREATE TRIGGER labels_view_update INSTEAD OF UPDATE ON labels
        BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
        CREATE TRIGGER labels_view_delete INSTEAD OF DELETE ON labels
        BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;

        DROP TRIGGER labels_derive_state;
        CREATE TRIGGER labels_derive_state AFTER INSERT ON labels_all
        WHEN NEW.kind IN ('rate', 'retract', 'skip') AND NEW.id NOT {PENDING}
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
        DROP TRIGGER labels_derive_flag;
        CREATE TRIGGER labels_derive_flag AFTER INSERT ON labels_all
        WHEN NEW.kind IN ('flag', 'unflag') AND NEW.id NOT {PENDING}
        BEGIN
            INSERT INTO label_state (rubric, annotator, item_id, flagged)
            VALUES (NEW.rubric, NEW.annotator, NEW.item_id, NEW.kind = 'flag')
            ON CONFLICT (rubric, annotator, item_id) DO UPDATE SET flagged = excluded.flagged;
        END;
        -- The pending range's claims (store/label_stage.py): when an import of labels
        -- started, the `claimed_at` of the claims it makes; they don't count until shown.
        ALTER TABLE import_state ADD COLUMN labels_pending_claims TEXT NOT NULL DEFAULT '';
        -- A judge's rating, with the id of its label: readers leave out a pending one
        -- (store/clauses.py) and still read this index alone.
        DROP INDEX label_state_judged;
        CREATE INDEX label_state_judged ON label_state (rubric, item_id, annotator, state, event_id)
            WHERE annotator LIKE 'judge:%' AND state = 'rated';
        DROP TRIGGER labels_append_only_delete;
        CREATE TRIGGER labels_append_only_delete BEFORE DELETE ON labels_all
        WHEN OLD.id NOT {PENDING}
        BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
        """,
    )
