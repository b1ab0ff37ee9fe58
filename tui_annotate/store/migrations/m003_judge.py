"""Migration 003: the LLM judge: its answer cache, every attempt (failed ones too), batches, routing."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


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
