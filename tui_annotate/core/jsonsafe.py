"""Decode JSON from files people hand us into values the database can store, or say why not.

Python's json module accepts more than SQLite and other JSON readers can
take back: `NaN` and `Infinity` (and `1e999`, which becomes infinity) are
not JSON, a lone surrogate escape such as `"\\ud800"` decodes to a string that
can't be encoded as UTF-8, nesting a thousand levels deep raises
RecursionError, and a 5,000-digit number a ValueError. Each of these crashed
an import with a traceback, or stored invalid JSON. Here each is a reason
naming the top-level field at fault, found on the one line that has it: the
checks that run on every line are substring counts in C, so a clean import
pays almost nothing for them: a line they clear goes straight to the C
scanner, and only a line that fails there is decoded again, carefully, for
its exact message.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

#: Deepest nesting of objects and arrays accepted in a line (the line's own object is level 1).
MAX_DEPTH = 100

# A \uD800-\uDFFF escape: surrogates can only come from escapes (strict UTF-8 decoding
# refuses encoded ones), and a line without one needs no check.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# Strings (whose brackets don't count), brackets, and commas (which end a top-level value).
_TOKENS = re.compile(_STRING + r"|[\[\]{},]")
_STRINGS = re.compile(_STRING)
# Outside strings, keep only brackets, all as [ and ]: their kind doesn't change the depth.
_SHAPE = {code: None for code in range(128)} | {
    ord("["): "[",
    ord("{"): "[",
    ord("]"): "]",
    ord("}"): "]",
}


SURROGATE_REASON = (
    "holds a lone surrogate escape (like \\ud800): not a character, so not storable as text"
)
#: For callers that find an infinite float (1e999 decodes to one) as they store it.
TOO_LARGE = "holds a number too large to store (like 1e999)"


class JSONProblem(ValueError):
    """A line that decodes to nothing we can store: REASON, at top-level FIELD when known."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def _refuse_constant(name: str) -> Any:
    raise JSONProblem(f"holds {name}, which is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
# The decoder's scanner, called without decode()'s Python wrapper (and its two regex
# matches) on the fast path; JSON's whitespace, which is all that may follow a document.
# (Set by JSONDecoder.__init__, so in the instance dict; the stubs don't declare it.)
_SCAN: Callable[[str, int], tuple[Any, int]] = vars(_DECODER)["scan_once"]
_JSON_SPACE = " \t\n\r"


def loads(text: str) -> Any:
    """Decode one JSON document, refusing what can't be stored (see the module docstring).

    Raises JSONProblem (a ValueError) with the top-level field at fault when
    the document is an object; json.JSONDecodeError for text that isn't JSON.
    A literal too large for a float (1e999) still decodes, to infinity: finding
    it would cost every line a scan, so whoever stores numbers checks them
    (ingest's encoders, with allow_nan=False, refuse it as they write).
    """
    # The fast path, for the clean line of a big file: the C scanner straight on TEXT, when
    # a cheap scan shows none of the checks below could matter (too few brackets to nest
    # too deep, no \u escape to hide a surrogate). Anything it can't take (leading space,
    # a NaN, a huge integer, text that isn't JSON) goes the careful way below, which
    # decodes it again and gives the exact error.
    brackets = text.count("[") + text.count("{")
    if brackets <= MAX_DEPTH and "\\u" not in text:
        try:
            data, end = _SCAN(text, 0)
        except (StopIteration, ValueError):
            pass
        else:
            if end == len(text) or not text[end:].strip(_JSON_SPACE):
                return data
    # Nesting deeper than MAX_DEPTH needs more brackets than that: most lines stop here.
    if brackets > MAX_DEPTH and _too_deep(text):
        with contextlib.suppress(RecursionError):
            json.loads(text)  # text that isn't JSON at all is reported as such
        raise JSONProblem(f"is nested more than {MAX_DEPTH} levels deep", _deep_field(text))
    try:
        data = _DECODER.decode(text)
    except JSONProblem as exc:
        raise JSONProblem(exc.reason, _field_where(json.loads(text), _not_finite)) from None
    except RecursionError:  # not reached after _too_deep; kept so it can never escape
        raise JSONProblem(f"is nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer longer than Python's 4,300-digit limit
        reason = "holds a number with more than 4,300 digits" if "digits" in str(exc) else str(exc)
        raise JSONProblem(reason) from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        field = _field_where(data, _has_surrogate)
        if field is not None:
            raise JSONProblem(SURROGATE_REASON, field or None)
    return data


def _field_where(data: Any, bad: Callable[[Any], bool]) -> str | None:
    """The top-level key whose key or value is BAD; '' when DATA is not an object but is bad."""
    if isinstance(data, dict):
        for key, value in data.items():
            if bad(key) or bad(value):
                return "(a field name)" if bad(key) else key
        return None
    return "" if bad(data) else None


def _walk(value: Any) -> Iterator[Any]:
    """Every value and key inside VALUE, without recursion (depth is bounded, but be safe)."""
    stack = [value]
    while stack:
        v = stack.pop()
        yield v
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _not_finite(value: Any) -> bool:
    return any(type(v) is float and not math.isfinite(v) for v in _walk(value))


def _has_surrogate(value: Any) -> bool:
    return any(isinstance(v, str) and _LONE_SURROGATE.search(v) for v in _walk(value))


def _too_deep(text: str) -> bool:
    """True if TEXT nests objects and arrays deeper than MAX_DEPTH (or never closes them).

    In C-speed passes, not a Python loop over every bracket (a context of
    thousands of small records has thousands): drop the strings, keep the
    brackets, then strip the innermost pairs, one level per pass. (Anything
    else left outside strings is not JSON, and the decoder will say so.)
    """
    shape = _STRINGS.sub("", text).translate(_SHAPE)
    if len(shape) - len(shape.lstrip("[")) > MAX_DEPTH:  # the usual crafted line: [[[[…
        return True
    for _ in range(MAX_DEPTH):
        if not shape:
            return False
        shape = shape.replace("[]", "")
    return bool(shape)


def _deep_field(text: str) -> str | None:
    """The top-level key under which TEXT nests deeper than MAX_DEPTH (for the message)."""
    depth = 0
    in_object = False  # is level 1 an object (whose strings after '{' or ',' are keys)?
    expect_key = False
    key: str | None = None  # the top-level key whose value is being read
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("{", "["):
            depth += 1
            if depth > MAX_DEPTH:
                return key
            if depth == 1:
                in_object = expect_key = token == "{"
        elif token in ("}", "]"):
            depth -= 1
        elif depth == 1 and in_object:
            if token == ",":
                expect_key = True
            elif expect_key and token.startswith('"'):
                key, expect_key = _string(token), False
    return None


def _string(token: str) -> str | None:
    try:
        value = json.loads(token)
    except ValueError:
        return None
    return value if isinstance(value, str) and not _LONE_SURROGATE.search(value) else None
