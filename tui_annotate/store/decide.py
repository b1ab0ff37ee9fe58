"""SQL for deciding: one prompt's items and every rubric's labels, read as columns.

`prompt_table` has to be fast at a million items with millions of labels
(the issue's 2 s budget includes the statistics), so it never builds a
Python object per item or per label. Each query is one aggregate:
`group_concat` strings the ids and scores of a whole rubric together in
SQLite's C loop, and numpy parses the string in one call
(`np.fromstring(sep=",")`: ~15 ms a million) — where fetching a million rows
as tuples costs about a second. The items are read the same way
(store/decide_items.py), on a second connection while this one reads
labels.

Labels are read from label_state by its primary key (rubric, annotator,
item_id), which holds the score: a range read, no per-label seek (the
partial indexes of m006 hold no score, so each of their entries would cost
a lookup). Resolution is vectorised (core/decide/columns.py), exactly as
export does it (core/resolve.py): golden (the latest), else the median-low of the people's
current scores, else the judge's latest score (the highest label id);
labels of an open calibration round are left out, as export leaves them out.
Tags and comments are read only for the items that FAIL (a seek per item and
per label; store/decide_notes.py), and not at all with `notes=False`.
Prompts, versions and rubrics are listed by store/decide_catalog.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import compress
from pathlib import Path
from typing import NamedTuple

import numpy as np

from tui_annotate.core.decide.columns import (
    PACK,
    has_repeats,
    latest_per_row,
    median_low_per_row,
    unique_ids,
)
from tui_annotate.core.decide.table import PromptTable, RubricColumn
from tui_annotate.core.models import Rubric
from tui_annotate.store import decide_catalog as catalog
from tui_annotate.store import decide_notes as notes_of
from tui_annotate.store.clauses import shown
from tui_annotate.store.connection import Connection
from tui_annotate.store.db import connect
from tui_annotate.store.decide_items import (
    Items,
    ItemTexts,
    StaleRead,
    parse_ints,
    read_items,
    watermark,
)

#: From this many items on, the items (and a rubric) are read on a second connection.
PARALLEL_FROM = 50_000

# A rubric's current rated labels by the primary key (rubric, annotator, item_id), which
# holds the score: a range read, no seek per label (m006's partial indexes hold no score;
# NOT INDEXED keeps the planner from label_state_counts, which needs a seek per entry).
# Items and scores as two strings (as fast as one of them packed). A judge is 'judge:MODEL' and a
# person's name holds no ':' (core/names.py), so the judges are exactly the annotators
# from 'judge:' up to 'judge;', and the people the two ranges either side of them.
_PACK = PACK
_LABEL_RANGES = {
    "people_before": "annotator < 'judge:'",
    "judges": "annotator >= 'judge:' AND annotator < 'judge;'",
    "people_after": "annotator >= 'judge;'",
}
_LABELS = """
SELECT count(*), group_concat(item_id), group_concat(score), {events}
FROM label_state AS s NOT INDEXED
WHERE rubric = :rubric AND state = 'rated' AND {range} AND {shown}
"""

_GOLDEN = "SELECT item_id, score FROM golden WHERE rubric = :rubric ORDER BY id"

_OPEN_ROUND_LABELS = """
SELECT group_concat(id) FROM labels_all INDEXED BY labels_by_round
WHERE round_id IN (SELECT id FROM rounds WHERE rubric = :rubric AND status = 'open')
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

        The items (and some rubrics' labels: `_aside`) are read on a second, read-only
        connection in a thread while this one reads the other rubrics' labels and
        resolves them per item id (none of that waits for the items' rows); SQLite
        lets go of the GIL while it steps, so the two overlap. Both read one state
        when they see one watermark, one newest label, one newest golden label and
        the same open calibration rounds (items and labels only ever get added);
        should anything change between their two starts, what the thread read is
        read again here, in this connection's snapshot.
        """
        own_transaction = not self.conn.in_transaction
        if own_transaction:
            self.conn.execute("BEGIN")  # one snapshot for every query below
        try:
            versions = self.versions(prompt)
            texts = ItemTexts(self.connection.path, self.conn)
            aside = _aside(rubrics, notes=notes)
            elsewhere = self._elsewhere(prompt, versions, texts, aside, notes=notes)
            here = [r for r in rubrics if elsewhere is None or r not in aside]
            by_item = {rubric.name: self.labels_by_item(rubric, notes=notes) for rubric in here}
            items = None
            if elsewhere is not None:
                try:
                    seen, read, read_by_item = elsewhere.result()
                except StaleRead:  # a version this snapshot doesn't have yet
                    seen = ()
                if seen == _state(self.conn):
                    items = read
                    for name, resolved in read_by_item.items():
                        by_item.setdefault(name, resolved)
            if items is None:
                items = read_items(self.conn, prompt, versions, texts)
            for rubric in rubrics:
                if rubric.name not in by_item:
                    by_item[rubric.name] = self.labels_by_item(rubric, notes=notes)
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

    def _elsewhere(
        self,
        prompt: str,
        versions: tuple[str, ...],
        texts: ItemTexts,
        rubrics: Sequence[Rubric],
        *,
        notes: bool,
    ) -> Future[tuple[tuple[object, ...], Items, dict[str, _ByItem]]] | None:
        """Start reading the items and RUBRICS' labels on a connection of their own; None
        where there is no file to open twice (a database in memory) or too few items to be
        worth a thread."""
        path = Path(self.connection.path)
        if not versions or self.connection.path == ":memory:" or not path.is_file():
            return None
        if watermark(self.conn) < PARALLEL_FROM:
            return None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decide-items")
        try:
            return pool.submit(_read_elsewhere, path, prompt, versions, texts, rubrics, notes)
        finally:
            pool.shutdown(wait=False)

    def _labels_pending(self) -> bool:
        (pending,) = self.conn.execute(
            "SELECT labels_pending_from <= labels_pending_to FROM import_state"
        ).fetchone()
        return bool(pending)

    def _labels(
        self, rubric: str, which: str, *, events: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(item ids, scores, label ids) of the rubric's current rated labels in one range;
        the label ids only with EVENTS (else empty: a third less to read)."""
        count, item_text, score_text, event_text = self.conn.execute(
            _LABELS.format(
                range=_LABEL_RANGES[which],
                events="group_concat(event_id)" if events else "''",
                # Only while an import of labels has some unshown (m008): a test per label.
                shown=shown("s") if self._labels_pending() else "1",
            ),
            {"rubric": rubric},
        ).fetchone()
        if not count:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        items, scores = parse_ints(item_text, count), parse_ints(score_text, count)
        # The per-item median packs (row, score) in one integer (core/decide/columns.py).
        if scores.min() < -_PACK // 2 or scores.max() >= _PACK // 2:  # no scale has these
            raise ValueError(f"{rubric}: a score outside ±{_PACK // 2} can't be read as columns")
        label_ids = parse_ints(event_text, count) if events else np.zeros(0, dtype=np.int64)
        return items, scores, label_ids

    def labels_by_item(self, rubric: Rubric, *, notes: bool) -> _ByItem:
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
        # The judge's label ids pick the latest of several labels on an item, and name the
        # labels whose tags are read: without notes, read only when an item has several.
        j_items, j_scores, j_events = self._labels(
            name, "judges", events=notes or blind is not None
        )
        if not notes and blind is None and has_repeats(j_items):
            j_items, j_scores, j_events = self._labels(name, "judges", events=True)
        if blind is not None:
            keep = ~np.isin(h_events, blind)
            h_items, h_scores = h_items[keep], h_scores[keep]
            keep = ~np.isin(j_events, blind)
            j_items, j_scores, j_events = j_items[keep], j_scores[keep], j_events[keep]
        human_ids, codes = unique_ids(h_items)
        consensus, n_human = median_low_per_row(human_ids.shape[0], codes, h_scores)
        judge_ids, codes = unique_ids(j_items)
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
        human_tags, comments = notes_of.people_notes(self.conn, name, human_ids[failing], blind)
        failing = _fails(rubric, judge)
        judge_tags = notes_of.judge_tags(self.conn, judge_ids[failing], judge_events[failing])
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


def _aside(rubrics: Sequence[Rubric], *, notes: bool) -> list[Rubric]:
    """The rubrics the items' thread reads too, so that both threads finish together.

    Measured at a million items with a third labelled per rubric (bench/decide_table.py):
    the items cost about what three rubrics' labels cost, a rubric twice that with its
    tags and comments. Rubrics move to the thread while that shortens the longer side.
    """
    each = 2 if notes else 1
    thread, here = 3, each * len(rubrics)
    aside: list[Rubric] = []
    for rubric in reversed(rubrics):
        if max(thread + each, here - each) >= max(thread, here):
            break
        aside.append(rubric)
        thread, here = thread + each, here - each
    return aside


# What a snapshot holds, as far as a table goes: items and labels are only ever added,
# and calibration rounds close.
_STATE = """
SELECT (SELECT visible_up_to FROM import_state), (SELECT max(id) FROM labels),
       (SELECT max(id) FROM golden), (SELECT group_concat(id) FROM rounds WHERE status = 'open')
"""


def _state(conn: sqlite3.Connection) -> tuple[object, ...]:
    return tuple(conn.execute(_STATE).fetchone())


def _read_elsewhere(
    path: Path,
    prompt: str,
    versions: tuple[str, ...],
    texts: ItemTexts,
    rubrics: Sequence[Rubric],
    notes: bool,
) -> tuple[tuple[object, ...], Items, dict[str, _ByItem]]:
    """(the state seen, the items, RUBRICS' labels per item), read in a read-only
    connection's own snapshot (the thread of `DecideStore._elsewhere`)."""
    conn = connect(path, readonly=True)
    try:
        conn.execute("BEGIN")
        seen = _state(conn)
        items = read_items(conn, prompt, versions, texts)
        store = DecideStore(Connection(conn, path))
        return seen, items, {r.name: store.labels_by_item(r, notes=notes) for r in rubrics}
    finally:
        conn.close()


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
