"""Migration 010: live mode, where a follower remembers how far it read and keeps bad lines."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


def m010_live(conn: sqlite3.Connection) -> None:
    """Offsets of followed log files, the quarantine of bad live lines, drift alert state.

    `follow_offsets`: per file, identified by (device, inode, hash of its first
    line) so that a rename keeps the identity and a copy-and-truncate starts a
    new one, the byte offset and line number imported up to. It is written in
    the same transaction as the items those bytes held, so after a crash the
    offset and the items agree and no line is imported twice or lost.
    `quarantine`: a bad line of a followed log, kept with everything needed to
    find it and retry it (file, line, byte offset, reason, the raw text);
    `status` counts the open ones. `drift_alerts`: the last state of each
    (prompt, rubric, source) drift check, so that repeated runs say new,
    ongoing or cleared (hysteresis needs the previous state).
    """
    run_script(
        conn,
        """
        CREATE TABLE follow_offsets (
            device INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            head_hash TEXT NOT NULL,
            -- where the file was last seen, for messages and to look for its copy
            path TEXT NOT NULL,
            byte_offset INTEGER NOT NULL,
            line INTEGER NOT NULL,
            -- a hash of the bytes just before the offset: a copy must hold them too
            tail_hash TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (device, inode, head_hash)
        ) WITHOUT ROWID;
        CREATE INDEX follow_offsets_by_head ON follow_offsets (head_hash);
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            file TEXT NOT NULL,
            line INTEGER NOT NULL,
            byte_offset INTEGER NOT NULL,
            reason TEXT NOT NULL,
            field TEXT,
            raw TEXT NOT NULL,
            created_at TEXT NOT NULL,
            -- open: still to fix; imported: a retry imported it (item_id); the retry count
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'imported')),
            item_id INTEGER,
            retries INTEGER NOT NULL DEFAULT 0,
            retried_at TEXT
        );
        CREATE INDEX quarantine_open ON quarantine (status, id);
        CREATE TABLE drift_alerts (
            prompt TEXT NOT NULL,
            rubric TEXT NOT NULL,
            source TEXT NOT NULL,
            active INTEGER NOT NULL,
            checks INTEGER NOT NULL DEFAULT 0,
            since TEXT,
            checked_at TEXT NOT NULL,
            PRIMARY KEY (prompt, rubric, source)
        ) WITHOUT ROWID;
        """,
    )
