"""One line of an item file checked field by field and turned into a row to store.

Both readers (JSONL in ingest.py, CSV in ingest_csv.py) hand each record here, so a
field means the same, and is refused with the same message, whatever the format.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tui_annotate.core import jsonsafe
from tui_annotate.core.models import NewItem
from tui_annotate.errors import InputError

FIELDS = (
    "id",
    "input",
    "output",
    "context",
    "prompt",
    "prompt_version",
    "source",
    "metadata",
    "case",
    "timestamp",
)
JSONL_ONLY = ("messages",)
SOURCES = ("batch", "live")

#: Called with the bytes read so far, for a progress bar.
Progress = Callable[[int], None]
#: What the readers yield: the good items of a stretch of the file, and its bad lines.
Chunk = tuple[list[NewItem], list[InputError]]

# Made once: json.dumps(..., ensure_ascii=False) builds a new encoder on every call,
# which is most of its cost when called a million times.
# allow_nan=False: a float that overflowed as it was read (1e999) is refused here, where
# it is written, rather than stored as `Infinity`, which is not JSON.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_JSON_SORTED = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False)
_KEY = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def content_hash(fields: Mapping[str, str]) -> str:
    """Identity by content: the same input, context, output, prompt and version is one item.

    `case` and `timestamp` stay out on purpose. The case only says which items
    two versions are compared on: a file re-imported with cases added (or
    renamed) must find its items, and their labels, rather than make a second
    copy to label again. The time says when a response was logged: the same
    response logged twice is still one thing to rate.
    """
    key = [
        fields["input"],
        fields["context"],
        fields["output"],
        fields["prompt"],
        fields["prompt_version"],
    ]
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
        field in ("id", "prompt_version", "case", "metadata.case")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        if isinstance(value, float) and not math.isfinite(value):
            raise err(field, jsonsafe.TOO_LARGE)
        return str(value)
    raise err(field, f"must be a string, not {_type_name(value)}")


def _case(
    data: Mapping[str, Any], metadata: Mapping[str, Any], err: Callable[[str, str], InputError]
) -> str:
    """The `case` field, else `metadata.case` (where log exporters put extra keys), else ''."""
    case = _text(data.get("case"), "case", err).strip()
    if not case and "case" in metadata:
        case = _text(metadata["case"], "metadata.case", err).strip()
    return case


_TIME_HELP = (
    "write it in ISO 8601 with a zone, e.g. 2026-03-01T10:00:00Z or 2026-03-01T12:00:00+02:00"
)


def _timestamp(value: Any, err: Callable[[str, str], InputError]) -> str:
    """An ISO 8601 time with a zone, as UTC "YYYY-MM-DDTHH:MM:SSZ"; '' when absent.

    A time without a zone is refused rather than guessed: a log's local time read
    as UTC would move every item by hours, and windows by week would split wrong.
    """
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise err("timestamp", f"must be a string, not {_type_name(value)}; {_TIME_HELP}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise err("timestamp", f"{value[:40]!r} is not an ISO 8601 time; {_TIME_HELP}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise err("timestamp", f"{value[:40]!r} has no time zone; {_TIME_HELP}")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise err("timestamp", f"{value[:40]!r} is out of range; {_TIME_HELP}") from None
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        type(None): "null",
    }.get(type(value), type(value).__name__)


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


def item_row(
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
    case = _case(data, metadata, err)
    logged_at = _timestamp(data.get("timestamp"), err)
    digest = content_hash(fields)
    external_id = _text(data.get("id"), "id", err).strip() or f"h{digest[:16]}"
    for name, value in (*fields.items(), ("id", external_id), ("case", case)):
        if "\x00" in value:  # from a CSV cell or a \u0000 escape; no text to rate holds one
            raise err(name, "holds a NUL character (U+0000)")
    return (
        external_id,
        digest,
        int(digest[:15], 16),
        fields["output"],
        fields["input"],
        fields["context"],
        fields["prompt"],
        fields["prompt_version"],
        source,
        stored,
        file,
        line,
        stamp,
        case,
        logged_at,
    )
