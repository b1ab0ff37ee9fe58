"""Labels made elsewhere: read them from CSV or JSONL, and bring them into a project."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_annotate.core import jsonsafe, names, snapshot, source
from tui_annotate.core.models import Rubric
from tui_annotate.errors import InputError, ManyInputErrors

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

REQUIRED = ("item_id", "annotator", "score")
OPTIONAL = ("rubric", "comment", "tags")
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


@dataclass(frozen=True, slots=True)
class LabelRow:
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
    name = source.display_name(path)
    source.check_path(path, "labels")
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt not in ("jsonl", "csv"):
        kind = "" if source.is_regular(path) else " (not a regular file, so no extension)"
        raise InputError(
            f"can't tell the format{kind}: name it .jsonl or .csv, or pass --format", file=name
        )
    with source.open_source(path, "labels") as f:  # once: a FIFO or <(cmd) can't be re-read
        raw = f.read()
    if not raw.strip():
        raise InputError("is empty: no labels", file=name)
    source.check_head(raw[: source.HEAD_BYTES], path, "labels")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError("is not valid UTF-8", file=name, line=line) from None
    rows, errors = [], []
    for line, data in _jsonl(text, name) if fmt == "jsonl" else _csv(text, name):
        if isinstance(data, InputError):
            errors.append(data)
            continue
        try:
            rows.append(_row(data, line, name, check_names=check_names))
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise ManyInputErrors(errors)
    if not rows:
        raise InputError("has no labels", file=name)
    return rows


def _jsonl(text: str, name: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, jsonsafe.loads(line)
        except json.JSONDecodeError as exc:
            yield number, InputError(f"invalid JSON: {exc.msg}", file=name, line=number)
        except jsonsafe.JSONProblem as exc:
            yield number, InputError(exc.reason, file=name, line=number, field=exc.field)


def _csv(text: str, name: str) -> Iterator[tuple[int, Any]]:
    # Comments can be long; the csv module's default cap (128 KiB a field) raised csv.Error.
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        yield 1, InputError(f"malformed CSV header: {exc}", file=name, line=1)
        return
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        yield 1, InputError(f"unknown column (known: {', '.join(REQUIRED + OPTIONAL)})",
                            file=name, line=1, field=unknown[0])  # fmt: skip
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
            yield line, InputError(f"has {len(row)} fields but the header has {len(header)}",
                                   file=name, line=line)  # fmt: skip
            continue
        yield line, dict(zip(header, row, strict=True))


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
        line=line, item_id=str(data["item_id"]).strip(), annotator=annotator,
        score=score, rubric=str(data.get("rubric") or "").strip(),
        comment=str(data.get("comment") or ""), tags=tuple(tags),
    )  # fmt: skip


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", bool: "a boolean", type(None): "null"}.get(
        type(value), repr(value)
    )


def import_labels(repo: Repository, path: Path, rubrics: dict[str, Rubric], default: str | None,
                  fmt: str | None = None) -> int:  # fmt: skip
    """Append every label in PATH, or none: unknown items, rubrics or off-scale scores are errors.

    RUBRICS maps the names the file may use to loaded rubrics; DEFAULT names
    the rubric for rows without a `rubric` column.
    """
    rows = read_labels(path, fmt)
    name = str(path)
    errors: list[InputError] = []
    ids = repo.item_ids_by_external({r.item_id for r in rows})
    missing = sorted({r.item_id for r in rows} - set(ids))
    if missing:
        shown = ", ".join(repr(m) for m in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise InputError(f"unknown item ids: {shown}{more} (import the items first)",
                         file=name, field="item_id")  # fmt: skip
    events: list[dict[str, Any]] = []
    for row in rows:
        rubric_name = row.rubric or default
        if not rubric_name:
            errors.append(InputError("no rubric: add a rubric column or pass --rubric",
                                     file=name, line=row.line, field="rubric"))  # fmt: skip
            continue
        rubric = rubrics.get(rubric_name)
        if rubric is None:
            errors.append(InputError(f"unknown rubric {rubric_name!r}", file=name, line=row.line,
                                     field="rubric"))  # fmt: skip
            continue
        if not isinstance(row.score, int) or rubric.level_for(row.score) is None:
            errors.append(InputError(f"{row.score!r} is not on the {rubric.name} scale "
                                     f"{list(rubric.values)}", file=name, line=row.line,
                                     field="score"))  # fmt: skip
            continue
        unknown = [t for t in row.tags if t not in {t.name for t in rubric.tags}]
        if unknown:
            errors.append(InputError(f"unknown tag {unknown[0]!r}", file=name, line=row.line,
                                     field="tags"))  # fmt: skip
            continue
        events.append({
            "item_id": ids[row.item_id], "rubric": rubric.name, "rubric_version": rubric.version,
            "annotator": row.annotator, "score": row.score, "tags": row.tags,
            "comment": row.comment, "meta": {"imported_from": name, "line": row.line},
        })  # fmt: skip
    if errors:
        raise ManyInputErrors(errors)
    for used in {e["rubric"] for e in events}:
        snapshot.register(repo, rubrics[used])
    return repo.append_imported_labels(events)
