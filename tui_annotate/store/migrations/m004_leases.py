"""Migration 004: leases on claims: an item held by an annotator who vanished goes to someone else."""

from __future__ import annotations

import sqlite3

from tui_annotate.store.migrations.script import run_script


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
