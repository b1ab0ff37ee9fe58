"""Label reads: the event log, each annotator's current labels, and the rounds' blind spots.

Every read here returns models or plain tuples, never row dicts. A label
made in an open calibration round is held back from the reads that feed
agreement and reports until the round closes (the round is blind).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from tui_annotate.core.models import CurrentLabel, LabelEvent
from tui_annotate.core.names import JUDGE_PREFIX
from tui_annotate.store.clauses import shown
from tui_annotate.store.connection import Connection

#: The label (alias l) is no open calibration round's of the rubric (bound as {rubric}):
#: those are blind until the round closes. Uncorrelated: the open rounds' ids are read
#: once, not once per label.
_NOT_OPEN_ROUNDS = (
    " AND (l.round_id IS NULL OR l.round_id NOT IN"
    "   (SELECT id FROM rounds WHERE rubric = {rubric} AND status = 'open'))"
)


class LabelReads:
    """What has been labelled, by whom, as it stands now."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def events(
        self, *, rubric: str | None = None, annotator: str | None = None
    ) -> list[LabelEvent]:
        where, args = [], []
        if rubric is not None:
            where.append("rubric = ?")
            args.append(rubric)
        if annotator is not None:
            where.append("annotator = ?")
            args.append(annotator)
        sql = (
            "SELECT id, item_id, rubric, rubric_version, annotator, kind, score, tags, comment,"
            " seconds, created_at, calibration FROM labels"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_event(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def current_label(self, item_id: int, rubric: str, annotator: str) -> CurrentLabel | None:
        row = self.conn.execute(
            "SELECT l.item_id, l.annotator, l.score, l.tags, l.comment, l.rubric_version,"
            " l.created_at FROM label_state s JOIN labels l ON l.id = s.event_id"
            " WHERE s.rubric = ? AND s.annotator = ? AND s.item_id = ? AND s.state = 'rated'",
            (rubric, annotator, item_id),
        ).fetchone()
        if row is None:
            return None
        return CurrentLabel(
            row[0], row[1], row[2], tuple(json.loads(row[3])), row[4], row[5], row[6]
        )

    def is_flagged(self, item_id: int, rubric: str, annotator: str) -> bool:
        row = self.conn.execute(
            "SELECT flagged FROM label_state WHERE rubric = ? AND annotator = ? AND item_id = ?",
            (rubric, annotator, item_id),
        ).fetchone()
        return bool(row and row[0])

    def recent_rated(self, rubric: str, annotator: str, limit: int) -> list[int]:
        """The annotator's most recently rated items, oldest first (for undo after a restart)."""
        rows = self.conn.execute(
            "SELECT item_id FROM label_state INDEXED BY label_state_counts WHERE rubric = ?"
            f" AND annotator = ? AND state = 'rated' AND {shown('label_state')}"
            " ORDER BY event_id DESC LIMIT ?",
            (rubric, annotator, limit),
        ).fetchall()
        return [r[0] for r in reversed(rows)]

    def current_labels(
        self,
        rubric: str,
        *,
        humans_only: bool = True,
        live_only: bool = False,
        annotators: Sequence[str] | None = None,
    ) -> list[CurrentLabel]:
        """Every annotator's current label on RUBRIC, ordered by item.

        Labels made in an open calibration round are never returned: the round
        is blind until it closes. Other labels on its items (made before the
        round, by people outside it) are, so opening a round drops nothing
        else; `open_round_labels` counts what was held back. LIVE_ONLY leaves
        out every calibration label.
        """
        sql = (
            "SELECT l.item_id, l.annotator, l.score, l.tags, l.comment, l.rubric_version,"
            " l.created_at FROM label_state s JOIN labels l ON l.id = s.event_id"
            " WHERE s.rubric = ? AND s.state = 'rated'" + _NOT_OPEN_ROUNDS.format(rubric="?")
        )
        args: list[Any] = [rubric, rubric]
        sql, args = _label_filters(sql, args, humans_only=humans_only, annotators=annotators)
        if live_only:
            sql += " AND l.round_id IS NULL"
        return [
            CurrentLabel(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6])
            for r in self.conn.execute(sql + " ORDER BY s.item_id, s.annotator", args)
        ]

    def open_round_labels(
        self,
        rubric: str,
        *,
        humans_only: bool = True,
        annotators: Sequence[str] | None = None,
    ) -> dict[int, int]:
        """{open round id: its current labels} on RUBRIC: what current_labels holds back.

        Walks the open rounds' items (few), not the rubric's labels (many).
        CROSS JOIN and INDEXED BY fix that plan: without statistics the planner
        scans the rubric's whole label_state instead.
        """
        sql = (
            "SELECT r.id, count(*) FROM rounds r CROSS JOIN round_items ri"
            " CROSS JOIN label_state s INDEXED BY label_state_by_item CROSS JOIN labels l"
            " WHERE r.rubric = ? AND r.status = 'open' AND ri.round_id = r.id"
            " AND s.rubric = r.rubric AND s.item_id = ri.item_id AND s.state = 'rated'"
            " AND l.id = s.event_id AND l.round_id = r.id"
        )
        sql, args = _label_filters(sql, [rubric], humans_only=humans_only, annotators=annotators)
        return {
            int(r[0]): int(r[1])
            for r in self.conn.execute(sql + " GROUP BY r.id ORDER BY r.id", args)
        }

    def rating_chunks(
        self, rubric: str, annotator: str, *, live_only: bool = False, size: int = 65_536
    ) -> Iterator[list[tuple[int, int]]]:
        """(item_id, score) of a person's current ratings on RUBRIC, in chunks, by item.

        The rows current_labels gives for one human annotator (an open round's
        own labels left out: blind), without an object per label: agreement over
        millions of labels builds its arrays straight from these.
        """
        # As current_labels: an open round's own labels are held back, nothing else.
        # Their round is on the label row, so it is joined only when a round is open.
        open_rounds = self.conn.execute(
            "SELECT 1 FROM rounds WHERE rubric = ? AND status = 'open' LIMIT 1", (rubric,)
        ).fetchone()
        join = live_only or open_rounds is not None
        sql = (
            "SELECT s.item_id, s.score FROM label_state s"
            + (" JOIN labels l ON l.id = s.event_id" if join else "")
            + " WHERE s.rubric = :rubric AND s.annotator = :annotator AND s.state = 'rated'"
            f" AND s.annotator NOT LIKE '{JUDGE_PREFIX}%'"
            # Joined to the `labels` view, a pending label's state is left out already.
            + ("" if join else f" AND {shown('s')}")
            + (_NOT_OPEN_ROUNDS.format(rubric=":rubric") if open_rounds is not None else "")
            + (" AND l.round_id IS NULL" if live_only else "")
            + " ORDER BY s.item_id"
        )
        cur = self.conn.execute(sql, {"rubric": rubric, "annotator": annotator})
        while chunk := cur.fetchmany(size):
            yield chunk

    def tagged_chunks(
        self, rubric: str, annotator: str, *, size: int = 65_536
    ) -> Iterator[list[tuple[int, str]]]:
        """(item_id, tags as JSON) of ANNOTATOR's current ratings on RUBRIC that carry tags,
        in chunks, by item: the few labels a tag count needs, not every label as an object.

        The labels current_labels gives (an open round's own labels held back, a pending
        import's left out: joined to the `labels` view), the judge's too.
        """
        cur = self.conn.execute(
            "SELECT s.item_id, l.tags FROM label_state s JOIN labels l ON l.id = s.event_id"
            " WHERE s.rubric = :rubric AND s.annotator = :annotator AND s.state = 'rated'"
            " AND l.tags != '[]'"
            + _NOT_OPEN_ROUNDS.format(rubric=":rubric")
            + " ORDER BY s.item_id",
            {"rubric": rubric, "annotator": annotator},
        )
        while chunk := cur.fetchmany(size):
            yield chunk


def _label_filters(
    sql: str, args: list[Any], *, humans_only: bool, annotators: Sequence[str] | None
) -> tuple[str, list[Any]]:
    """The who-filters current_labels and open_round_labels share (label_state as `s`)."""
    if humans_only:
        sql += f" AND s.annotator NOT LIKE '{JUDGE_PREFIX}%'"
    if annotators is not None:
        sql += f" AND s.annotator IN ({','.join('?' * len(annotators))})"
        args = [*args, *annotators]
    return sql, args


def _event(r: Any) -> LabelEvent:
    """A labels row, in the column order `events` selects, as a LabelEvent."""
    tags = tuple(json.loads(r[7]))
    return LabelEvent(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], tags, r[8], r[9], r[10], bool(r[11])
    )
