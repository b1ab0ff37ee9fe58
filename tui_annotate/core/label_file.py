"""Label files made elsewhere (CSV or JSONL): read once as a stream, each row checked.

`import-labels` brings these rows into a project (core/label_import.py);
`agreement --file` only counts them.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from tui_annotate.core import jsonsafe, names, source
from tui_annotate.errors import InputError, ManyInputErrors

REQUIRED = ("item_id", "annotator", "score")
OPTIONAL = ("rubric", "comment", "tags")
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class LabelRow(NamedTuple):
    """One label of a file. A named tuple, not a frozen dataclass: it is built once per
    line, and a 600,000-line import spent 0.3 s in the dataclass's __init__ alone."""

    line: int
    item_id: str
    annotator: str
    score: Any  # a number, or a string for nominal data read with agreement --file
    rubric: str = ""
    comment: str = ""
    tags: tuple[str, ...] = ()


def _number(value: Any) -> Any:
    """Scores read from CSV arrive as text: '4' is the number 4, 'PASS' stays a string."""
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_labels(path: Path, fmt: str | None = None, *, check_names: bool = True) -> list[LabelRow]:
    """Every row of a label file, or ManyInputErrors naming each bad line and field.

    PATH is read once ('-' is standard input). CHECK_NAMES holds annotator
    names to the rule of core.names, as for labels that enter a project;
    `agreement --file` reads names it only counts, and may pass False.
    """
    rows, errors = [], []
    for row in iter_labels(path, fmt, check_names=check_names):
        if isinstance(row, InputError):
            errors.append(row)
        else:
            rows.append(row)
    if errors:
        raise ManyInputErrors(errors)
    if not rows:
        raise InputError("has no labels", file=source.display_name(path))
    return rows


def iter_labels(
    path: Path, fmt: str | None = None, *, check_names: bool = True
) -> Iterator[LabelRow | InputError]:
    """Each row of a label file, or the error of its line, read once as a stream.

    A source that can't be read as labels at all (missing, a loop, binary,
    not UTF-8) raises InputError instead. A FIFO or <(cmd) can't be re-read,
    so nothing here seeks.
    """
    name = source.display_name(path)
    source.check_path(path, "labels")
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt not in ("jsonl", "csv"):
        kind = "" if source.is_regular(path) else " (not a regular file, so no extension)"
        raise InputError(
            f"can't tell the format{kind}: name it .jsonl or .csv, or pass --format", file=name
        )
    with source.open_source(path, "labels") as f:
        head = f.read(source.HEAD_BYTES)
        if not head.strip() and len(head) < source.HEAD_BYTES:
            raise InputError("is empty: no labels", file=name)
        source.check_head(head, path, "labels")
        good_names: set[str] | None = set() if check_names else None
        if fmt == "jsonl":
            yield from _jsonl_rows(_text_blocks(head, f, name), name, good_names, check_names)
            return
        lines = _decoded(_byte_lines(head, f), name)
        for line, data in _csv(lines, name):
            if isinstance(data, InputError):
                yield data
                continue
            row = _plain_row(data, line, good_names)
            if row is not None:
                yield row
                continue
            try:
                yield _row(data, line, name, check_names=check_names)
            except InputError as exc:
                yield exc


def _jsonl_rows(
    blocks: Iterable[list[str]], name: str, good_names: set[str] | None, check_names: bool
) -> Iterator[LabelRow | InputError]:
    """The rows of a JSONL file's lines, BLOCKS of them at a time.

    One loop, not a generator per step (bytes, text, JSON, row): a 600,000-line
    file went through four generators a line, a fifth of the time spent reading it.
    """
    loads, plain = jsonsafe.loads, _plain_row
    number = 0
    for lines in blocks:
        for text in lines:
            number += 1
            try:
                data = loads(text)
            except json.JSONDecodeError as exc:
                if text.strip():
                    yield InputError(f"invalid JSON: {exc.msg}", file=name, line=number)
                continue
            except jsonsafe.JSONProblem as exc:
                yield InputError(exc.reason, file=name, line=number, field=exc.field)
                continue
            row = plain(data, number, good_names)
            if row is not None:
                yield row
                continue
            try:
                yield _row(data, number, name, check_names=check_names)
            except InputError as exc:
                yield exc


def _text_blocks(head: bytes, f: IO[bytes], name: str) -> Iterator[list[str]]:
    """The lines of HEAD and then F (without their line ends), about 1 MiB of them at a time.

    A block of whole lines is decoded at once: UTF-8 never puts a newline byte
    inside a character, so that is the same as decoding line by line, until a
    block has bad UTF-8; that block is decoded line by line, for the line's number.
    """
    number, rest, block = 0, b"", head
    if block.startswith(b"\xef\xbb\xbf"):
        block = block[3:]
    while block:
        data = rest + block
        block = f.read(1 << 20)
        if block:  # keep the last, perhaps partial, line for the next block
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            rest, data = data[cut + 1 :], data[:cut]
        try:
            lines = data.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            for offset, part in enumerate(data.split(b"\n"), start=number + 1):
                try:
                    part.decode("utf-8")
                except UnicodeDecodeError:
                    raise InputError("is not valid UTF-8", file=name, line=offset) from None
            raise  # not reached: a line of the block failed above
        number += len(lines)
        yield lines


def _byte_lines(head: bytes, f: IO[bytes]) -> Iterator[bytes]:
    """HEAD, then the rest of F, as lines with their line ends (read in blocks, never seeking)."""
    pending, block = b"", head
    while block:
        parts = (pending + block).split(b"\n")
        pending = parts.pop()
        for part in parts:
            yield part + b"\n"
        block = f.read(1 << 20)
    if pending:
        yield pending


def _decoded(raw_lines: Iterable[bytes], name: str) -> Iterator[str]:
    """The lines as text, line ends kept; bad UTF-8 is an error naming its line."""
    for number, raw in enumerate(raw_lines, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("is not valid UTF-8", file=name, line=number) from None


def _csv(text: Iterable[str], name: str) -> Iterator[tuple[int, Any]]:
    # Comments can be long; the csv module's default cap (128 KiB a field) raised csv.Error.
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(text)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        yield 1, InputError(f"malformed CSV header: {exc}", file=name, line=1)
        return
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        yield (
            1,
            InputError(
                f"unknown column (known: {', '.join(REQUIRED + OPTIONAL)})",
                file=name,
                line=1,
                field=unknown[0],
            ),
        )
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the reader can't go on past it
            yield start, InputError(f"malformed CSV: {exc}", file=name, line=start)
            return
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield (
                line,
                InputError(
                    f"has {len(row)} fields but the header has {len(header)}", file=name, line=line
                ),
            )
            continue
        yield line, dict(zip(header, row, strict=True))


_KNOWN = frozenset(REQUIRED + OPTIONAL)


def _plain_row(data: Any, line: int, good_names: set[str] | None) -> LabelRow | None:
    """The LabelRow of DATA when it is a plain, valid record, else None (then _row decides).

    The common record (string ids, an integer or text score, string rubric and
    comment, tags absent, a list or 'a;b') is checked here with a few type tests;
    whatever is unusual, valid or not, goes to _row, whose checks, in their
    order, give the message. So this only ever returns what _row would return.
    GOOD_NAMES holds the annotator names already found to follow core.names
    (a file of 600,000 labels has a handful of names; None: names aren't checked).
    """
    if type(data) is not dict or not data.keys() <= _KNOWN:
        return None
    item_id = data.get("item_id")
    annotator = data.get("annotator")
    score = data.get("score")
    if type(item_id) is not str or type(annotator) is not str or not item_id or not annotator:
        return None
    annotator = annotator.strip()
    if good_names is not None and annotator not in good_names:
        if names.problem(annotator) is not None:
            return None
        good_names.add(annotator)
    if type(score) is str:
        if not score or "\x00" in score:
            return None
        score = _number(score)
        if type(score) is float and not math.isfinite(score):
            return None
    elif type(score) is not int:
        return None  # floats, booleans, null, containers: rare; _row says what they are
    tags = data.get("tags") or ()
    if type(tags) is str:
        if "\x00" in tags:
            return None
        tags = tuple(t.strip() for t in tags.split(";") if t.strip())
    elif type(tags) is list:
        for tag in tags:
            if type(tag) is not str:
                return None
        tags = tuple(tags)
    elif tags != ():
        return None
    rubric = data.get("rubric", "")  # null is no string: _row refuses it
    comment = data.get("comment", "")
    if type(rubric) is not str or type(comment) is not str:
        return None
    if "\x00" in item_id or "\x00" in rubric or "\x00" in comment:
        return None
    return LabelRow(line, item_id.strip(), annotator, score, rubric.strip(), comment, tags)


def _row(data: Any, line: int, name: str, *, check_names: bool = True) -> LabelRow:
    """One label file record (a JSON object, or a CSV row as a dict) as a LabelRow, or why not."""

    def err(field: str, reason: str) -> InputError:
        return InputError(reason, file=name, line=line, field=field)

    if not isinstance(data, dict):
        raise InputError("must be an object", file=name, line=line)
    for key in data:
        if key not in REQUIRED + OPTIONAL:
            raise err(key, f"unknown field (known: {', '.join(REQUIRED + OPTIONAL)})")
    for key in REQUIRED:
        if data.get(key) in (None, ""):
            raise err(key, "is required")
    for key in ("item_id", "annotator"):  # ids may be numbers, as `import` lets them be
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise err(key, f"must be a string, not {_kind(value)}")
    annotator = str(data["annotator"]).strip()
    if check_names:
        names.check(annotator, field="annotator", file=name, line=line)
    score = _number(data["score"])
    if isinstance(score, bool) or not isinstance(score, int | float | str):
        raise err("score", f"must be a number or a category, not {_kind(score)}")
    if isinstance(score, float) and not math.isfinite(score):
        raise err("score", f"must be a finite number, not {score}")
    tags = data.get("tags") or ()
    if isinstance(tags, str):
        tags = tuple(t.strip() for t in tags.split(";") if t.strip())
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise err("tags", "must be a list of tag names (or 'a;b' in CSV)")
    for key in ("rubric", "comment"):
        if not isinstance(data.get(key, ""), str):
            raise err(key, "must be a string")
    for key in ("item_id", "rubric", "comment", "tags", "score"):
        if "\x00" in str(data.get(key) or ""):  # a CSV cell or a \u0000 escape
            raise err(key, "holds a NUL character (U+0000)")
    return LabelRow(
        line=line,
        item_id=str(data["item_id"]).strip(),
        annotator=annotator,
        score=score,
        rubric=str(data.get("rubric") or "").strip(),
        comment=str(data.get("comment") or ""),
        tags=tuple(tags),
    )


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", bool: "a boolean", type(None): "null"}.get(
        type(value), repr(value)
    )
