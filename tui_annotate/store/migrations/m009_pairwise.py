"""Migration 009: pairwise A/B tasks, their pairs, claims on pairs and the append-only vote log."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


def m009_pairwise(conn: sqlite3.Connection) -> None:
    """Tasks, pairs, pair claims and votes for blind side-by-side comparison (issue 14).

    A task fixes the prompt, the versions (in `--versions` order, a JSON list),
    the seed, the overlap and the named annotators (a JSON list; empty: open
    to whoever opens the task). Its pairs are drawn once, at start, and keep
    their order (`position`); `version_a` is the version listed first, and
    `a_left` the seeded base side: which version the first annotator of the
    pair sees on the left (the next one sees it mirrored).

    Votes are events, like labels: a vote, a skip or an undo appends a row
    and nothing is ever updated or deleted (triggers refuse it). The choice
    is stored relative to the versions (a, b, tie, both_bad) with the side
    shown (`left`: 'a' or 'b'), so position bias can be measured. The current
    vote of an annotator on a pair is their latest event; an undo leaves none.

    `pairwise_claims` is `assignments` for pairs: a lease while the pair is
    on screen, held for good (`lease_until` NULL) once voted; it also keeps
    the side the annotator was given, so a pair reopened shows the same way.
    """
    run_script(
        conn,
        """
        CREATE TABLE pairwise_tasks (
            id INTEGER PRIMARY KEY,
            prompt TEXT NOT NULL,
            versions TEXT NOT NULL,
            rubric TEXT NOT NULL DEFAULT '',
            seed INTEGER NOT NULL,
            overlap INTEGER NOT NULL DEFAULT 1,
            annotators TEXT NOT NULL DEFAULT '[]',
            skipped_identical INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE pairwise_pairs (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES pairwise_tasks(id),
            position INTEGER NOT NULL,
            case_key TEXT NOT NULL,
            version_a TEXT NOT NULL,
            version_b TEXT NOT NULL,
            item_a INTEGER NOT NULL REFERENCES items_all(id),
            item_b INTEGER NOT NULL REFERENCES items_all(id),
            a_left INTEGER NOT NULL CHECK (a_left IN (0, 1)),
            UNIQUE (task_id, position)
        );
        CREATE TABLE pairwise_claims (
            pair_id INTEGER NOT NULL REFERENCES pairwise_pairs(id),
            annotator TEXT NOT NULL,
            task_id INTEGER NOT NULL REFERENCES pairwise_tasks(id),
            left TEXT NOT NULL CHECK (left IN ('a', 'b')),
            claimed_at TEXT NOT NULL,
            lease_until TEXT,
            PRIMARY KEY (pair_id, annotator)
        );
        CREATE INDEX pairwise_claims_by_task ON pairwise_claims (task_id, annotator);
        CREATE TABLE pairwise_votes (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES pairwise_tasks(id),
            pair_id INTEGER NOT NULL REFERENCES pairwise_pairs(id),
            annotator TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('vote', 'skip', 'undo')),
            choice TEXT CHECK (choice IN ('a', 'b', 'tie', 'both_bad')),
            left TEXT NOT NULL CHECK (left IN ('a', 'b')),
            tags TEXT NOT NULL DEFAULT '[]',
            comment TEXT NOT NULL DEFAULT '',
            seconds REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            CHECK ((kind = 'vote') = (choice IS NOT NULL))
        );
        CREATE INDEX pairwise_votes_by_pair ON pairwise_votes (task_id, pair_id, annotator, id);
        CREATE TRIGGER pairwise_votes_append_only_update BEFORE UPDATE ON pairwise_votes
        BEGIN SELECT RAISE(ABORT, 'pairwise votes are append-only'); END;
        CREATE TRIGGER pairwise_votes_append_only_delete BEFORE DELETE ON pairwise_votes
        BEGIN SELECT RAISE(ABORT, 'pairwise votes are append-only'); END;
        """,
    )
