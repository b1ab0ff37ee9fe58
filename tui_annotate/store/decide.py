"""SQL for deciding: one prompt's items and every rubric's labels, read as columns.

`prompt_table` has to be fast at a million items with millions of labels
(the issue's 2 s budget includes the statistics), so it never builds a
Python object per item or per label. Each query is one aggregate:
`group_concat` strings the ids, scores and event ids of a whole version or
rubric together in SQLite's C loop, and numpy parses the string in one call
(`np.fromstring(sep=",")`: ~15 ms a million) — where fetching a million rows
as tuples costs about a second. Text columns (external ids, cases) are
joined with NUL, which import refuses in every field, and split in one call;
all the aggregates of one query step through the same rows, so their parts
line up row for row whatever order SQLite visits them in.

Labels are read from label_state by its primary key (rubric, annotator,
item_id), which holds the score: a range read, no per-label seek (the
partial indexes of m006 hold no score, so each of their entries would cost
a lookup). Resolution is vectorised in `_resolve`, exactly as export does it
(core/resolve.py): golden (the latest), else the median-low of the people's
current scores, else the judge's latest score (the highest label id);
labels of an open calibration round are left out, as export leaves them out.
Tags and comments are read only for the items that need them (those that
FAIL), by label id.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np

from tui_annotate.core.decide.table import PromptTable, RubricColumn
from tui_annotate.core.decide.versions import semver_key, sorted_versions
from tui_annotate.core.models import Rubric
from tui_annotate.store.connection import Connection
from tui_annotate.store.db import connect

#: From this many items on, the items are read on a second connection beside the labels.
PARALLEL_FROM = 50_000

# The prompt's next version after :after, one seek in items_by_prompt (a skip-scan: ten
# versions cost ten seeks, not a walk over a million index entries).
_NEXT_VERSION = """
SELECT prompt_version FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND prompt_version > :after
  AND id <= (SELECT visible_up_to FROM import_state)
ORDER BY prompt_version LIMIT 1
"""

# The next (prompt, version) pair after (:prompt, :version), for decide_prompts.
_NEXT_PAIR = """
SELECT prompt, prompt_version FROM items_all INDEXED BY items_by_prompt
WHERE (prompt, prompt_version) > (:prompt, :version)
  AND id <= (SELECT visible_up_to FROM import_state)
ORDER BY prompt, prompt_version LIMIT 1
"""

# The prompt's items, each column one string: the id and the version's code packed in one
# number (id × versions + code), the external id, the case (the `case` field, else the
# input text) and when it happened (`timestamp`, else imported_at: both UTC, both start
# "YYYY-MM-DDTHH:MM:SS", so their first 19 characters, run together, parse as columns).
_ITEMS = """
SELECT count(*), group_concat(id * :versions + CASE prompt_version {codes} END),
       group_concat(external_id, char(0)),
       group_concat(CASE WHEN case_key != '' THEN case_key ELSE input END, char(0)),
       group_concat(substr(logged_at || imported_at, 1, 19), '')
FROM items_all {access}
WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state)
"""

# The same a row per item: when a text holds a NUL or a time is not in the stored form
# (rows written by hand, not by import).
_ITEM_ROWS = """
SELECT id, prompt_version, external_id,
       CASE WHEN case_key != '' THEN case_key ELSE input END,
       CASE WHEN logged_at != '' THEN logged_at ELSE imported_at END
FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state)
"""

# Are a third of the visible items the prompt's? Then a scan of the table in rowid order
# beats a seek per item from items_by_prompt (stops counting at LIMIT).
_MANY = """
SELECT count(*) FROM (SELECT 1 FROM items_all INDEXED BY items_by_prompt
    WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state) LIMIT :limit)
"""

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
FROM label_state NOT INDEXED
WHERE rubric = :rubric AND state = 'rated' AND {range}
"""

_GOLDEN = "SELECT item_id, score FROM golden WHERE rubric = :rubric ORDER BY id"

_OPEN_ROUND_LABELS = """
SELECT group_concat(id) FROM labels INDEXED BY labels_by_round
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

_RUBRIC_VERSIONS = "SELECT version FROM rubrics WHERE name = ?"

_GOLDEN_DIGEST = """
SELECT i.external_id, g.rubric, g.rubric_version, g.score
FROM golden g JOIN items i ON i.id = g.item_id
WHERE g.rubric = :rubric
  AND g.id = (SELECT max(latest.id) FROM golden latest
              WHERE latest.rubric = g.rubric AND latest.item_id = g.item_id)
"""

# Does any current label or golden label of the rubric sit on an item of the prompt?
_RUBRIC_ON_PROMPT = """
SELECT EXISTS (
    SELECT 1 FROM items_all i INDEXED BY items_by_prompt
    JOIN label_state s INDEXED BY label_state_by_item ON s.rubric = :rubric AND s.item_id = i.id
    WHERE i.prompt = :prompt AND s.state = 'rated'
      AND i.id <= (SELECT visible_up_to FROM import_state)
) OR EXISTS (
    SELECT 1 FROM golden g JOIN items i ON i.id = g.item_id
    WHERE g.rubric = :rubric AND i.prompt = :prompt
)
"""

_NEXT_RUBRIC = "SELECT rubric FROM label_state WHERE rubric > ? ORDER BY rubric LIMIT 1"


class DecideStore:
    """Reads a prompt's items and labels for the decision statistics (core/decide)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.conn = connection.conn

    # -- what exists --------------------------------------------------------------------

    def versions(self, prompt: str) -> tuple[str, ...]:
        """The prompt's versions, in semantic-version order."""
        found: list[str] = []
        after: str | None = ""
        first = self.conn.execute(
            "SELECT 1 FROM items_all INDEXED BY items_by_prompt WHERE prompt = ?"
            " AND prompt_version = '' AND id <= (SELECT visible_up_to FROM import_state) LIMIT 1",
            (prompt,),
        ).fetchone()
        if first is not None:
            found.append("")
        while after is not None:
            row = self.conn.execute(_NEXT_VERSION, {"prompt": prompt, "after": after}).fetchone()
            after = None if row is None else str(row[0])
            if after is not None:
                found.append(after)
        return sorted_versions(found)

    def decide_prompts(self) -> dict[str, tuple[str, ...]]:
        """Every prompt (named; items without one can't be decided on) and its versions."""
        pairs: dict[str, list[str]] = {}
        key = ("", "")
        while True:
            row = self.conn.execute(_NEXT_PAIR, {"prompt": key[0], "version": key[1]}).fetchone()
            if row is None:
                break
            key = (str(row[0]), str(row[1]))
            pairs.setdefault(key[0], []).append(key[1])
        # ('', '') itself is never "after" ('', ''): a prompt named '' is left out anyway.
        pairs.pop("", None)
        return {p: sorted_versions(v) for p, v in sorted(pairs.items())}

    def rubrics_labelled(self, prompt: str) -> tuple[str, ...]:
        """Rubrics with a current label or a golden label on any item of PROMPT, sorted."""
        names: set[str] = {
            str(r[0]) for r in self.conn.execute("SELECT DISTINCT rubric FROM golden")
        }
        last = ""
        while (row := self.conn.execute(_NEXT_RUBRIC, (last,)).fetchone()) is not None:
            last = str(row[0])
            names.add(last)
        return tuple(
            sorted(
                name
                for name in names
                if self.conn.execute(
                    _RUBRIC_ON_PROMPT, {"rubric": name, "prompt": prompt}
                ).fetchone()[0]
            )
        )

    def golden_digest_rows(self, rubrics: Sequence[str]) -> list[tuple[str, str, str, int]]:
        """(external id, rubric, rubric version, score) of each current golden label, sorted."""
        rows: list[tuple[str, str, str, int]] = []
        for name in sorted(set(rubrics)):
            rows.extend(
                (str(r[0]), str(r[1]), str(r[2]), int(r[3]))
                for r in self.conn.execute(_GOLDEN_DIGEST, {"rubric": name})
            )
        return sorted(rows)

    def rubric_version(self, rubric: Rubric) -> str:
        """The rubric's newest registered version; its own when none is registered."""
        known = [str(r[0]) for r in self.conn.execute(_RUBRIC_VERSIONS, (rubric.name,))]
        return max(known, key=semver_key) if known else rubric.version

    # -- the table ----------------------------------------------------------------------

    def prompt_table(
        self, prompt: str, rubrics: Sequence[Rubric], *, notes: bool = True
    ) -> PromptTable:
        """PROMPT's items (rows in item id order) with every rubric's labels resolved.

        NOTES=False leaves out the FAIL rows' tags and comments (the columns' tag and
        comment maps stay empty): a scorecard, a gate or a trend never shows them, and
        at a million items reading them is a third of the time.

        The items (the longest read: four text columns of a million rows) are read on
        a second, read-only connection in a thread while this one reads the labels;
        SQLite lets go of the GIL while it steps, so the two reads overlap. Both see
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
            raw = {rubric.name: self._raw_labels(rubric.name) for rubric in rubrics}
            items = None
            if elsewhere is not None:
                seen, read = elsewhere.result()
                items = read if seen == _watermark(self.conn) else None
            if items is None:
                items = _read_items(self.conn, prompt, versions)
            columns = {
                rubric.name: self._column(
                    rubric, items, raw[rubric.name], self.rubric_version(rubric), notes=notes
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
    ) -> Future[tuple[int, _Items]] | None:
        """Start reading the items on a connection of their own; None where there is no
        file to open twice (a database in memory) or too few items to be worth a thread."""
        path = Path(self.connection.path)
        if not versions or self.connection.path == ":memory:" or not path.is_file():
            return None
        if _watermark(self.conn) < PARALLEL_FROM:
            return None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decide-items")
        try:
            return pool.submit(_items_on_own_connection, path, prompt, versions)
        finally:
            pool.shutdown(wait=False)

    def _labels(
        self, rubric: str, which: str, *, events: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(item ids, scores, label ids) of the rubric's current rated labels in one range;
        the label ids only with EVENTS (else empty: a third less to read)."""
        count, packed, event_text, low, high = self.conn.execute(
            _LABELS.format(
                range=_LABEL_RANGES[which], events="group_concat(event_id)" if events else "''"
            ),
            {"rubric": rubric},
        ).fetchone()
        if not count:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        if low < -_PACK // 2 or high >= _PACK // 2:  # not a score any scale has; stay exact
            raise ValueError(f"{rubric}: a score outside ±{_PACK // 2} can't be read as columns")
        items, scores = np.divmod(_ints(packed, count), _PACK)
        label_ids = _ints(event_text, count) if events else np.zeros(0, dtype=np.int64)
        return items, scores - _PACK // 2, label_ids

    def _raw_labels(self, name: str) -> _Raw:
        """The rubric's current labels, people's and judges', and the golden set, unresolved."""
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
            h_items, h_scores, h_events = h_items[keep], h_scores[keep], h_events[keep]
            keep = ~np.isin(j_events, blind)
            j_items, j_scores, j_events = j_items[keep], j_scores[keep], j_events[keep]
        gold = self.conn.execute(_GOLDEN, {"rubric": name}).fetchall()
        return _Raw(h_items, h_scores, j_items, j_scores, j_events, dict(gold), blind)

    def _column(
        self, rubric: Rubric, items: _Items, raw: _Raw, version: str, *, notes: bool
    ) -> RubricColumn:
        n = len(items.ids)
        name = rubric.name
        h_items, h_scores, j_items, j_scores, j_events, latest, blind = raw
        h_rows = items.rows_of(h_items)
        j_rows = items.rows_of(j_items)
        on = h_rows >= 0
        consensus, n_human = _median_low(n, h_rows[on], h_scores[on])
        on = j_rows >= 0
        judge, judge_events = _latest(n, j_rows[on], j_scores[on], j_events[on])
        golden = np.full(n, np.nan)
        if latest:  # the golden labels read in id order: the last one per item won
            g_rows = items.rows_of(np.fromiter(latest, dtype=np.int64, count=len(latest)))
            g_scores = np.fromiter(latest.values(), dtype=np.float64, count=len(latest))
            golden[g_rows[g_rows >= 0]] = g_scores[g_rows >= 0]
        column = RubricColumn(
            name=name,
            direction=rubric.direction,
            threshold=rubric.pass_threshold,
            version=version,
            golden=golden,
            human=consensus,
            n_human=n_human,
            judge=judge,
        )
        if not notes:
            return column
        people_fail = column.passes(np.where(np.isnan(golden), consensus, golden)) == 0.0
        judge_fail = column.passes(judge) == 0.0
        human_tags, comments = self._people_notes(name, items, people_fail & (n_human > 0), blind)
        judge_tags = self._judge_tags(np.flatnonzero(judge_fail), judge_events)
        return replace(column, human_tags=human_tags, judge_tags=judge_tags, comments=comments)

    def _people_notes(
        self, rubric: str, items: _Items, rows: np.ndarray, blind: np.ndarray | None
    ) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
        """Tags and comments ("annotator: comment", in label order) of the people's labels on
        ROWS (a mask: the rows whose golden-or-consensus score FAILs)."""
        wanted = items.ids[rows]
        if not wanted.shape[0]:
            return {}, {}
        (found,) = self.conn.execute(
            _PEOPLE_NOTES, {"rubric": rubric, "items": json.dumps(wanted.tolist())}
        ).fetchone()
        notes = json.loads(found)
        if not notes:
            return {}, {}
        skip = set() if blind is None else set(blind.tolist())
        row_of = dict(zip(wanted.tolist(), np.flatnonzero(rows).tolist(), strict=True))
        tag_sets: dict[int, set[str]] = {}
        said: dict[int, list[tuple[int, str]]] = {}
        for item_id, label_id, annotator, tags, comment in notes:
            if label_id in skip:
                continue
            row = row_of[item_id]
            if tags:
                tag_sets.setdefault(row, set()).update(tags)
            if comment.strip():
                said.setdefault(row, []).append((label_id, f"{annotator}: {comment}"))
        human_tags = {row: tuple(sorted(tags)) for row, tags in tag_sets.items()}
        comments = {row: tuple(text for _, text in sorted(texts)) for row, texts in said.items()}
        return human_tags, comments

    def _judge_tags(self, rows: np.ndarray, judge_events: np.ndarray) -> dict[int, tuple[str, ...]]:
        """The tags of the latest judge label on each of ROWS (the rows where it FAILs)."""
        if not rows.shape[0]:
            return {}
        events = judge_events[rows]
        (found,) = self.conn.execute(_LABEL_TAGS, {"ids": json.dumps(events.tolist())}).fetchone()
        tagged = json.loads(found)
        if not tagged:
            return {}
        row_of = dict(zip(events.tolist(), rows.tolist(), strict=True))
        return {row_of[label_id]: tuple(sorted(set(tags))) for label_id, tags in tagged}


def _read_items(conn: sqlite3.Connection, prompt: str, versions: tuple[str, ...]) -> _Items:
    """The prompt's items as columns, rows in item id order (see the module docstring)."""
    if not versions:
        return _Items.empty()
    codes = " ".join(f"WHEN :v{n} THEN {n}" for n in range(len(versions)))
    args: dict[str, object] = {f"v{n}": v for n, v in enumerate(versions)}
    args.update(prompt=prompt, versions=len(versions))
    visible = _watermark(conn)
    limit = max(1, visible // 3)
    many = conn.execute(_MANY, {"prompt": prompt, "limit": limit}).fetchone()[0]
    access = "NOT INDEXED" if many >= limit else "INDEXED BY items_by_prompt"
    count, packed, ext_text, case_text, time_text = conn.execute(
        _ITEMS.format(codes=codes, access=access), args
    ).fetchone()
    external = _texts(ext_text, count)
    cases = _texts(case_text, count)
    times = _times(time_text, count)
    if external is None or cases is None or times is None:
        return _item_rows(conn, prompt, versions)
    both = _ints(packed, count)
    ids, version_codes = np.divmod(both, len(versions))
    # Rows in item id order: labels are found by a binary search of the ids.
    order = np.argsort(ids, kind="stable")
    if not np.array_equal(order, np.arange(count)):
        external = [external[i] for i in order]
        cases = [cases[i] for i in order]
        ids, version_codes, times = ids[order], version_codes[order], times[order]
    case_codes, case_names = _codes(cases)
    return _Items(
        ids, version_codes.astype(np.int32), tuple(external), case_codes, case_names, times
    )


def _item_rows(conn: sqlite3.Connection, prompt: str, versions: tuple[str, ...]) -> _Items:
    """The items a row at a time, parsed in Python: slow, for data written by hand."""
    rows = sorted(conn.execute(_ITEM_ROWS, {"prompt": prompt}).fetchall())
    code = {v: n for n, v in enumerate(versions)}
    case_codes, case_names = _codes([str(r[3]) for r in rows])
    return _Items(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([code[r[1]] for r in rows], dtype=np.int32),
        tuple(str(r[2]) for r in rows),
        case_codes,
        case_names,
        np.array([_seconds(str(r[4])) for r in rows], dtype=np.int64).astype("datetime64[s]"),
    )


def _items_on_own_connection(
    path: Path, prompt: str, versions: tuple[str, ...]
) -> tuple[int, _Items]:
    """(the watermark seen, the items), read in a read-only connection's own snapshot."""
    conn = connect(path, readonly=True)
    try:
        conn.execute("BEGIN")
        return _watermark(conn), _read_items(conn, prompt, versions)
    finally:
        conn.close()


def _watermark(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT visible_up_to FROM import_state").fetchone()[0])


class _Raw(NamedTuple):
    """One rubric's labels as read, before they are matched to the items."""

    human_items: np.ndarray
    human_scores: np.ndarray
    judge_items: np.ndarray
    judge_scores: np.ndarray
    judge_events: np.ndarray
    #: item id -> the latest golden score
    golden: dict[int, int]
    #: ids of labels in an open calibration round, None when no round is open
    blind: np.ndarray | None


class _Items:
    """The prompt's items as columns, rows in item id order."""

    def __init__(
        self,
        ids: np.ndarray,
        versions: np.ndarray,
        external: tuple[str, ...],
        case_codes: np.ndarray,
        cases: tuple[str, ...],
        times: np.ndarray,
    ) -> None:
        self.ids, self.versions, self.external = ids, versions, external
        self.case_codes, self.cases, self.times = case_codes, cases, times

    @classmethod
    def empty(cls) -> _Items:
        none = np.zeros(0, dtype=np.int64)
        return cls(
            none, none.astype(np.int32), (), none.astype(np.int32), (), none.astype("datetime64[s]")
        )

    def rows_of(self, wanted: np.ndarray) -> np.ndarray:
        """The row of each item id in WANTED, -1 for ids not here (another prompt's)."""
        if not self.ids.shape[0] or not wanted.shape[0]:
            return np.full(wanted.shape[0], -1, dtype=np.int64)
        pos = np.searchsorted(self.ids, wanted)
        clipped = np.minimum(pos, self.ids.shape[0] - 1)
        return np.where(self.ids[clipped] == wanted, clipped, -1)


def _ints(text: str | None, count: int) -> np.ndarray:
    """A group_concat of COUNT integers as an int64 array."""
    if not count or text is None:
        return np.zeros(0, dtype=np.int64)
    out = np.fromstring(text, dtype=np.int64, sep=",")
    if out.shape[0] != count:  # never for integers; a guard against a silent misparse
        raise ValueError(f"expected {count} numbers, parsed {out.shape[0]}")
    return out


def _texts(text: str | None, count: int) -> list[str] | None:
    """A NUL-joined group_concat of COUNT texts, or None when a text held a NUL itself."""
    if not count or text is None:
        return []
    parts = text.split("\x00")
    return parts if len(parts) == count else None


# The digit positions of "YYYY-MM-DDTHH:MM:SS", and the characters between them.
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
_MARKS = {4: ord("-"), 7: ord("-"), 10: ord("T"), 13: ord(":"), 16: ord(":")}


def _times(text: str | None, count: int) -> np.ndarray | None:
    """COUNT run-together "YYYY-MM-DDTHH:MM:SS" (UTC) as datetime64[s]; None if any is not so.

    Parsed as a block of digits, a million in a few tens of milliseconds: numpy's own
    parser takes a second, and refuses the zone suffix the stored times carry.
    """
    if not count or text is None:
        return np.zeros(0, dtype="datetime64[s]")
    if len(text) != 19 * count or not text.isascii():
        return None
    chars = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(count, 19)
    if any((chars[:, at] != mark).any() for at, mark in _MARKS.items()):
        return None
    digits = chars[:, _DIGITS].astype(np.int64) - ord("0")
    if ((digits < 0) | (digits > 9)).any():
        return None
    two = digits[:, 4:][:, 0::2] * 10 + digits[:, 4:][:, 1::2]  # month, day, h, m, s
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month, day, hour, minute, second = two.T
    if (month < 1).any() or (month > 12).any() or (day < 1).any() or (day > 31).any():
        return None
    days = ((year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)).astype(
        "datetime64[D]"
    ) + (day - 1)
    return days.astype("datetime64[s]") + (hour * 3600 + minute * 60 + second)


def _seconds(text: str) -> int:
    """Unix seconds of a stored time ("…Z" or "+00:00"); 0 when it can't be read."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _codes(texts: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each text's code, and the distinct texts in the order first seen.

    Coded by Python's string hash and np.unique, not a dict: a million texts in a
    tenth of the time. Two distinct texts with one 64-bit hash (odds about 1e-8 at a
    million distinct cases) would be counted as one case.
    """
    count = len(texts)
    if not count:
        return np.zeros(0, dtype=np.int32), ()
    hashes = np.fromiter(map(hash, texts), dtype=np.int64, count=count)
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # hash order changes per process; this doesn't
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return rank[inverse].astype(np.int32), tuple(texts[i] for i in first[order])


def _median_low(n: int, rows: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the median-low of its scores (NaN without any) and how many there are.

    One sort of (row, score) packed into one integer, then the middle of each run.
    """
    out = np.full(n, np.nan)
    if not rows.shape[0]:
        return out, np.zeros(n, dtype=np.int32)
    counts = np.bincount(rows, minlength=n).astype(np.int32)
    if counts.max() == 1:  # one person per item: their score is the consensus
        out[rows] = scores
        return out, counts
    ordered = np.sort(rows * _PACK + (scores + _PACK // 2)) % _PACK - _PACK // 2
    starts = np.cumsum(counts) - counts
    has = counts > 0
    out[has] = ordered[starts[has] + (counts[has] - 1) // 2]
    return out, counts


def _latest(
    n: int, rows: np.ndarray, scores: np.ndarray, events: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the score of the label with the highest id (NaN without any), and that id."""
    out = np.full(n, np.nan)
    ids = np.zeros(n, dtype=np.int64)
    if not rows.shape[0]:
        return out, ids
    counts = np.bincount(rows, minlength=n)
    if counts.max() == 1:  # one judge per item, the usual case: nothing to choose
        out[rows] = scores
        ids[rows] = events
        return out, ids
    # Label ids are below 2^43 (a row index below 2^20 × 2^43 fits an int64); else sort two keys.
    if events.max() < 1 << 43 and n <= 1 << 20:
        order = np.argsort(rows.astype(np.int64) << 43 | events, kind="stable")
    else:
        order = np.lexsort((events, rows))
    ends = np.cumsum(counts) - 1
    has = counts > 0
    out[has] = scores[order][ends[has]]
    ids[has] = events[order][ends[has]]
    return out, ids
