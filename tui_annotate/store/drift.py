"""SQL for drift checks: the stored alert state per (prompt, rubric, source), for hysteresis."""

from __future__ import annotations

from tui_annotate.core.live.drift import AlertState
from tui_annotate.store.connection import Connection


class DriftStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def state(self, prompt: str, rubric: str, source: str) -> AlertState:
        row = self.conn.execute(
            "SELECT active, checks, since FROM drift_alerts"
            " WHERE prompt = ? AND rubric = ? AND source = ?",
            (prompt, rubric, source),
        ).fetchone()
        return AlertState() if row is None else AlertState(bool(row[0]), int(row[1]), row[2])

    def save(self, prompt: str, rubric: str, source: str, state: AlertState, at: str) -> None:
        with self.connection.transaction():
            self.conn.execute(
                "INSERT INTO drift_alerts (prompt, rubric, source, active, checks, since,"
                " checked_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (prompt, rubric, source)"
                " DO UPDATE SET active = excluded.active, checks = excluded.checks,"
                " since = excluded.since, checked_at = excluded.checked_at",
                (prompt, rubric, source, int(state.active), state.checks, state.since, at),
            )
