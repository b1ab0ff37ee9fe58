"""The tags and comments of the labels that FAIL, read for the items that need them.

A report names a regressed case's tags and the people's comments on it; at a
million items most do not FAIL, so these are read by a seek per FAIL item
(and per label id), never by a scan: store/decide.py asks with the item ids
its resolved scores FAIL on.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np

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


def people_notes(
    conn: sqlite3.Connection, rubric: str, wanted: np.ndarray, blind: np.ndarray | None
) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
    """Item id -> tags, and item id -> comments ("annotator: comment", in label order),
    of the people's labels on the items WANTED (those whose people's score FAILs)."""
    if not wanted.shape[0]:
        return {}, {}
    (found,) = conn.execute(
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


def judge_tags(
    conn: sqlite3.Connection, item_ids: np.ndarray, events: np.ndarray
) -> dict[int, tuple[str, ...]]:
    """Item id -> the tags of its latest judge label (EVENTS, one per item of ITEM_IDS)."""
    if not item_ids.shape[0]:
        return {}
    (found,) = conn.execute(_LABEL_TAGS, {"ids": json.dumps(events.tolist())}).fetchone()
    tagged = json.loads(found)
    if not tagged:
        return {}
    item_of = dict(zip(events.tolist(), item_ids.tolist(), strict=True))
    return {
        item_of[label_id]: (tags[0],) if len(tags) == 1 else tuple(sorted(set(tags)))
        for label_id, tags in tagged
    }
