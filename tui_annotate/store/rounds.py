"""SQL for calibration rounds and the golden set (split from repository.py, same rules)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tui_annotate.core.clock import now
from tui_annotate.core.models import GoldenLabel, Round, RoundLabel
from tui_annotate.errors import StoreError
from tui_annotate.store.clauses import shown
from tui_annotate.store.connection import Connection

_ROUND_COLUMNS = (
    "id, rubric, rubric_version, rubric_major, status, source, seed, created_by, created_at,"
    " closed_at, verdict, alpha, result"
)


class RoundStore:
    """Rounds, their annotators and items, round labels and adjudicated (golden) labels."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    # -- rounds -------------------------------------------------------------------

    def create(
        self,
        *,
        rubric: str,
        rubric_version: str,
        rubric_major: int,
        source: str,
        seed: int,
        created_by: str,
        annotators: Sequence[str],
        item_ids: Sequence[int],
    ) -> int:
        with self.connection.transaction():
            cur = self.conn.execute(
                "INSERT INTO rounds (rubric, rubric_version, rubric_major, source, seed,"
                " created_by, created_at) VALUES (?,?,?,?,?,?,?)",
                (rubric, rubric_version, rubric_major, source, seed, created_by, now()),
            )
            round_id = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO round_annotators (round_id, annotator) VALUES (?, ?)",
                [(round_id, a) for a in annotators],
            )
            self.conn.executemany(
                "INSERT INTO round_items (round_id, item_id, position) VALUES (?, ?, ?)",
                [(round_id, item, pos) for pos, item in enumerate(item_ids)],
            )
            return round_id

    def _round(self, row: Sequence[Any]) -> Round:
        annotators = tuple(
            r[0]
            for r in self.conn.execute(
                "SELECT annotator FROM round_annotators WHERE round_id = ? ORDER BY annotator",
                (row[0],),
            )
        )
        items = self.conn.execute(
            "SELECT count(*) FROM round_items WHERE round_id = ?", (row[0],)
        ).fetchone()[0]
        return Round(
            id=row[0],
            rubric=row[1],
            rubric_version=row[2],
            rubric_major=row[3],
            status=row[4],
            source=row[5],
            seed=row[6],
            created_by=row[7],
            created_at=row[8],
            closed_at=row[9],
            verdict=row[10],
            alpha=row[11],
            result=json.loads(row[12]),
            annotators=annotators,
            items=int(items),
        )

    def get(self, round_id: int) -> Round | None:
        row = self.conn.execute(
            f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id = ?", (round_id,)
        ).fetchone()
        return None if row is None else self._round(row)

    def find(self, *, rubric: str | None = None, status: str | None = None) -> list[Round]:
        where, args = [], []
        if rubric is not None:
            where.append("rubric = ?")
            args.append(rubric)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        sql = f"SELECT {_ROUND_COLUMNS} FROM rounds"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [self._round(r) for r in self.conn.execute(sql + " ORDER BY id", args).fetchall()]

    def item_ids(self, round_id: int) -> list[int]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT item_id FROM round_items WHERE round_id = ? ORDER BY position", (round_id,)
            )
        ]

    def round_of_item(self, rubric: str, annotator: str, item_id: int) -> int | None:
        """The open round in which ANNOTATOR is to label ITEM, if any."""
        row = self.conn.execute(
            "SELECT r.id FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
            " JOIN round_annotators ra ON ra.round_id = r.id AND ra.annotator = ?"
            " WHERE ri.item_id = ? AND r.rubric = ? AND r.status = 'open' ORDER BY r.id LIMIT 1",
            (annotator, item_id, rubric),
        ).fetchone()
        return None if row is None else int(row[0])

    def labels(self, round_id: int) -> list[RoundLabel]:
        """The round annotators' current labels on the round's items (whatever the round's state)."""
        return [
            RoundLabel(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4])
            for r in self.conn.execute(
                "SELECT s.item_id, s.annotator, s.score, l.tags, l.comment"
                " FROM rounds r JOIN round_items ri ON ri.round_id = r.id"
                " JOIN round_annotators ra ON ra.round_id = r.id"
                " JOIN label_state s ON s.rubric = r.rubric AND s.annotator = ra.annotator"
                "   AND s.item_id = ri.item_id AND s.state = 'rated'"
                " JOIN labels l ON l.id = s.event_id"
                " WHERE r.id = ? ORDER BY ri.position, s.annotator",
                (round_id,),
            )
        ]

    def progress(self, round_id: int) -> dict[str, int]:
        """Items each round annotator has rated so far."""
        found = self.get(round_id)
        done = dict.fromkeys(found.annotators if found else (), 0)
        for annotator, count in self.conn.execute(
            "SELECT s.annotator, count(*) FROM rounds r JOIN round_items ri ON ri.round_id = r.id"
            " JOIN round_annotators ra ON ra.round_id = r.id"
            " JOIN label_state s ON s.rubric = r.rubric AND s.annotator = ra.annotator"
            "   AND s.item_id = ri.item_id AND s.state = 'rated'"
            f" WHERE r.id = ? AND {shown('s')} GROUP BY s.annotator",
            (round_id,),
        ):
            done[annotator] = int(count)
        return done

    def close(
        self, round_id: int, *, verdict: str, alpha: float | None, result: dict[str, Any]
    ) -> None:
        with self.connection.transaction():
            updated = self.conn.execute(
                "UPDATE rounds SET status = 'closed', closed_at = ?, verdict = ?, alpha = ?,"
                " result = ? WHERE id = ? AND status = 'open'",
                (now(), verdict, alpha, json.dumps(result), round_id),
            ).rowcount
            if updated != 1:
                raise StoreError(f"round {round_id} is not open")

    def candidates(
        self, rubric: str, exclude_annotators: Sequence[str]
    ) -> list[tuple[int, str, str]]:
        """(item, prompt, prompt_version) for items none of EXCLUDE_ANNOTATORS has labelled
        and no open round of RUBRIC holds: the population a round samples from."""
        marks = ",".join("?" * len(exclude_annotators)) or "''"
        return [
            (r[0], r[1], r[2])
            for r in self.conn.execute(
                "SELECT i.id, i.prompt, i.prompt_version FROM items i WHERE NOT EXISTS ("
                "  SELECT 1 FROM label_state s WHERE s.rubric = ? AND s.item_id = i.id"
                f"  AND s.state = 'rated' AND s.annotator IN ({marks}) AND {shown('s')})"
                " AND NOT EXISTS (SELECT 1 FROM round_items ri JOIN rounds r ON r.id = ri.round_id"
                "  WHERE ri.item_id = i.id AND r.status = 'open' AND r.rubric = ?)"
                " ORDER BY i.id",
                [rubric, *exclude_annotators, rubric],
            )
        ]

    # -- the golden set -----------------------------------------------------------

    def add_golden(
        self,
        *,
        item_id: int,
        rubric: str,
        rubric_version: str,
        score: int,
        note: str,
        adjudicator: str,
        round_id: int | None,
    ) -> int:
        with self.connection.transaction():
            cur = self.conn.execute(
                "INSERT INTO golden (item_id, rubric, rubric_version, score, note, adjudicator,"
                " round_id, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (item_id, rubric, rubric_version, score, note, adjudicator, round_id, now()),
            )
            return int(cur.lastrowid or 0)

    def golden(self, rubric: str) -> dict[int, GoldenLabel]:
        """The current (latest) adjudicated label per item."""
        out: dict[int, GoldenLabel] = {}
        for r in self.conn.execute(
            "SELECT item_id, rubric, rubric_version, score, note, adjudicator, round_id, created_at"
            " FROM golden WHERE rubric = ? ORDER BY id",
            (rubric,),
        ):
            out[r[0]] = GoldenLabel(*r)
        return out
