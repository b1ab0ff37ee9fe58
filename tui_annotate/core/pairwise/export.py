"""A pairwise task's votes as CSV or JSONL: one row per annotator's current vote on a pair.

Everything needed to redo the statistics elsewhere: the pair, its case and
items (external ids), both versions (a listed first), the choice relative to
the versions, the winning version, the version shown on the left, tags,
comment, seconds and when. CSV joins tags with ';'.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from typing import TextIO

COLUMNS = (
    "task",
    "pair",
    "case",
    "version_a",
    "version_b",
    "item_a",
    "item_b",
    "annotator",
    "choice",
    "winner",
    "left_version",
    "tags",
    "comment",
    "seconds",
    "created_at",
)


def write(out: TextIO, rows: Iterable[Mapping[str, object]], fmt: str) -> int:
    """ROWS (store/pairwise.py `export_rows`) to OUT in FMT; returns how many."""
    count = 0
    if fmt == "jsonl":
        encode = json.JSONEncoder(ensure_ascii=False).encode
        for row in rows:
            out.write(encode({c: row[c] for c in COLUMNS}) + "\n")
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        tags = row["tags"]
        writer.writerow(
            [
                ";".join(map(str, tags)) if c == "tags" and isinstance(tags, list) else row[c]
                for c in COLUMNS
            ]
        )
        count += 1
    return count
