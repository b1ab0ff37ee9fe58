"""A prompt's items as integer columns, read from one covering index: the rows of every decision table.

Deciding needs of each item its id, version, case and time, all integers
since migration m011: `case_hash` (the case text's hash) and `happened_at`
(Unix seconds), both written by import, sit with the id and the version in
`items_by_prompt (prompt, prompt_version, id, case_hash, happened_at)`. One
aggregate reads a range of that index, a row per version, and
`group_concat` strings each column together in SQLite's C loop; numpy
parses each in one call. No row's own pages are touched (long outputs) and
no Python string is made per item: the texts people read (external ids,
case names) are fetched when a report or screen names a row
(`core/decide/rowtexts.py`).

Rows a writer left without a hash (inserted by hand through the `items`
view) or with a time SQLite can't read are found by `IS NULL` and filled
here, a row at a time: correct, and slow only for data import did not write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from tui_annotate.core.case_hash import case_hash
from tui_annotate.core.decide.rowtexts import RowTexts
from tui_annotate.store.db import connect

# The prompt's items, a row per version: each column one string (ids in id order). Import
# writes every hash and time: the read without a NULL, checked by counting what came.
_ITEMS = """
SELECT prompt_version, count(*), group_concat(id), group_concat({case_hash}),
       group_concat({happened_at})
FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state)
GROUP BY prompt_version
"""

_CASE_TEXT = "CASE WHEN case_key != '' THEN case_key ELSE input END"

# Rows import did not write: no case hash, or a time SQLite can't read.
_NO_HASH = f"""
SELECT id, {_CASE_TEXT} FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state)
  AND case_hash IS NULL
"""
_NO_TIME = """
SELECT id, CASE WHEN logged_at != '' THEN logged_at ELSE imported_at END
FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND id <= (SELECT visible_up_to FROM import_state)
  AND happened_at IS NULL
"""

# Texts of the given items, by id.
_TEXTS = "SELECT id, {expr} FROM items_all WHERE id IN (SELECT value FROM json_each(:ids))"


class ItemTexts:
    """Fetches item texts by id for a table's `RowTexts`, after the table is built.

    On a database file, each fetch opens a read-only connection of its own:
    the table may be read in another thread than the one that built it, and
    long after its transaction ended (an item's texts never change). A
    database in memory is read on its one connection.
    """

    def __init__(self, path: str, conn: sqlite3.Connection) -> None:
        self.file = Path(path) if path != ":memory:" and Path(path).is_file() else None
        self.conn = conn

    def fetch(self, expr: str, ids: Sequence[int]) -> list[str]:
        if not ids:
            return []
        conn = connect(self.file, readonly=True) if self.file is not None else self.conn
        try:
            found = dict(
                conn.execute(_TEXTS.format(expr=expr), {"ids": json.dumps(list(ids))}).fetchall()
            )
        finally:
            if conn is not self.conn:
                conn.close()
        # An item deleted since the table was read (a re-import): its id stands in.
        return [str(found.get(i, f"#{i}")) for i in ids]

    def ids_of_external(self, external_id: str) -> list[int]:
        conn = connect(self.file, readonly=True) if self.file is not None else self.conn
        try:
            rows = conn.execute(
                "SELECT id FROM items_all WHERE external_id = ?", (external_id,)
            ).fetchall()
        finally:
            if conn is not self.conn:
                conn.close()
        return [int(r[0]) for r in rows]


class StaleRead(Exception):
    """The items name a version the caller did not know: read in a newer snapshot."""


def read_items(
    conn: sqlite3.Connection, prompt: str, versions: tuple[str, ...], texts: ItemTexts
) -> Items:
    """The prompt's items as columns, rows in item id order (see the module docstring)."""
    if not versions:
        return Items.empty()
    groups = conn.execute(
        _ITEMS.format(case_hash="case_hash", happened_at="happened_at"), {"prompt": prompt}
    ).fetchall()
    parts = _parse_groups(groups, versions)
    complete = parts is not None
    if parts is None:  # a NULL hash or time somewhere: read again with stand-ins, then fill
        groups = conn.execute(
            _ITEMS.format(
                case_hash="coalesce(case_hash, 0)", happened_at="coalesce(happened_at, 0)"
            ),
            {"prompt": prompt},
        ).fetchall()
        parts = _parse_groups(groups, versions, strict=True)
        complete = False
        if parts is None:  # strict: never; for the type checker
            raise ValueError("items read with stand-ins for NULL still missed some")
    ids, version_codes, hashes, seconds = parts
    count = ids.shape[0]
    if not count:
        return Items.empty()
    # Rows in item id order (each version's are): labels are found by a binary search.
    if not bool((ids[1:] > ids[:-1]).all()):
        order = np.argsort(ids, kind="stable")  # a merge of one sorted run per version
        ids, version_codes = ids[order], version_codes[order]
        hashes, seconds = hashes[order], seconds[order]
    if not complete:
        rows = conn.execute(_NO_HASH, {"prompt": prompt}).fetchall()
        at = np.searchsorted(ids, np.array([r[0] for r in rows], dtype=np.int64))
        hashes[at] = [case_hash(str(r[1])) for r in rows]
        rows = conn.execute(_NO_TIME, {"prompt": prompt}).fetchall()
        at = np.searchsorted(ids, np.array([r[0] for r in rows], dtype=np.int64))
        seconds[at] = [parse_seconds(str(r[1])) for r in rows]
    case_codes, first_rows, keys = code_hashes(hashes)

    def locate_case(text: str) -> np.ndarray:
        return np.flatnonzero(keys == case_hash(text))

    def locate_item(external_id: str) -> np.ndarray:
        wanted = np.array(texts.ids_of_external(external_id), dtype=np.int64)
        pos = np.minimum(np.searchsorted(ids, wanted), count - 1)
        return pos[ids[pos] == wanted]

    return Items(
        ids,
        version_codes.astype(np.int32),
        RowTexts(ids, lambda at: texts.fetch("external_id", at), locate_item),
        case_codes,
        RowTexts(ids[first_rows], lambda at: texts.fetch(_CASE_TEXT, at), locate_case),
        seconds.astype("datetime64[s]"),
    )


def _parse_groups(
    groups: list[tuple[str, int, str, str | None, str | None]],
    versions: tuple[str, ...],
    *,
    strict: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(ids, version codes, case hashes, seconds) of the per-version rows of _ITEMS; None
    when a hash or time was NULL (group_concat left it out) and not STRICT."""
    code = {v: n for n, v in enumerate(versions)}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for version, count, id_text, hash_text, time_text in groups:
        if version not in code:
            raise StaleRead(version)
        ids = parse_ints(id_text, count)
        hashes = _parse_some(hash_text, count)
        seconds = _parse_some(time_text, count)
        if hashes is None or seconds is None:
            if strict:
                raise ValueError(f"{version}: expected {count} numbers")
            return None
        parts.append((ids, np.full(count, code[version], dtype=np.int32), hashes, seconds))
    if not parts:
        none = np.zeros(0, dtype=np.int64)
        return none, none.astype(np.int32), none, none
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
    )


def _parse_some(text: str | None, count: int) -> np.ndarray | None:
    """COUNT comma-separated integers, or None when fewer came (NULLs left out)."""
    if text is None:
        return None
    out = np.fromstring(text, dtype=np.int64, sep=",")
    return out if out.shape[0] == count else None


def watermark(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT visible_up_to FROM import_state").fetchone()[0])


class Items:
    """The prompt's items as columns, rows in item id order."""

    def __init__(
        self,
        ids: np.ndarray,
        versions: np.ndarray,
        external: Sequence[str],
        case_codes: np.ndarray,
        cases: Sequence[str],
        times: np.ndarray,
    ) -> None:
        self.ids, self.versions, self.external = ids, versions, external
        self.case_codes, self.cases, self.times = case_codes, cases, times
        # Item id -> row, as one array where the ids are dense enough (they usually are: a
        # prompt's items come in by the thousand): a lookup instead of a binary search.
        span = int(ids[-1] - ids[0]) + 1 if ids.shape[0] else 0
        self._first = int(ids[0]) if ids.shape[0] else 0
        self._row_of: np.ndarray | None = None
        if ids.shape[0] and span <= 4 * ids.shape[0] + 1024:
            self._row_of = np.full(span, -1, dtype=np.int64)
            self._row_of[ids - self._first] = np.arange(ids.shape[0])

    @classmethod
    def empty(cls) -> Items:
        none = np.zeros(0, dtype=np.int64)
        return cls(
            none, none.astype(np.int32), (), none.astype(np.int32), (), none.astype("datetime64[s]")
        )

    def rows_of(self, wanted: np.ndarray) -> np.ndarray:
        """The row of each item id in WANTED, -1 for ids not here (another prompt's)."""
        if not self.ids.shape[0] or not wanted.shape[0]:
            return np.full(wanted.shape[0], -1, dtype=np.int64)
        if self._row_of is not None:
            at = wanted - self._first
            inside = (at >= 0) & (at < self._row_of.shape[0])
            if bool(inside.all()):
                return self._row_of[at]
            out = np.full(wanted.shape[0], -1, dtype=np.int64)
            out[inside] = self._row_of[at[inside]]
            return out
        pos = np.searchsorted(self.ids, wanted)
        clipped = np.minimum(pos, self.ids.shape[0] - 1)
        return np.where(self.ids[clipped] == wanted, clipped, -1)


def parse_ints(text: str | None, count: int) -> np.ndarray:
    """A group_concat of COUNT integers as an int64 array."""
    if not count or text is None:
        return np.zeros(0, dtype=np.int64)
    out = np.fromstring(text, dtype=np.int64, sep=",")
    if out.shape[0] != count:  # never for integers; a guard against a silent misparse
        raise ValueError(f"expected {count} numbers, parsed {out.shape[0]}")
    return out


def parse_seconds(text: str) -> int:
    """Unix seconds of a stored time ("…Z" or "+00:00"); 0 when it can't be read."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def code_hashes(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each row's case code, the first row of each case, each case's hash), codes in the
    order cases are first seen (item id order, the same in every process)."""
    if not hashes.shape[0]:
        none = np.zeros(0, dtype=np.int64)
        return none.astype(np.int32), none, none
    keys, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return rank[inverse].astype(np.int32), first[order], keys[order]
