"""Per-item resolution over label columns: the median-low of the people, the judge's latest.

The store hands over every current label of a rubric as three arrays (row,
score, label id); these reduce them per row with one sort each, as
core/resolve.py does one item at a time (export's way), so both agree.
"""

from __future__ import annotations

import numpy as np

#: (row, score) packed as row × PACK + score + PACK / 2 sorts as one integer.
PACK = 1 << 20


def median_low_per_row(
    n: int, rows: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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
    # Stable: timsort, about linear on the few sorted runs (one per annotator) it is given.
    ordered = np.sort(rows * PACK + (scores + PACK // 2), kind="stable") % PACK - PACK // 2
    starts = np.cumsum(counts) - counts
    has = counts > 0
    out[has] = ordered[starts[has] + (counts[has] - 1) // 2]
    return out, counts


def latest_per_row(
    n: int, rows: np.ndarray, scores: np.ndarray, events: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the score of the label with the highest id (NaN without any), and that id.

    EVENTS may be empty when every row has at most one label: the ids are then 0."""
    out = np.full(n, np.nan)
    ids = np.zeros(n, dtype=np.int64)
    if not rows.shape[0]:
        return out, ids
    counts = np.bincount(rows, minlength=n)
    if counts.max() == 1:  # one judge per item, the usual case: nothing to choose
        out[rows] = scores
        if events.shape[0]:  # not read when nothing needs them (store/decide.py)
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


def has_repeats(ids: np.ndarray) -> bool:
    """Does an id occur twice? (Labels of one annotator come in item order: then a glance.)"""
    if ids.shape[0] < 2:
        return False
    if bool((ids[1:] > ids[:-1]).all()):
        return False
    return bool(np.unique(ids).shape[0] < ids.shape[0])


def unique_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(ids, return_inverse=True), without its sort when IDS already increase
    (one annotator's labels, read by the primary key, come in item order)."""
    if ids.shape[0] < 2 or bool((ids[1:] > ids[:-1]).all()):
        return ids, np.arange(ids.shape[0])
    # A stable sort (timsort for int64) of a few sorted runs, one per annotator: about
    # linear, where np.unique's quicksort is not.
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    first = np.empty(ordered.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(ids.shape[0], dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse
