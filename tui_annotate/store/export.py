"""SQL for export: every current label and golden label of a rubric, streamed item by item.

Two ordered queries, read as their cursors go: a million items with three
million labels never sit in memory together, and no per-item query is sent.
Current labels come from label_state through its (rubric, item_id) index,
which already yields them in item order; each item's text and latest golden
label come from a second cursor in the same order, merged label by label.
Labels of an open calibration round stay out of the rows (the round is blind
until it closes) and are counted instead, so the caller can say what was
left out. These are export's own queries: `LabelReads.current_labels`
serves agreement and keeps its own rules.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator

from tui_annotate.core.export_data import ExportLabel, Golden, ItemLabels, LeftOut
from tui_annotate.core.names import JUDGE_PREFIX
from tui_annotate.store.connection import Connection

# Two cursors walk the rubric's items in id order inside one read transaction
# (one snapshot), and are merged as they go. Reading the item text once per
# item rather than once per label is what keeps a million items fast.
_LABELS = """
SELECT s.item_id, s.annotator, s.score, s.event_id, l.tags, l.comment, l.rubric_version, l.round_id
FROM label_state s JOIN labels l ON l.id = s.event_id
WHERE s.rubric = :rubric AND s.item_id BETWEEN :first AND :last AND s.state = 'rated' {judges}
ORDER BY s.item_id, s.annotator
"""

# Every item of the span in id order, with its latest golden label if any;
# those with nothing to export are skipped as they stream by. A range of
# rowids reads faster than a list of the labelled ones (a million-entry
# temporary index) whenever most items are labelled, which is when export is
# slow; an unlabelled item costs one row read.
_ITEMS = """
SELECT i.id, i.external_id, i.input, i.output, i.context, i.prompt, i.prompt_version,
       g.score, g.rubric_version, g.adjudicator, g.note
FROM items i LEFT JOIN golden g ON g.id = (
    SELECT max(latest.id) FROM golden latest
    WHERE latest.rubric = :rubric AND latest.item_id = i.id)
WHERE i.id BETWEEN :first AND :last
ORDER BY i.id
"""

_NO_JUDGES = "AND s.annotator NOT LIKE 'judge:%'"


class ExportQueries:
    """Streams a rubric's labels for export (see the module docstring)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    def open_rounds(self, rubric: str) -> set[int]:
        return {
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM rounds WHERE rubric = ? AND status = 'open'", (rubric,)
            )
        }

    def item_id_span(self) -> tuple[int, int]:
        """The lowest and highest item id (0, 0 with no items): where export splits its work."""
        low, high = self.conn.execute("SELECT min(id), max(id) FROM items").fetchone()
        return (low or 0, high or 0)

    def stream(
        self,
        rubric: str,
        *,
        include_judge: bool,
        left_out: LeftOut,
        span: tuple[int, int] | None = None,
    ) -> Iterator[ItemLabels]:
        """Each item with a current label or a golden label on RUBRIC, in item id order.

        SPAN (first, last item id, inclusive) limits it to a slice of the items.
        """
        which = "" if include_judge else _NO_JUDGES
        first, last = span if span is not None else (-(2**63), 2**63 - 1)
        args = {"rubric": rubric, "first": first, "last": last}
        own_transaction = not self.conn.in_transaction
        if own_transaction:
            self.conn.execute("BEGIN")  # both cursors read one snapshot
        try:
            blind = self.open_rounds(rubric)
            labels = iter(self.conn.execute(_LABELS.format(judges=which), args))
            items = self.conn.execute(_ITEMS.format(judges=which), args)
            items.arraysize = 500
            pending = next(labels, None)
            while chunk := items.fetchmany():
                for row in chunk:
                    item_id = row[0]
                    humans: list[ExportLabel] = []
                    judges: list[ExportLabel] = []
                    hidden = False
                    while pending is not None and pending[0] <= item_id:
                        round_id = pending[7]
                        if pending[0] < item_id:
                            pass  # not possible in one snapshot; never attach it elsewhere
                        elif round_id is not None and round_id in blind:
                            count = left_out.round_labels.get(round_id, 0)
                            left_out.round_labels[round_id] = count + 1
                            hidden = True
                        else:
                            tags = pending[4]
                            label = ExportLabel(
                                pending[1],
                                pending[2],
                                pending[3],
                                () if tags == "[]" else tuple(json.loads(tags)),
                                pending[5],
                                pending[6],
                            )
                            (judges if label.annotator.startswith(JUDGE_PREFIX) else humans).append(
                                label
                            )
                        pending = next(labels, None)
                    golden = None if row[7] is None else Golden(row[7], row[8], row[9], row[10])
                    if humans or judges or golden is not None:
                        yield ItemLabels(
                            row[1],
                            row[2],
                            row[3],
                            row[4],
                            row[5],
                            row[6],
                            golden,
                            tuple(humans),
                            tuple(judges),
                        )
                    elif hidden:
                        left_out.items += 1
        finally:
            # A reader that stopped early (`export | head`: a broken pipe) may have closed
            # the connection before this generator is finalised; the snapshot went with it.
            with contextlib.suppress(sqlite3.ProgrammingError):
                if own_transaction and self.conn.in_transaction:
                    self.conn.execute("COMMIT")
