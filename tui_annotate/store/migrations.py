"""Schema changes, one function each, applied in order; never edit one once released."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute SQL statements one by one; unlike executescript, this never commits."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")


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


def m003_judge(conn: sqlite3.Connection) -> None:
    """The LLM judge: its answer cache, every attempt (failed ones too), batches, routing."""
    run_script(
        conn,
        """
        -- A successful answer per (model, prompt hash): a re-run asks nothing twice.
        CREATE TABLE judge_cache (
            model TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            answer TEXT NOT NULL,           -- the parsed judgement and its measurements, JSON
            created_at TEXT NOT NULL,
            PRIMARY KEY (model, prompt_hash)
        ) WITHOUT ROWID;

        -- Every request's outcome, append-only; failed answers keep their raw text.
        CREATE TABLE judge_attempts (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            rubric TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'invalid', 'error')),
            error TEXT NOT NULL DEFAULT '',
            raw TEXT NOT NULL DEFAULT '',
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            latency_ms REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE INDEX judge_attempts_by_item ON judge_attempts (rubric, model, item_id);

        -- Batch API runs, resumable by id.
        CREATE TABLE judge_batches (
            id TEXT PRIMARY KEY,
            rubric TEXT NOT NULL,
            rubric_version TEXT NOT NULL,
            model TEXT NOT NULL,
            status TEXT NOT NULL,
            requests TEXT NOT NULL,         -- custom_id -> [item_id, prompt_hash], JSON
            output_file_id TEXT,
            created_at TEXT NOT NULL,
            finished_at TEXT
        );

        -- Items the judge hands to people: low confidence, disagreement, or a check sample.
        CREATE TABLE routes (
            rubric TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items (id),
            reason TEXT NOT NULL CHECK (reason IN ('low_confidence', 'disagreement', 'sample')),
            model TEXT NOT NULL,
            -- labels.id when routed: a human label with a higher id is the opinion asked for
            after_label INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            PRIMARY KEY (rubric, item_id)
        ) WITHOUT ROWID;
        """,
    )


def m004_leases(conn: sqlite3.Connection) -> None:
    """Leases on claims: an item held by an annotator who vanished goes to someone else.

    `lease_until` NULL means held for good (the annotator labelled it, or the
    label came from elsewhere); a time means held while the annotator's app
    keeps renewing it. Claims made before leases existed and not yet labelled
    start expired: their owners get them back on return unless someone else
    took them first.
    """
    run_script(
        conn,
        """
        ALTER TABLE assignments ADD COLUMN lease_until TEXT;
        UPDATE assignments SET lease_until = claimed_at WHERE NOT EXISTS (
            SELECT 1 FROM label_state s WHERE s.rubric = assignments.rubric
            AND s.annotator = assignments.annotator AND s.item_id = assignments.item_id
            AND s.state != 'open');
        """,
    )


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


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    m001_initial,
    m002_calibration,
    m003_judge,
    m004_leases,
    m005_import_visibility,
    m006_scale_indexes,
]

#: The schema version a database has after every migration here.
SCHEMA_VERSION = len(MIGRATIONS)
