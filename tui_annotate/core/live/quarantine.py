"""A quarantined line parsed again (`import --retry-quarantine`), and what makes a line live."""

from __future__ import annotations

from collections.abc import Mapping

from tui_annotate.core import ingest
from tui_annotate.core.clock import now
from tui_annotate.core.models import NewItem
from tui_annotate.errors import InputError

#: Position of `source` in a NewItem (core/models.py).
ROW_SOURCE = 8


def as_live(item: NewItem) -> NewItem:
    row = list(item)
    row[ROW_SOURCE] = "live"
    return tuple(row)  # type: ignore[return-value]


def quarantined_item(
    raw: str, file: str, line: int, defaults: Mapping[str, str], max_item_bytes: int
) -> tuple[NewItem | None, InputError | None]:
    """Parse a quarantined line again: (item, None) or (None, why it is still bad)."""
    items, errors = ingest.parse_jsonl_lines([raw.encode("utf-8")], line, file, defaults, now())
    problems = [InputError(r, file=file, line=n, field=f) for r, n, f in errors]
    items = ingest._within_size(items, max_item_bytes, problems)
    if problems:
        return None, problems[0]
    if not items:
        return None, InputError("is blank", file=file, line=line)
    return as_live(items[0]), None
