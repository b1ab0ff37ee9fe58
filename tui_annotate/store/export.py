"""SQL for export: every current label and golden label of a rubric, streamed item by item.

One ordered query, read as the cursor goes: a million items with three
million labels never sit in memory together, and no per-item query runs.
Current labels come from label_state through its (rubric, item_id) index,
which already yields them in item order; the latest golden label per item is
merged in by the same ORDER BY. Labels of an open calibration round stay out
of the rows (the round is blind until it closes) and are counted instead, so
the caller can say what was left out. This is export's own query:
`Repository.current_labels` serves agreement and keeps its own rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tui_annotate.core.export import ExportLabel, Golden, ItemLabels, LeftOut

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

_ITEM_COLUMNS = "i.external_id, i.input, i.output, i.context, i.prompt, i.prompt_version"

# Column 1 orders golden (0) before labels (1) within an item. Columns 3..8
# are (annotator, score, event id, tags, comment, rubric version) for a label,
# (adjudicator, score, golden id, '[]', note, rubric version) for a golden one.
_STREAM = f"""
SELECT s.item_id, 1, s.annotator, s.score, s.event_id, l.tags, l.comment, l.rubric_version,
       l.round_id, {_ITEM_COLUMNS}
FROM label_state s JOIN labels l ON l.id = s.event_id JOIN items i ON i.id = s.item_id
WHERE s.rubric = :rubric AND s.state = 'rated' {{judges}}
UNION ALL
SELECT g.item_id, 0, g.adjudicator, g.score, g.id, '[]', g.note, g.rubric_version,
       NULL, {_ITEM_COLUMNS}
FROM golden g JOIN items i ON i.id = g.item_id
WHERE g.rubric = :rubric AND NOT EXISTS (
    SELECT 1 FROM golden newer
    WHERE newer.rubric = g.rubric AND newer.item_id = g.item_id AND newer.id > g.id)
ORDER BY 1, 2, 3
"""

_NO_JUDGES = "AND s.annotator NOT LIKE 'judge:%'"


class ExportQueries:
    """Streams a rubric's labels for export (see the module docstring)."""

    def __init__(self, repo: Repository) -> None:
        self.conn = repo.conn

    def open_rounds(self, rubric: str) -> set[int]:
        return {
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM rounds WHERE rubric = ? AND status = 'open'", (rubric,)
            )
        }

    def stream(
        self, rubric: str, *, include_judge: bool, left_out: LeftOut
    ) -> Iterator[ItemLabels]:
        """Each item with a current label or a golden label on RUBRIC, in item id order."""
        blind = self.open_rounds(rubric)
        sql = _STREAM.format(judges="" if include_judge else _NO_JUDGES)
        cursor = self.conn.execute(sql, {"rubric": rubric})
        cursor.arraysize = 1000
        current: int | None = None
        text: tuple[str, ...] = ()
        golden: Golden | None = None
        labels: list[ExportLabel] = []
        hidden = False
        while chunk := cursor.fetchmany():
            for row in chunk:
                item_id = row[0]
                if item_id != current:
                    if current is not None:
                        if labels or golden is not None:
                            yield ItemLabels(*text, golden, tuple(labels))
                        elif hidden:
                            left_out.items += 1
                    current, text, golden, labels, hidden = item_id, row[9:], None, [], False
                round_id = row[8]
                if round_id is not None and round_id in blind:
                    left_out.round_labels[round_id] = left_out.round_labels.get(round_id, 0) + 1
                    hidden = True
                elif row[1] == 0:
                    golden = Golden(row[3], row[7], row[2], row[6])
                else:
                    tags = row[5]
                    labels.append(
                        ExportLabel(
                            row[2],
                            row[3],
                            row[4],
                            () if tags == "[]" else tuple(json.loads(tags)),
                            row[6],
                            row[7],
                        )
                    )
        if current is not None:
            if labels or golden is not None:
                yield ItemLabels(*text, golden, tuple(labels))
            elif hidden:
                left_out.items += 1
