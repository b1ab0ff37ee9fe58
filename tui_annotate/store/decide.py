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
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from tui_annotate.core.decide.table import PromptTable, RubricColumn
from tui_annotate.core.decide.versions import semver_key, sorted_versions
from tui_annotate.core.models import Rubric
from tui_annotate.store.connection import Connection

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

# One version's items, each column one string. The case is the `case` field, else the
# input text; the time is `timestamp` (logged_at), else imported_at, as Unix seconds.
_VERSION_ITEMS = """
SELECT count(*), group_concat(id),
       group_concat(external_id, char(0)),
       group_concat(CASE WHEN case_key != '' THEN case_key ELSE input END, char(0)),
       group_concat(coalesce(
           unixepoch(CASE WHEN logged_at != '' THEN logged_at ELSE imported_at END), 0))
FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND prompt_version = :version
  AND id <= (SELECT visible_up_to FROM import_state)
"""

# The same, a row per item: only when a text holds a NUL (written by hand, not by import).
_VERSION_ROWS = """
SELECT id, external_id, CASE WHEN case_key != '' THEN case_key ELSE input END,
       coalesce(unixepoch(CASE WHEN logged_at != '' THEN logged_at ELSE imported_at END), 0)
FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND prompt_version = :version
  AND id <= (SELECT visible_up_to FROM import_state)
"""

# Every current rated label of a rubric, by the primary key's (rubric, …) range. A judge's
# annotator name is 'judge:MODEL' and a person's holds no ':' (core/names.py), so
# "between 'judge:' and 'judge;'" is exactly the judges, as `LIKE 'judge:%'` is elsewhere.
_LABELS = """
SELECT count(*), group_concat(item_id), group_concat(score), group_concat(event_id),
       group_concat(annotator >= 'judge:' AND annotator < 'judge;')
FROM label_state
WHERE rubric = :rubric AND state = 'rated'
"""

_GOLDEN = "SELECT item_id, score FROM golden WHERE rubric = :rubric ORDER BY id"

_OPEN_ROUND_LABELS = """
SELECT group_concat(id) FROM labels INDEXED BY labels_by_round
WHERE round_id IN (SELECT id FROM rounds WHERE rubric = :rubric AND status = 'open')
"""

# Tags and comments of the labels that need them, by id (each a rowid seek).
_NOTES = """
SELECT id, annotator, tags, comment FROM labels
WHERE id IN (SELECT value FROM json_each(:ids)) AND (tags != '[]' OR comment != '')
ORDER BY id
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

    def prompt_table(self, prompt: str, rubrics: Sequence[Rubric]) -> PromptTable:
        """PROMPT's items (rows grouped by version) with every rubric's labels resolved."""
        own_transaction = not self.conn.in_transaction
        if own_transaction:
            self.conn.execute("BEGIN")  # one snapshot for every query below
        try:
            versions = self.versions(prompt)
            ids: list[np.ndarray] = []
            codes: list[np.ndarray] = []
            external: list[str] = []
            case_texts: list[str] = []
            times: list[np.ndarray] = []
            for code, version in enumerate(versions):
                v_ids, v_external, v_cases, v_times = self._version_items(prompt, version)
                ids.append(v_ids)
                codes.append(np.full(v_ids.shape[0], code, dtype=np.int32))
                external.extend(v_external)
                case_texts.extend(v_cases)
                times.append(v_times)
            item_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
            columns = {
                rubric.name: self._column(rubric, item_ids, self.rubric_version(rubric))
                for rubric in rubrics
            }
        finally:
            if own_transaction and self.conn.in_transaction:
                self.conn.execute("COMMIT")
        # Cases coded in the order first seen (rows are in version order, so stable).
        case_index: dict[str, int] = dict.fromkeys(case_texts, 0)
        for n, case in enumerate(case_index):
            case_index[case] = n
        case_codes = np.fromiter(
            map(case_index.__getitem__, case_texts), dtype=np.int32, count=len(case_texts)
        )
        n_human_total = np.zeros(item_ids.shape[0], dtype=np.int32)
        for column in columns.values():
            n_human_total += column.n_human
        return PromptTable(
            prompt=prompt,
            item_ids=item_ids,
            external_ids=tuple(external),
            version_codes=np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32),
            versions=versions,
            case_codes=case_codes,
            cases=tuple(case_index),
            times=(np.concatenate(times) if times else np.zeros(0, dtype=np.int64)).astype(
                "datetime64[s]"
            ),
            n_human_total=n_human_total,
            rubrics=columns,
        )

    def _version_items(
        self, prompt: str, version: str
    ) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
        args = {"prompt": prompt, "version": version}
        count, id_text, ext_text, case_text, time_text = self.conn.execute(
            _VERSION_ITEMS, args
        ).fetchone()
        external = _texts(ext_text, count)
        cases = _texts(case_text, count)
        if external is None or cases is None:
            rows = self.conn.execute(_VERSION_ROWS, args).fetchall()
            return (
                np.array([r[0] for r in rows], dtype=np.int64),
                [str(r[1]) for r in rows],
                [str(r[2]) for r in rows],
                np.array([r[3] for r in rows], dtype=np.int64),
            )
        return _ints(id_text, count), external, cases, _ints(time_text, count)

    def _column(self, rubric: Rubric, item_ids: np.ndarray, version: str) -> RubricColumn:
        n = item_ids.shape[0]
        name = rubric.name
        count, item_text, score_text, event_text, judge_text = self.conn.execute(
            _LABELS, {"rubric": name}
        ).fetchone()
        label_items = _ints(item_text, count)
        scores = _ints(score_text, count)
        events = _ints(event_text, count)
        is_judge = _ints(judge_text, count).astype(bool)
        # Labels of an open calibration round stay out until it closes, as in export.
        (blind_text,) = self.conn.execute(_OPEN_ROUND_LABELS, {"rubric": name}).fetchone()
        if blind_text is not None and count:
            keep = ~np.isin(events, np.fromstring(blind_text, dtype=np.int64, sep=","))
            label_items, scores, events, is_judge = (
                label_items[keep],
                scores[keep],
                events[keep],
                is_judge[keep],
            )
        rows = _rows_of(item_ids, label_items)
        on_prompt = rows >= 0
        human = on_prompt & ~is_judge
        judged = on_prompt & is_judge
        h_rows, h_scores, h_events = rows[human], scores[human], events[human]
        consensus, n_human = _median_low(n, h_rows, h_scores)
        judge, judge_events = _latest(n, rows[judged], scores[judged], events[judged])
        golden = np.full(n, np.nan)
        gold = self.conn.execute(_GOLDEN, {"rubric": name}).fetchall()
        if gold:
            latest = dict(gold)  # in id order: the last one per item wins
            g_rows = _rows_of(item_ids, np.fromiter(latest, dtype=np.int64, count=len(latest)))
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
        people_fail = column.passes(np.where(np.isnan(golden), consensus, golden)) == 0.0
        judge_fail = column.passes(judge) == 0.0
        human_tags, judge_tags, comments = self._notes(
            h_rows, h_events, people_fail, judge_fail, judge_events
        )
        return replace(column, human_tags=human_tags, judge_tags=judge_tags, comments=comments)

    def _notes(
        self,
        h_rows: np.ndarray,
        h_events: np.ndarray,
        people_fail: np.ndarray,
        judge_fail: np.ndarray,
        judge_events: np.ndarray,
    ) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
        """Tags and comments of the rows that FAIL: what the tag report and regressions show.

        Human tags: the people's tags on rows whose golden-or-consensus score FAILs.
        Judge tags: the latest judge label's, where its score FAILs. Comments: the
        people's on either kind of FAIL row, "annotator: comment", in label order.
        """
        need = people_fail | judge_fail
        mine = need[h_rows] if h_rows.shape[0] else np.zeros(0, dtype=bool)
        wanted_h = h_events[mine]
        wanted_h_rows = h_rows[mine]
        j_rows = np.flatnonzero(judge_fail)
        wanted_j = judge_events[j_rows]
        event_ids = np.concatenate([wanted_h, wanted_j])
        event_rows = np.concatenate([wanted_h_rows, j_rows])
        human_tags: dict[int, tuple[str, ...]] = {}
        judge_tags: dict[int, tuple[str, ...]] = {}
        comments: dict[int, tuple[str, ...]] = {}
        if not event_ids.shape[0]:
            return human_tags, judge_tags, comments
        order = np.argsort(event_ids, kind="stable")
        event_ids, event_rows = event_ids[order], event_rows[order]
        tag_sets: dict[int, set[str]] = {}
        notes: dict[int, list[str]] = {}
        found = self.conn.execute(_NOTES, {"ids": json.dumps(event_ids.tolist())})
        for label_id, annotator, tags, comment in found:
            row = int(event_rows[np.searchsorted(event_ids, label_id)])
            names = () if tags == "[]" else tuple(json.loads(tags))
            if annotator.startswith("judge:"):
                if names:
                    judge_tags[row] = tuple(sorted(set(names)))
                continue
            if names and people_fail[row]:
                tag_sets.setdefault(row, set()).update(names)
            if comment.strip():
                notes.setdefault(row, []).append(f"{annotator}: {comment}")
        human_tags = {row: tuple(sorted(tags)) for row, tags in tag_sets.items()}
        comments = {row: tuple(texts) for row, texts in notes.items()}
        return human_tags, judge_tags, comments


def _rows_of(item_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The row of each id in WANTED among ITEM_IDS, -1 for ids not there (another prompt's)."""
    if not item_ids.shape[0] or not wanted.shape[0]:
        return np.full(wanted.shape[0], -1, dtype=np.int64)
    order = np.argsort(item_ids, kind="stable")
    ordered = item_ids[order]
    pos = np.searchsorted(ordered, wanted)
    clipped = np.minimum(pos, ordered.shape[0] - 1)
    hit = ordered[clipped] == wanted
    return np.where(hit, order[clipped], -1)


def _median_low(n: int, rows: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the median-low of its scores (NaN without any) and how many there are."""
    counts = np.bincount(rows, minlength=n).astype(np.int32) if rows.shape[0] else None
    out = np.full(n, np.nan)
    if counts is None:
        return out, np.zeros(n, dtype=np.int32)
    order = np.lexsort((scores, rows))
    ordered = scores[order]
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
    order = np.lexsort((events, rows))
    counts = np.bincount(rows, minlength=n)
    ends = np.cumsum(counts) - 1
    has = counts > 0
    out[has] = scores[order][ends[has]]
    ids[has] = events[order][ends[has]]
    return out, ids
