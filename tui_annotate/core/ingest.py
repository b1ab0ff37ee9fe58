"""Read items from JSONL or CSV, validate every line, and import all of them or none."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_annotate.core.models import ImportResult, NewItem
from tui_annotate.errors import DuplicateItemId, InputError, ManyInputErrors

if TYPE_CHECKING:
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
    if found is None:
        raise InputError(
            f"can't tell the format from the extension {path.suffix or '(none)'!r}; "
            "name the file .jsonl or .csv, or pass --format jsonl|csv",
            file=str(path),
        )
    return found


def _check_file(path: Path) -> None:
    """Fail early, with a clear message, on things that are not a text file of items."""
    name = str(path)
    if not path.exists():
        raise InputError("no such file", file=name)
    if path.is_dir():
        raise InputError("is a directory, not a file of items", file=name)
    with path.open("rb") as f:
        head = f.read(8192)
    if not head:
        raise InputError("is empty: no items to import", file=name)
    if b"\x00" in head:
        raise InputError("is a binary file, not JSONL or CSV text", file=name)


def content_hash(fields: Mapping[str, str]) -> str:
    """Identity by content: the same input, context, output, prompt and version is one item."""
    key = [fields["input"], fields["context"], fields["output"], fields["prompt"],
           fields["prompt_version"]]  # fmt: skip
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()


def _text(value: Any, field: str, err: Callable[[str, str], InputError]) -> str:
    """Text fields accept a string; context also accepts structured tool data."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if field == "context" and isinstance(value, dict | list):
        return json.dumps(value, indent=2, ensure_ascii=False)
    if (
        field in ("id", "prompt_version")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
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
    data: Any, line: int, file: str, defaults: Mapping[str, str], csv_mode: bool
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
            metadata = json.loads(metadata) if metadata.strip() else {}
        except json.JSONDecodeError as exc:
            raise err("metadata", f"is not valid JSON: {exc.msg}") from None
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise err("metadata", f"must be an object, not {_type_name(metadata)}")
    digest = content_hash(fields)
    external_id = _text(data.get("id"), "id", err).strip() or f"h{digest[:16]}"
    return NewItem(
        external_id=external_id,
        content_hash=digest,
        rank=int(digest[:15], 16),
        output=fields["output"],
        input=fields["input"],
        context=fields["context"],
        prompt=fields["prompt"],
        prompt_version=fields["prompt_version"],
        source=source,
        metadata=json.dumps(metadata, ensure_ascii=False, sort_keys=True),
        line=line,
    )


def read_jsonl(
    path: Path, defaults: Mapping[str, str], progress: Progress | None = None
) -> Iterator[NewItem | InputError]:
    """Yield an item or an error for every non-blank line, in order."""
    file = str(path)
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if progress is not None and number % 10_000 == 0:
                progress(f.tell())
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield InputError(
                    f"is not valid UTF-8 (byte {exc.start + 1})", file=file, line=number
                )
                continue
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield InputError(f"invalid JSON: {exc.msg} at column {exc.colno}", file=file,
                                 line=number)  # fmt: skip
                continue
            try:
                yield _record(data, number, file, defaults, csv_mode=False)
            except InputError as exc:
                yield exc
        if progress is not None:
            progress(f.tell())


def read_csv(
    path: Path, defaults: Mapping[str, str], progress: Progress | None = None
) -> Iterator[NewItem | InputError]:
    """Yield an item or an error per CSV record; BOM, CRLF and quoted newlines are fine."""
    file = str(path)
    raw = path.read_bytes()
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
            yield _record(data, line, file, defaults, csv_mode=True)
        except InputError as exc:
            yield exc
    if progress is not None:
        progress(len(raw))


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
) -> ImportResult:
    """Import PATH in one transaction: every good line, or (on any error) nothing at all.

    With skip_invalid the good lines go in and the bad ones are returned.
    Items already present (same content) are counted as duplicates, not errors.
    """
    if source is not None and source not in SOURCES:
        raise InputError(f"--source {source!r} must be 'batch' or 'live'")
    _check_file(path)
    fmt = detect_format(path, fmt)
    defaults = {k: v for k, v in
                (("prompt", prompt), ("prompt_version", prompt_version), ("source", source)) if v}  # fmt: skip
    reader = read_jsonl if fmt == "jsonl" else read_csv
    errors: list[InputError] = []
    read = inserted = 0
    batch: list[NewItem] = []
    seen_ids: dict[str, str] = {}
    with repo.transaction():
        for record in reader(path, defaults, progress):
            if isinstance(record, InputError):
                errors.append(record)
                continue
            other = seen_ids.setdefault(record.external_id, record.content_hash)
            if other != record.content_hash:
                errors.append(InputError(
                    f"id {record.external_id!r} is used earlier in this file for different content",
                    file=str(path), line=record.line, field="id"))  # fmt: skip
                continue
            read += 1
            if errors and not skip_invalid:
                continue  # keep reading to report every bad line, but write nothing more
            batch.append(record)
            if len(batch) >= BATCH:
                inserted += _flush(repo, batch, path, errors if skip_invalid else None)
                batch = []
        if errors and not skip_invalid:
            raise ManyInputErrors(errors)
        inserted += _flush(repo, batch, path, errors if skip_invalid else None)
        if read == 0:
            raise ManyInputErrors(errors) if errors else InputError("has no items", file=str(path))
    return ImportResult(
        file=str(path),
        read=read,
        inserted=inserted,
        duplicates=read - inserted,
        invalid=tuple(e.format() for e in errors),
    )


def _flush(
    repo: Repository, batch: list[NewItem], path: Path, skipped: list[InputError] | None
) -> int:
    """Insert a batch; an id that names other content in the database is an error.

    With SKIPPED (--skip-invalid) such a line is dropped and listed, and the
    rest of the batch goes in; otherwise the error ends the import.
    """
    while batch:
        try:
            return repo.insert_items(batch, str(path))
        except DuplicateItemId as exc:
            error = InputError(
                f"id {exc.external_id!r} already names a different item in the database",
                file=str(path), line=exc.line, field="id",
            )  # fmt: skip
            if skipped is None:
                raise error from None
            skipped.append(error)
            batch = [item for item in batch if item.line != exc.line]
    return 0
