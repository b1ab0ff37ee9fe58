"""Read items from JSONL or CSV, validate every line, and import all of them or none."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from tui_annotate.core import jsonsafe, source
from tui_annotate.core.clock import now
from tui_annotate.core.deferred_signals import interrupts_deferred
from tui_annotate.core.ingest_csv import read_csv
from tui_annotate.core.item_record import SOURCES, Chunk, Progress, item_row
from tui_annotate.core.models import ROW_LINE, ImportResult, NewItem
from tui_annotate.errors import DuplicateItemId, InputError, ManyInputErrors

if TYPE_CHECKING:
    from tui_annotate.store.item_import import ItemImport
    from tui_annotate.store.repository import Repository

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("jsonl", "csv"):
            raise InputError(f"unknown format {fmt!r} (use jsonl or csv)", file=str(path))
        return fmt
    found = FORMATS.get(path.suffix.lower())
    if found is None and not source.is_regular(path):
        raise InputError(
            "is not a regular file, so it has no extension to tell the format by; "
            "pass --format jsonl|csv",
            file=source.display_name(path),
        )
    if found is None:
        raise InputError(
            f"can't tell the format from the extension {path.suffix or '(none)'!r}; "
            "name the file .jsonl or .csv, or pass --format jsonl|csv",
            file=str(path),
        )
    return found


def _check_file(path: Path) -> None:
    """Fail early, with a clear message, on a path that is not a file of items.

    Without opening it: a FIFO or `<(cmd)` can be read only once, by the
    reader, which checks the content (empty? binary?) as it reads.
    """
    source.check_path(path, "items")


#: Lines per chunk handed to the parsing process.
CHUNK_LINES = 20_000
#: Files larger than this are parsed in a second process while this one writes.
PARALLEL_BYTES = 16 * 1024 * 1024

# A parse error as plain data (reason, line, field), so it crosses processes cheaply.
ErrorTuple = tuple[str, int, str | None]


def parse_jsonl_lines(
    lines: list[bytes], first: int, file: str, defaults: Mapping[str, str], stamp: str
) -> tuple[list[NewItem], list[ErrorTuple]]:
    """Parse a run of JSONL lines starting at line FIRST; blank lines yield nothing."""
    items: list[NewItem] = []
    errors: list[ErrorTuple] = []
    for number, raw in enumerate(lines, start=first):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append((f"is not valid UTF-8 (byte {exc.start + 1})", number, None))
            continue
        if not text.strip():
            continue
        try:
            data = jsonsafe.loads(text)
        except json.JSONDecodeError as exc:
            errors.append((f"invalid JSON: {exc.msg} at column {exc.colno}", number, None))
            continue
        except jsonsafe.JSONProblem as exc:
            errors.append((exc.reason, number, exc.field))
            continue
        try:
            items.append(item_row(data, number, file, defaults, False, stamp))
        except InputError as exc:
            errors.append((exc.reason, number, exc.field))
    return items, errors


def _in_worker(
    lines: list[bytes], first: int, file: str, defaults: Mapping[str, str], stamp: str
) -> tuple[list[NewItem], list[ErrorTuple]]:
    """What the parsing process runs (by name, so it always finds this module's parser)."""
    return parse_jsonl_lines(lines, first, file, defaults, stamp)


def _die_with(parent: int) -> None:
    """A parsing process's initializer: exit once the import that started it is gone.

    A `kill -9` of the import gives its workers no signal; blocked on their
    task queue they would otherwise wait forever, holding memory.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _line_chunks(
    f: BinaryIO, path: Path, progress: Progress | None
) -> Iterator[tuple[list[bytes], int]]:
    """Runs of lines from F, the first checked for an empty or binary source."""
    first = 1
    done = 0  # bytes read so far: a pipe has no tell()
    while True:
        lines = f.readlines(CHUNK_LINES * 512)
        if first == 1:
            source.check_head(_head(lines), path, "items")
        if not lines:
            break
        yield lines, first
        first += len(lines)
        if progress is not None:
            done += sum(map(len, lines))
            progress(done)


def _head(lines: list[bytes]) -> bytes:
    """The first HEAD_BYTES of LINES, without joining a whole chunk."""
    head = bytearray()
    for line in lines:
        head += line[: source.HEAD_BYTES - len(head)]
        if len(head) >= source.HEAD_BYTES:
            break
    return bytes(head)


def _size(f: BinaryIO) -> int:
    """F's size if it is a regular file (also one redirected to stdin); 0 for a pipe."""
    try:
        info = os.fstat(f.fileno())
    except (OSError, ValueError):  # an in-memory stream (tests' stdin) has no descriptor
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def read_jsonl(
    path: Path, defaults: Mapping[str, str], stamp: str, progress: Progress | None = None
) -> Iterator[Chunk]:
    """Yield the items and errors of each stretch of the file, in order.

    A large file is parsed in a second process, chunk by chunk, while this
    process writes what is already parsed: the two halves of an import each
    get a core.
    """
    with source.open_source(path, "items") as f:
        yield from _read_jsonl(f, path, defaults, stamp, progress)


def _read_jsonl(
    f: BinaryIO, path: Path, defaults: Mapping[str, str], stamp: str, progress: Progress | None
) -> Iterator[Chunk]:
    file = source.display_name(path)

    def chunk(parsed: tuple[list[NewItem], list[ErrorTuple]]) -> Chunk:
        items, errors = parsed
        return items, [InputError(r, file=file, line=n, field=f) for r, n, f in errors]

    if _size(f) < PARALLEL_BYTES:
        for lines, first in _line_chunks(f, path, progress):
            yield chunk(parse_jsonl_lines(lines, first, file, defaults, stamp))
        return
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    pending: list[tuple[Future[tuple[list[NewItem], list[ErrorTuple]]] | None, list[bytes], int]]
    pending = []
    broken = False

    def result(entry: tuple[Any, list[bytes], int]) -> Chunk:
        """A chunk's result; should the parsing process die, parse it here instead."""
        nonlocal broken
        future, lines, first = entry
        if future is not None and not broken:
            try:
                return chunk(future.result())
            except Exception:  # a dead worker (BrokenProcessPool), not a bad line
                broken = True
        return chunk(parse_jsonl_lines(lines, first, file, defaults, stamp))

    with ProcessPoolExecutor(
        max_workers=2, mp_context=context, initializer=_die_with, initargs=(os.getpid(),)
    ) as pool:
        for lines, first in _line_chunks(f, path, progress):
            future = None
            if not broken:
                try:
                    # The first submit starts the parsing processes: an interrupt must not
                    # cut one's start-up data in half (core/deferred_signals.py).
                    with interrupts_deferred():
                        future = pool.submit(_in_worker, lines, first, file, dict(defaults), stamp)
                except Exception:
                    broken = True
            pending.append((future, lines, first))
            if len(pending) >= 4:  # bounded read-ahead: memory stays flat
                yield result(pending.pop(0))
        while pending:
            yield result(pending.pop(0))


#: Items per write transaction, and text bytes: each transaction holds the
#: write lock for a few milliseconds only, so annotators' saves get in between.
CHUNK_ITEMS = 1_000
CHUNK_BYTES = 1_000_000
#: The default cap on an item's text (Settings.max_item_bytes).
DEFAULT_MAX_ITEM_BYTES = 1_000_000
# Positions in a NewItem (see core/models.py).
ROW_OUTPUT, ROW_INPUT, ROW_CONTEXT, ROW_FILE = 3, 4, 5, 10
_TEXT_FIELDS = (("output", ROW_OUTPUT), ("input", ROW_INPUT), ("context", ROW_CONTEXT))
_OVER = "the item's text is "


def import_items(
    repo: Repository,
    path: Path,
    *,
    fmt: str | None = None,
    prompt: str | None = None,
    prompt_version: str | None = None,
    source: str | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    max_item_bytes: int = DEFAULT_MAX_ITEM_BYTES,
    waiting: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import PATH: every good line, or (on any error) nothing at all.

    With skip_invalid the good lines go in and the bad ones are returned.
    Items already present (same content) are counted as duplicates, not errors.
    An item whose text is over MAX_ITEM_BYTES is a bad line.

    The items are written in short chunks that annotators' labels slip in
    between, invisible until the last one is in (store/item_import.py);
    WAITING(who) is told when another import must finish first.
    """
    if source is not None and source not in SOURCES:
        raise InputError(f"--source {source!r} must be 'batch' or 'live'")
    _check_file(path)
    fmt = detect_format(path, fmt)
    defaults = {
        k: v
        for k, v in (("prompt", prompt), ("prompt_version", prompt_version), ("source", source))
        if v
    }
    reader = read_jsonl if fmt == "jsonl" else read_csv
    errors: list[InputError] = []
    skipped: list[InputError] = []  # id clashes found while writing (with --skip-invalid)
    read = inserted = 0
    batch: list[NewItem] = []
    size = 0
    sink = skipped if skip_invalid else None
    with repo.bulk_insert(), repo.item_import(waiting) as session:
        for items, bad in reader(path, defaults, now(), progress):
            errors.extend(bad)
            read += len(items)
            items = _within_size(items, max_item_bytes, errors)
            if errors and not skip_invalid:
                continue  # keep reading to report every bad line, but write nothing more
            for item in items:
                batch.append(item)
                size += _text_chars(item)
                if len(batch) >= CHUNK_ITEMS or size >= CHUNK_BYTES:
                    inserted += _write(session, batch, path, sink, errors)
                    batch, size = [], 0
        if not errors or skip_invalid:
            inserted += _write(session, batch, path, sink, errors)
        if errors and not skip_invalid:
            raise ManyInputErrors(errors)
        errors.extend(skipped)
        errors.sort(key=lambda e: e.line or 0)
        read -= len(skipped) + sum(1 for e in errors if e.reason.startswith(_OVER))
        if read == 0:
            raise ManyInputErrors(errors) if errors else InputError("has no items", file=str(path))
        session.publish()
    return ImportResult(
        file=str(path),
        read=read,
        inserted=inserted,
        duplicates=read - inserted,
        invalid=tuple(e.format() for e in errors),
    )


def _text_chars(item: NewItem) -> int:
    """Characters of output, input and context (positions 3, 4 and 5 of a NewItem)."""
    return len(item[3]) + len(item[4]) + len(item[5])


def _within_size(items: list[NewItem], limit: int, errors: list[InputError]) -> list[NewItem]:
    """ITEMS whose text (input, context and output) is at most LIMIT bytes in UTF-8;
    each other one becomes an error naming its largest field."""
    # A character is at most four bytes: most items are settled by their length alone.
    if all(_text_chars(item) * 4 <= limit for item in items):
        return items
    kept: list[NewItem] = []
    for item in items:
        if _text_chars(item) * 4 <= limit:
            kept.append(item)
            continue
        sizes = {
            name: len(str(item[i]).encode("utf-8", "surrogatepass")) for name, i in _TEXT_FIELDS
        }
        total = sum(sizes.values())
        if total <= limit:
            kept.append(item)
            continue
        field = max(sizes, key=lambda name: sizes[name])
        errors.append(
            InputError(
                f"{_OVER}{total:,} bytes ({field}: {sizes[field]:,}), over max_item_bytes = {limit:,}; "
                "raise it with --max-item-bytes, TUI_ANNOTATE_MAX_ITEM_BYTES or max_item_bytes in "
                "tui-annotate.toml",
                file=str(item[ROW_FILE]),
                line=int(item[ROW_LINE]),
                field=field,
            )
        )
    return kept


def _write(
    session: ItemImport,
    batch: list[NewItem],
    path: Path,
    sink: list[InputError] | None,
    errors: list[InputError],
) -> int:
    """_flush, with an id clash (when not skipping) added to ERRORS: the import then
    stops writing but reads on, to report every bad line at once."""
    try:
        return _flush(session, batch, path, sink)
    except InputError as exc:
        errors.append(exc)
        return 0


def _flush(
    session: ItemImport, batch: list[NewItem], path: Path, skipped: list[InputError] | None
) -> int:
    """Insert a batch; an id that names other content in the database is an error.

    With SKIPPED (--skip-invalid) such a line is dropped and listed, and the
    rest of the batch goes in; otherwise the error ends the import.
    """
    while batch:
        try:
            return session.write(batch, recoverable=skipped is not None)
        except DuplicateItemId as exc:
            error = InputError(
                f"id {exc.external_id!r} already names a different item (in the database, "
                "or earlier in this file)",
                file=str(path),
                line=exc.line,
                field="id",
            )
            if skipped is None:
                raise error from None
            skipped.append(error)
            batch = [item for item in batch if item[ROW_LINE] != exc.line]
    return 0
