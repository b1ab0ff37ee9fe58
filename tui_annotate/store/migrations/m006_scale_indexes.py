"""Migration 006: indexes that keep every per-item question one seek, at a million items and millions of labels."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


def m006_scale_indexes(conn: sqlite3.Connection) -> None:
    """Indexes that keep every per-item question one seek, at a million items and millions of labels.

    The queue, status and the judge ask per item "did a judge rate it?" and
    "did a person rate it?". The primary key of label_state starts (rubric,
    annotator, …), and on a database never ANALYZEd SQLite preferred its
    `rubric=?` prefix to label_state_by_item: every item then read every
    label of the rubric (56 s for status at 100k items). These partial
    indexes hold exactly the rows those questions are about, keyed by item,
    and the queries name them (INDEXED BY), so the plan can't drift with the
    statistics. `annotator LIKE 'judge:%'` is the same test the queries
    always made, kept word for word so the index applies.
    """
    run_script(
        conn,
        """
        -- annotator and state ride along so the seek never visits the table row.
        CREATE INDEX label_state_judged ON label_state (rubric, item_id, annotator, state)
            WHERE annotator LIKE 'judge:%' AND state = 'rated';
        CREATE INDEX label_state_human ON label_state (rubric, item_id, event_id, annotator, state)
            WHERE annotator NOT LIKE 'judge:%' AND state = 'rated';
        -- Per annotator, per state, in label order: an annotator's done and skipped counts
        -- and latest labels (read on the app's screen thread at start) and status's table
        -- read index entries in order, not every table row and a sort.
        CREATE INDEX label_state_counts ON label_state (rubric, annotator, state, event_id, flagged);
        -- Items in id order, small (on items_all: `items` is its view since m005): a count over every item walks this, and its per-item
        -- seeks into label_state (keyed by item last) then go in order, page after page;
        -- walked by rank (items_rank) they jump at random and ran five times slower.
        CREATE INDEX items_by_id ON items_all (id, rank);
        -- Routed items in the order they are handed out (when routed, then the item's
        -- rank): a claim stops at the first one still wanted, where it judged every route
        -- and sorted them (50k routes from one `route` run: 0.2 s a key). The rank is the
        -- item's, copied by a trigger (an item's rank never changes).
        ALTER TABLE routes ADD COLUMN item_rank INTEGER NOT NULL DEFAULT 0;
        UPDATE routes SET item_rank = (SELECT rank FROM items WHERE items.id = routes.item_id);
        CREATE TRIGGER routes_item_rank AFTER INSERT ON routes
        BEGIN
            UPDATE routes SET item_rank = (SELECT rank FROM items WHERE id = NEW.item_id)
            WHERE rubric = NEW.rubric AND item_id = NEW.item_id;
        END;
        CREATE INDEX routes_by_time ON routes (rubric, created_at, item_rank);
        -- Unlabelled claims only (a label holds its item for good, lease NULL): status's
        -- held/lapsed counts and the claim's "resume what you held" read these few rows,
        -- not one per label the annotator ever made.
        CREATE INDEX assignments_leased ON assignments (rubric, annotator, lease_until)
            WHERE lease_until IS NOT NULL;
        """,
    )
