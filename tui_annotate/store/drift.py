"""SQL for drift checks: the stored alert state per (prompt, rubric, source), for hysteresis,
and the live ratings of a window's double-labelled items (agreement drift)."""

from __future__ import annotations

from collections.abc import Sequence

from tui_annotate.core.names import JUDGE_PREFIX
from tui_annotate.core.results.drift import AlertState
from tui_annotate.store.connection import Connection


class DriftStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def state(self, prompt: str, rubric: str, source: str) -> AlertState:
        row = self.conn.execute(
            "SELECT active, checks, since, checked_at FROM drift_alerts"
            " WHERE prompt = ? AND rubric = ? AND source = ?",
            (prompt, rubric, source),
        ).fetchone()
        if row is None:
            return AlertState()
        return AlertState(bool(row[0]), int(row[1]), row[2], row[3])

    def save(self, prompt: str, rubric: str, source: str, state: AlertState, at: str) -> None:
        with self.connection.transaction():
            self.conn.execute(
                "INSERT INTO drift_alerts (prompt, rubric, source, active, checks, since,"
                " checked_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (prompt, rubric, source)"
                " DO UPDATE SET active = excluded.active, checks = excluded.checks,"
                " since = excluded.since, checked_at = excluded.checked_at",
                (prompt, rubric, source, int(state.active), state.checks, state.since, at),
            )

    def live_ratings(
        self, rubric: str, item_ids: Sequence[int]
    ) -> dict[str, list[tuple[int, int]]]:
        """People's current live ratings (no calibration round's) on ITEM_IDS, by annotator.

        By item along label_state_by_item: a drift window's double-labelled items
        are few, so this reads those, not every label of every annotator.
        """
        found: dict[str, list[tuple[int, int]]] = {}
        ids = sorted(set(item_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for annotator, item, score in self.conn.execute(
                "SELECT s.annotator, s.item_id, s.score FROM label_state s"
                " INDEXED BY label_state_by_item JOIN labels l ON l.id = s.event_id"
                f" WHERE s.rubric = ? AND s.item_id IN ({marks}) AND s.state = 'rated'"
                f" AND s.annotator NOT LIKE '{JUDGE_PREFIX}%' AND l.round_id IS NULL",
                (rubric, *chunk),
            ):
                found.setdefault(str(annotator), []).append((int(item), int(score)))
        return found

    def window_items(self, since: str, until: str, prompt: str | None = None) -> list[int]:
        """Ids of the items that happened after SINCE and up to UNTIL ('YYYY-MM-DDTHH:MM:SS',
        UTC), of PROMPT if given: by the log's `timestamp`, else `imported_at`, to the
        second, as drift's windows count them (store/decide_items.py)."""
        sql = (
            "SELECT id FROM items WHERE substr(CASE WHEN logged_at != '' THEN logged_at"
            " ELSE imported_at END, 1, 19) > ? AND substr(CASE WHEN logged_at != ''"
            " THEN logged_at ELSE imported_at END, 1, 19) <= ?"
        )
        args: list[str] = [since, until]
        if prompt is not None:
            sql += " AND prompt = ?"
            args.append(prompt)
        return [int(r[0]) for r in self.conn.execute(sql, args)]
