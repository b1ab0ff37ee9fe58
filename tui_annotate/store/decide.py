"""SQL for deciding: one prompt's items and every rubric's labels, read as columns.

`prompt_table` has to be fast at a million items with millions of labels
(the issue's 2 s budget includes the statistics), so it never builds a
Python object per item or per label. Each query is one aggregate:
`group_concat` strings the ids and scores of a whole rubric together in
SQLite's C loop, and numpy parses the string in one call
(`np.fromstring(sep=",")`: ~15 ms a million) — where fetching a million rows
as tuples costs about a second. The items are read the same way
(store/decide_items.py), on a second connection while this one reads labels.

Labels are read from label_state by its primary key (rubric, annotator,
item_id), which holds the score: a range read, no per-label seek (the
partial indexes of m006 hold no score, so each of their entries would cost
a lookup). Resolution is vectorised (core/decide/columns.py), exactly as
export does it (core/resolve.py): golden (the latest), else the median-low of the people's
current scores, else the judge's latest score (the highest label id);
labels of an open calibration round are left out, as export leaves them out.
Tags and comments are read only for the items that FAIL (a seek per item and
per label), and not at all with `notes=False`. Prompts, versions and rubrics
are listed by store/decide_catalog.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import compress
from pathlib import Path
from typing import NamedTuple

import numpy as np

from tui_annotate.core.decide.columns import latest_per_row, median_low_per_row
from tui_annotate.core.decide.table import PromptTable, RubricColumn
from tui_annotate.core.models import Rubric
from tui_annotate.store import decide_catalog as catalog
from tui_annotate.store.clauses import shown
from tui_annotate.store.connection import Connection
from tui_annotate.store.decide_items import (
    Items,
    items_on_own_connection,
    parse_ints,
    read_items,
    watermark,
)

#: From this many items on, the items are read on a second connection beside the labels.
PARALLEL_FROM = 50_000

# A rubric's current rated labels by the primary key (rubric, annotator, item_id), which
# holds the score: a range read, no seek per label (m006's partial indexes hold no score;
# NOT INDEXED keeps the planner from label_state_counts, which needs a seek per entry).
# Item and score packed as item × 2^20 + score + 2^19. A judge is 'judge:MODEL' and a
# person's name holds no ':' (core/names.py), so the judges are exactly the annotators
# from 'judge:' up to 'judge;', and the people the two ranges either side of them.
_PACK = 1 << 20
_LABEL_RANGES = {
    "people_before": "annotator < 'judge:'",
    "judges": "annotator >= 'judge:' AND annotator < 'judge;'",
    "people_after": "annotator >= 'judge;'",
}
_LABELS = """
SELECT count(*), group_concat(item_id * 1048576 + score + 524288), {events},
       min(score), max(score)
FROM label_state AS s NOT INDEXED
WHERE rubric = :rubric AND state = 'rated' AND {range} AND {shown}
"""

_GOLDEN = "SELECT item_id, score FROM golden WHERE rubric = :rubric ORDER BY id"

_OPEN_ROUND_LABELS = """
SELECT group_concat(id) FROM labels_all INDEXED BY labels_by_round
WHERE round_id IN (SELECT id FROM rounds WHERE rubric = :rubric AND status = 'open')
"""

# The people's labels with tags or a comment on the given items, as one JSON text:
# a seek per item in label_state_human (its WHERE terms word for word, so it applies),
# then one by label id. CROSS JOIN keeps the item list outside.
_PEOPLE_NOTES = """
SELECT json_group_array(json_array(s.item_id, l.id, l.annotator, json(l.tags), l.comment))
FROM json_each(:items) AS j
CROSS JOIN label_state AS s INDEXED BY label_state_human
    ON s.rubric = :rubric AND s.item_id = j.value
CROSS JOIN labels AS l ON l.id = s.event_id
WHERE s.annotator NOT LIKE 'judge:%' AND s.state = 'rated'
  AND (l.tags != '[]' OR l.comment != '')
"""

# The tags of the given (judge) labels, by id.
_LABEL_TAGS = """
SELECT json_group_array(json_array(l.id, json(l.tags)))
FROM json_each(:ids) AS j CROSS JOIN labels AS l ON l.id = j.value
WHERE l.tags != '[]'
"""


class DecideStore:
    """Reads a prompt's items and labels for the decision statistics (core/decide)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    # -- what exists --------------------------------------------------------------------

    def versions(self, prompt: str) -> tuple[str, ...]:
        """The prompt's versions, in semantic-version order."""
        return catalog.versions(self.conn, prompt)

    def decide_prompts(self) -> dict[str, tuple[str, ...]]:
        return catalog.decide_prompts(self.conn)

    def rubrics_labelled(self, prompt: str) -> tuple[str, ...]:
        return catalog.rubrics_labelled(self.conn, prompt)

    def golden_digest_rows(self, rubrics: Sequence[str]) -> list[tuple[str, str, str, int]]:
        return catalog.golden_digest_rows(self.conn, rubrics)

    def rubric_version(self, rubric: Rubric) -> str:
        return catalog.rubric_version(self.conn, rubric)

    def prompt_table(
        self, prompt: str, rubrics: Sequence[Rubric], *, notes: bool = True
    ) -> PromptTable:
        """PROMPT's items (rows in item id order) with every rubric's labels resolved.

        NOTES=False leaves out the FAIL rows' tags and comments (the columns' tag and
        comment maps stay empty): a scorecard, a gate or a trend never shows them, and
        at a million items reading them is a third of the time.

        The items (the longest read: four text columns of a million rows) are read on
        a second, read-only connection in a thread while this one reads the labels and
        resolves them per item id (none of that waits for the items' rows); SQLite lets
        go of the GIL while it steps, so the two overlap. Both see
        one state of the items when they see one watermark (items only ever appear
        by moving it); should an import publish between their two starts, the items
        are read again here, in this connection's snapshot.
        """
        own_transaction = not self.conn.in_transaction
        if own_transaction:
            self.conn.execute("BEGIN")  # one snapshot for every query below
        try:
            versions = self.versions(prompt)
            elsewhere = self._items_elsewhere(prompt, versions)
            by_item = {rubric.name: self._by_item(rubric, notes=notes) for rubric in rubrics}
            items = None
            if elsewhere is not None:
                seen, read = elsewhere.result()
                items = read if seen == watermark(self.conn) else None
            if items is None:
                items = read_items(self.conn, prompt, versions)
            columns = {
                rubric.name: self._column(
                    rubric, items, by_item[rubric.name], self.rubric_version(rubric)
                )
                for rubric in rubrics
            }
        finally:
            if own_transaction and self.conn.in_transaction:
                self.conn.execute("COMMIT")
        n_human_total = np.zeros(len(items.ids), dtype=np.int32)
        for column in columns.values():
            n_human_total += column.n_human
        return PromptTable(
            prompt=prompt,
            item_ids=items.ids,
            external_ids=items.external,
            version_codes=items.versions,
            versions=versions,
            case_codes=items.case_codes,
            cases=items.cases,
            times=items.times,
            n_human_total=n_human_total,
            rubrics=columns,
        )

    def _items_elsewhere(
        self, prompt: str, versions: tuple[str, ...]
    ) -> Future[tuple[int, Items]] | None:
        """Start reading the items on a connection of their own; None where there is no
        file to open twice (a database in memory) or too few items to be worth a thread."""
        path = Path(self.connection.path)
        if not versions or self.connection.path == ":memory:" or not path.is_file():
            return None
        if watermark(self.conn) < PARALLEL_FROM:
            return None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decide-items")
        try:
            return pool.submit(items_on_own_connection, path, prompt, versions)
        finally:
            pool.shutdown(wait=False)

    def _labels(
        self, rubric: str, which: str, *, events: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(item ids, scores, label ids) of the rubric's current rated labels in one range;
        the label ids only with EVENTS (else empty: a third less to read)."""
        count, packed, event_text, low, high = self.conn.execute(
            _LABELS.format(
                range=_LABEL_RANGES[which],
                events="group_concat(event_id)" if events else "''",
                shown=shown("s"),
            ),
            {"rubric": rubric},
        ).fetchone()
        if not count:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        if low < -_PACK // 2 or high >= _PACK // 2:  # not a score any scale has; stay exact
            raise ValueError(f"{rubric}: a score outside ±{_PACK // 2} can't be read as columns")
        items, scores = np.divmod(parse_ints(packed, count), _PACK)
        label_ids = parse_ints(event_text, count) if events else np.zeros(0, dtype=np.int64)
        return items, scores - _PACK // 2, label_ids

    def _by_item(self, rubric: Rubric, *, notes: bool) -> _ByItem:
        """RUBRIC's labels resolved per labelled item id, before the prompt's rows are known:
        all of it runs while the items are read on the other connection."""
        name = rubric.name
        # Labels of an open calibration round stay out until it closes, as in export.
        (blind_text,) = self.conn.execute(_OPEN_ROUND_LABELS, {"rubric": name}).fetchone()
        blind = np.fromstring(blind_text, dtype=np.int64, sep=",") if blind_text else None
        parts = [
            self._labels(name, which, events=blind is not None)
            for which in ("people_before", "people_after")
        ]
        h_items = np.concatenate([p[0] for p in parts])
        h_scores = np.concatenate([p[1] for p in parts])
        h_events = np.concatenate([p[2] for p in parts])
        j_items, j_scores, j_events = self._labels(name, "judges", events=True)
        if blind is not None:
            keep = ~np.isin(h_events, blind)
            h_items, h_scores = h_items[keep], h_scores[keep]
            keep = ~np.isin(j_events, blind)
            j_items, j_scores, j_events = j_items[keep], j_scores[keep], j_events[keep]
        human_ids, codes = np.unique(h_items, return_inverse=True)
        consensus, n_human = median_low_per_row(human_ids.shape[0], codes, h_scores)
        judge_ids, codes = np.unique(j_items, return_inverse=True)
        judge, judge_events = latest_per_row(judge_ids.shape[0], codes, j_scores, j_events)
        # In id order, so the last golden label per item wins.
        gold = dict(self.conn.execute(_GOLDEN, {"rubric": name}).fetchall())
        golden_ids = np.fromiter(gold, dtype=np.int64, count=len(gold))
        golden = np.fromiter(gold.values(), dtype=np.float64, count=len(gold))
        by_item = _ByItem(human_ids, consensus, n_human, judge_ids, judge, golden_ids, golden)
        if not notes:
            return by_item
        people = consensus.copy()  # golden, else the consensus: what the people's rows resolve to
        at = _positions(human_ids, golden_ids)
        people[at[at >= 0]] = golden[at >= 0]
        failing = _fails(rubric, people)
        human_tags, comments = self._people_notes(name, human_ids[failing], blind)
        failing = _fails(rubric, judge)
        judge_tags = self._judge_tags(judge_ids[failing], judge_events[failing])
        return _ByItem(*by_item[:7], human_tags, judge_tags, comments)

    def _column(self, rubric: Rubric, items: Items, by_item: _ByItem, version: str) -> RubricColumn:
        """BY_ITEM spread over the prompt's rows (other prompts' items drop out here)."""
        n = len(items.ids)

        def spread(ids: np.ndarray, values: np.ndarray, empty: float | int) -> np.ndarray:
            out = np.full(n, empty, dtype=np.float64 if isinstance(empty, float) else np.int32)
            rows = items.rows_of(ids)
            out[rows[rows >= 0]] = values[rows >= 0]
            return out

        def rekey(found: dict[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
            if not found:
                return {}
            rows = items.rows_of(np.fromiter(found, dtype=np.int64, count=len(found)))
            here = (rows >= 0).tolist()  # other prompts' items drop out
            kept = compress(found.values(), here)
            return dict(zip(compress(rows.tolist(), here), kept, strict=True))

        return RubricColumn(
            name=rubric.name,
            direction=rubric.direction,
            threshold=rubric.pass_threshold,
            version=version,
            golden=spread(by_item.golden_ids, by_item.golden, np.nan),
            human=spread(by_item.human_ids, by_item.consensus, np.nan),
            n_human=spread(by_item.human_ids, by_item.n_human, 0),
            judge=spread(by_item.judge_ids, by_item.judge, np.nan),
            human_tags=rekey(by_item.human_tags),
            judge_tags=rekey(by_item.judge_tags),
            comments=rekey(by_item.comments),
        )

    def _people_notes(
        self, rubric: str, wanted: np.ndarray, blind: np.ndarray | None
    ) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
        """Item id -> tags, and item id -> comments ("annotator: comment", in label order),
        of the people's labels on the items WANTED (those whose people's score FAILs)."""
        if not wanted.shape[0]:
            return {}, {}
        (found,) = self.conn.execute(
            _PEOPLE_NOTES, {"rubric": rubric, "items": json.dumps(wanted.tolist())}
        ).fetchone()
        notes = json.loads(found)
        if not notes:
            return {}, {}
        skip = set() if blind is None else set(blind.tolist())
        tagged: dict[int, list[str]] = {}
        said: dict[int, list[tuple[int, str]]] = {}
        for item_id, label_id, annotator, tags, comment in notes:
            if label_id in skip:
                continue
            if tags:
                if item_id in tagged:
                    tagged[item_id].extend(tags)
                else:
                    tagged[item_id] = tags
            if comment and not comment.isspace():
                said.setdefault(item_id, []).append((label_id, f"{annotator}: {comment}"))
        # Most FAIL items carry one tag: only the others need a sort.
        human_tags = {
            item: (tags[0],) if len(tags) == 1 else tuple(sorted(set(tags)))
            for item, tags in tagged.items()
        }
        comments = {
            item: (texts[0][1],) if len(texts) == 1 else tuple(text for _, text in sorted(texts))
            for item, texts in said.items()
        }
        return human_tags, comments

    def _judge_tags(self, item_ids: np.ndarray, events: np.ndarray) -> dict[int, tuple[str, ...]]:
        """Item id -> the tags of its latest judge label (EVENTS, one per item of ITEM_IDS)."""
        if not item_ids.shape[0]:
            return {}
        (found,) = self.conn.execute(_LABEL_TAGS, {"ids": json.dumps(events.tolist())}).fetchone()
        tagged = json.loads(found)
        if not tagged:
            return {}
        item_of = dict(zip(events.tolist(), item_ids.tolist(), strict=True))
        return {
            item_of[label_id]: (tags[0],) if len(tags) == 1 else tuple(sorted(set(tags)))
            for label_id, tags in tagged
        }


class _ByItem(NamedTuple):
    """One rubric's labels resolved per item id (each id array sorted), not yet per row."""

    human_ids: np.ndarray
    consensus: np.ndarray
    n_human: np.ndarray
    judge_ids: np.ndarray
    judge: np.ndarray
    golden_ids: np.ndarray
    golden: np.ndarray
    human_tags: dict[int, tuple[str, ...]] = {}
    judge_tags: dict[int, tuple[str, ...]] = {}
    comments: dict[int, tuple[str, ...]] = {}


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of WANTED sits in the sorted IDS, -1 where it is not there."""
    if not ids.shape[0] or not wanted.shape[0]:
        return np.full(wanted.shape[0], -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(ids, wanted), ids.shape[0] - 1)
    return np.where(ids[pos] == wanted, pos, -1)


def _fails(rubric: Rubric, scores: np.ndarray) -> np.ndarray:
    """A FAIL mask: below the threshold, or above it for a rubric where lower is better."""
    if rubric.direction == "lower":
        return scores > rubric.pass_threshold
    return scores < rubric.pass_threshold
