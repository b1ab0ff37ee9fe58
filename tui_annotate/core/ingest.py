"""Read items from JSONL or CSV, validate every line, and import all of them or none."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from tui_annotate.core import jsonsafe, source
from tui_annotate.core.clock import now
from tui_annotate.core.models import ROW_LINE, ImportResult, NewItem
from tui_annotate.errors import DuplicateItemId, InputError, ManyInputErrors

if TYPE_CHECKING:
    from tui_annotate.store.item_import import ItemImport
    from tui_annotate.store.repository import Repository

FIELDS = ("id", "input", "output", "context", "prompt", "prompt_version", "source", "metadata")
JSONL_ONLY = ("messages",)
SOURCES = ("batch", "live")
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
BATCH = 5_000

Progress = Callable[[int], None]


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


# Made once: json.dumps(..., ensure_ascii=False) builds a new encoder on every call,
# which is most of its cost when called a million times.
# allow_nan=False: a float that overflowed as it was read (1e999) is refused here, where
# it is written, rather than stored as `Infinity`, which is not JSON.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_JSON_SORTED = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False)
_KEY = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def content_hash(fields: Mapping[str, str]) -> str:
    """Identity by content: the same input, context, output, prompt and version is one item."""
    key = [fields["input"], fields["context"], fields["output"], fields["prompt"],
           fields["prompt_version"]]  # fmt: skip
    return hashlib.sha256(_KEY.encode(key).encode()).hexdigest()


def _text(value: Any, field: str, err: Callable[[str, str], InputError]) -> str:
    """Text fields accept a string; context also accepts structured tool data."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if field == "context" and isinstance(value, dict | list):
        # Compact, as the C encoder writes it fastest; the app lays JSON out for
        # reading when it shows it.
        try:
            return _JSON.encode(value)
        except ValueError:
            raise err(field, jsonsafe.TOO_LARGE) from None
    if (
        field in ("id", "prompt_version")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        if isinstance(value, float) and not math.isfinite(value):
            raise err(field, jsonsafe.TOO_LARGE)
        return str(value)
    raise err(field, f"must be a string, not {_type_name(value)}")


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", bool: "a boolean", int: "a number",
            float: "a number", str: "a string", type(None): "null"}.get(type(value), type(value).__name__)  # fmt: skip


def _from_messages(messages: Any, err: Callable[[str, str], InputError]) -> dict[str, str]:
    """OpenAI chat format: the last assistant message is the output, tool results the context."""
    if not isinstance(messages, list) or not messages:
        raise err("messages", "must be a non-empty array of {role, content} objects")
    parts: list[tuple[str, str]] = []
    for n, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            raise err(f"messages[{n}]", "must be an object with 'role' and 'content'")
        content = message.get("content") or ""
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(
                p.get("text", "")
                for p in content
                if isinstance(p, dict) and p.get("type") == "text"
            )
        if not isinstance(content, str):
            raise err(f"messages[{n}].content", f"must be a string, not {_type_name(content)}")
        parts.append((str(message["role"]), content))
    last = max((i for i, (role, _) in enumerate(parts) if role == "assistant"), default=None)
    if last is None:
        raise err("messages", "has no assistant message to rate")
    before = parts[:last]
    return {
        "output": parts[last][1],
        "input": "\n\n".join(f"{role}: {text}" for role, text in before if role != "tool"),
        "context": "\n\n".join(text for role, text in before if role == "tool"),
    }


def _record(
    data: Any, line: int, file: str, defaults: Mapping[str, str], csv_mode: bool, stamp: str
) -> NewItem:
    def err(field: str, reason: str) -> InputError:
        return InputError(reason, file=file, line=line, field=field)

    if not isinstance(data, dict):
        raise InputError(f"must be a JSON object, not {_type_name(data)}", file=file, line=line)
    allowed = FIELDS if csv_mode else FIELDS + JSONL_ONLY
    for key in data:
        if key not in allowed:
            raise err(key, f"unknown field (known: {', '.join(allowed)})")
    fields: dict[str, str] = {}
    if "messages" in data:
        for clash in ("input", "output"):
            if data.get(clash) not in (None, ""):
                raise err(clash, "can't be given together with 'messages'")
        fields.update(_from_messages(data["messages"], err))
        if data.get("context"):
            fields["context"] = _text(data["context"], "context", err)
    else:
        for name in ("input", "output", "context"):
            fields[name] = _text(data.get(name), name, err)
        if "output" not in data or data["output"] is None:
            raise err("output", "is required")
    if not fields["output"].strip():
        raise err("output", "is empty")
    for name in ("prompt", "prompt_version"):
        fields[name] = _text(data.get(name), name, err) or defaults.get(name, "")
    source = _text(data.get("source"), "source", err) or defaults.get("source", "batch")
    if source not in SOURCES:
        raise err("source", f"{source!r} must be 'batch' or 'live'")
    metadata = data.get("metadata")
    if csv_mode and isinstance(metadata, str):
        try:
            metadata = jsonsafe.loads(metadata) if metadata.strip() else {}
        except json.JSONDecodeError as exc:
            raise err("metadata", f"is not valid JSON: {exc.msg}") from None
        except jsonsafe.JSONProblem as exc:
            raise err("metadata", exc.reason) from None
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise err("metadata", f"must be an object, not {_type_name(metadata)}")
    try:
        stored = _JSON_SORTED.encode(metadata) if metadata else "{}"
    except ValueError:
        raise err("metadata", jsonsafe.TOO_LARGE) from None
    digest = content_hash(fields)
    external_id = _text(data.get("id"), "id", err).strip() or f"h{digest[:16]}"
    for name, value in (*fields.items(), ("id", external_id)):
        if "\x00" in value:  # from a CSV cell or a \u0000 escape; no text to rate holds one
            raise err(name, "holds a NUL character (U+0000)")
    return (
        external_id, digest, int(digest[:15], 16), fields["output"], fields["input"],
        fields["context"], fields["prompt"], fields["prompt_version"], source,
        stored, file, line, stamp,
    )  # fmt: skip


#: Lines per chunk handed to the parsing process.
CHUNK_LINES = 20_000
#: Files larger than this are parsed in a second process while this one writes.
PARALLEL_BYTES = 16 * 1024 * 1024

# A parse error as plain data (reason, line, field), so it crosses processes cheaply.
ErrorTuple = tuple[str, int, str | None]
#: What the readers yield: the good items of a stretch of the file, and its bad lines.
Chunk = tuple[list[NewItem], list[InputError]]


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
            items.append(_record(data, number, file, defaults, False, stamp))
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

    with ProcessPoolExecutor(max_workers=2, mp_context=context, initializer=_die_with,
                             initargs=(os.getpid(),)) as pool:  # fmt: skip
        for lines, first in _line_chunks(f, path, progress):
            future = None
            if not broken:
                try:
                    future = pool.submit(_in_worker, lines, first, file, dict(defaults), stamp)
                except Exception:
                    broken = True
            pending.append((future, lines, first))
            if len(pending) >= 4:  # bounded read-ahead: memory stays flat
                yield result(pending.pop(0))
        while pending:
            yield result(pending.pop(0))


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
        yield InputError("missing column: every item needs an output", file=file, line=1,
                         field="output")  # fmt: skip
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
            yield _record(data, line, file, defaults, True, stamp)
        except InputError as exc:
            yield exc
    if progress is not None:
        progress(len(raw))


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
    defaults = {k: v for k, v in
                (("prompt", prompt), ("prompt_version", prompt_version), ("source", source)) if v}  # fmt: skip
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


def _write(session: ItemImport, batch: list[NewItem], path: Path,
           sink: list[InputError] | None, errors: list[InputError]) -> int:  # fmt: skip
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
                file=str(path), line=exc.line, field="id",
            )  # fmt: skip
            if skipped is None:
                raise error from None
            skipped.append(error)
            batch = [item for item in batch if item[ROW_LINE] != exc.line]
    return 0
