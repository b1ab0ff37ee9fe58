"""SQL for routes: the judge's hard cases put in the human queue, first in line (core/routing.py
decides which; store/queue.py serves them)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from tui_annotate.core.clock import now
from tui_annotate.store.connection import Connection

#: Routes written per transaction (about 110 ms at a million items), and the pause after
#: each in which annotators' saves get in (a waiting writer looks every 2 ms or less).
ROUTE_CHUNK = 5_000
ROUTE_PAUSE = 0.004


def _pause() -> None:
    """Between two transactions of routes: the moment an annotator's save gets in."""
    time.sleep(ROUTE_PAUSE)


class RouteStore:
    """The routes table."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def route(self, rubric: str, model: str, items: Sequence[tuple[int, str]]) -> int:
        """Put items in the human queue (first in line); an item already routed stays as it was.

        In transactions of ROUTE_CHUNK rows with a pause after each, like an import's
        chunks (store/label_publish.py): routing a million judged items in one took the
        write lock for 5.8-7.4 s, and every annotator's save waited behind it (in chunks
        the 450,000 routes take 9.8 s in all instead of 7.4 s). Each route
        stands alone, and a rerun adds only the missing ones, so an interrupted route
        loses nothing. All take the label id of the routing's start as `after_label`.
        """
        last = self.conn.execute("SELECT coalesce(max(id), 0) FROM labels").fetchone()[0]
        stamp = now()
        routed = 0
        for start in range(0, len(items), ROUTE_CHUNK):
            if start:
                _pause()
            with self.connection.transaction():
                cur = self.conn.executemany(
                    "INSERT OR IGNORE INTO routes (rubric, item_id, reason, model, after_label,"
                    " created_at) VALUES (?,?,?,?,?,?)",
                    [
                        (rubric, item, reason, model, last, stamp)
                        for item, reason in items[start : start + ROUTE_CHUNK]
                    ],
                )
            # Rows inserted (a trigger's own writes, the item's rank, don't count).
            routed += max(0, cur.rowcount)
        return routed

    def routes(self, rubric: str) -> dict[int, str]:
        return dict(
            self.conn.execute("SELECT item_id, reason FROM routes WHERE rubric = ?", (rubric,))
        )
