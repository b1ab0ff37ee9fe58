"""Read items from a CSV file: a header naming the fields, then one item per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from pathlib import Path

from tui_annotate.core import source
from tui_annotate.core.item_record import FIELDS, Chunk, Progress, item_row
from tui_annotate.core.models import NewItem
from tui_annotate.errors import InputError

#: Items and errors per chunk the CSV reader yields.
BATCH = 5_000


def read_csv(
    path: Path, defaults: Mapping[str, str], stamp: str, progress: Progress | None = None
) -> Iterator[Chunk]:
    """Yield the items and errors of the CSV file in chunks; BOM, CRLF, quoted newlines are fine."""
    items: list[NewItem] = []
    errors: list[InputError] = []
    for record in _csv_records(path, defaults, stamp, progress):
        if isinstance(record, InputError):
            errors.append(record)
        else:
            items.append(record)
        if len(items) + len(errors) >= BATCH:
            yield items, errors
            items, errors = [], []
    yield items, errors


def _csv_records(
    path: Path, defaults: Mapping[str, str], stamp: str, progress: Progress | None
) -> Iterator[NewItem | InputError]:
    file = source.display_name(path)
    with source.open_source(path, "items") as f:
        raw = f.read()
    source.check_head(raw[: source.HEAD_BYTES], path, "items")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        yield InputError(f"is not valid UTF-8 (byte {exc.start + 1})", file=file, line=line)
        return
    # Retrieved documents can be long; the csv module's default cap is 128 KiB per field.
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        yield InputError(f"has no CSV header ({exc})", file=file, line=1)
        return
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in FIELDS]
    if unknown:
        yield InputError(
            f"unknown column (known: {', '.join(FIELDS)})", file=file, line=1, field=unknown[0]
        )
        return
    if "output" not in header:
        yield InputError(
            "missing column: every item needs an output", file=file, line=1, field="output"
        )
        return
    dupes = {h for h in header if header.count(h) > 1}
    if dupes:
        yield InputError("column appears twice", file=file, line=1, field=sorted(dupes)[0])
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield InputError(f"malformed CSV: {exc}", file=file, line=start)
            return
        line, start = start, reader.line_num + 1
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield InputError(
                f"has {len(row)} fields but the header has {len(header)}", file=file, line=line
            )
            continue
        data = {k: v for k, v in zip(header, row, strict=True) if not (k != "output" and v == "")}
        try:
            yield item_row(data, line, file, defaults, True, stamp)
        except InputError as exc:
            yield exc
    if progress is not None:
        progress(len(raw))
