"""The one rule for annotator names, used wherever a name comes in; `judge:` is the judge's.

Names arrive from `annotate --annotator`, label files, `calibrate start
--annotators` and `agreement --annotators`. They are printed in tables,
joined with ',' and ';' in lists and exports, and `judge:MODEL` marks an LLM
judge's labels (agreement, routing and export tell judges from people by it).
A label file once brought in `judge:evil` as a "judge", and names holding
escape sequences; so one rule, checked at every door, with one message.
"""

from __future__ import annotations

import re
import unicodedata

from tui_annotate.errors import InputError

#: Labels from annotator JUDGE_PREFIX + model are the LLM judge's; no person's name starts so.
JUDGE_PREFIX = "judge:"
MAX_LENGTH = 64
RULE = (
    f"1–{MAX_LENGTH} characters: letters, digits, single spaces inside the name, "
    "and . _ - @ + ('judge:' names are the LLM judge's)"
)
_PUNCTUATION = frozenset("._-@+")
_DOUBLE_SPACE = re.compile("  ")


def problem(name: str) -> str | None:
    """Why NAME is not a person's annotator name, or None when it is one."""
    if not name:
        return "is empty"
    if name.startswith(JUDGE_PREFIX):
        return "starts with 'judge:', which only the LLM judge's labels may"
    if len(name) > MAX_LENGTH:
        return f"is {len(name)} characters long"
    if name != name.strip() or _DOUBLE_SPACE.search(name):
        return "has a space at its start or end, or two in a row"
    first = unicodedata.category(name[0])
    if first[0] not in "LN":
        return "must start with a letter or a digit"
    for char in name:
        if char == " " or char in _PUNCTUATION:
            continue
        # Letters, digits and the marks that some scripts write letters with.
        if unicodedata.category(char)[0] not in "LNM":
            return f"holds {_describe(char)}"
    return None


def check(name: str, *, field: str, file: str | None = None, line: int | None = None) -> str:
    """NAME when it follows the rule; else an InputError naming the place, the field and the rule."""
    reason = problem(name)
    if reason is not None:
        shown = name if len(name) <= MAX_LENGTH else name[:MAX_LENGTH] + "…"
        raise InputError(
            f"annotator name {shown!r} {reason}; a name is {RULE}",
            file=file,
            line=line,
            field=field,
        )
    return name


def is_judge(name: str) -> bool:
    return name.startswith(JUDGE_PREFIX)


def judge_name(model: str) -> str:
    """The annotator name of the LLM judge MODEL's labels."""
    return JUDGE_PREFIX + model


def _describe(char: str) -> str:
    if char == ":":
        return "':' (reserved: 'judge:' names are the LLM judge's)"
    if char in ",;":
        return f"{char!r}, which separates names in lists"
    code = f"U+{ord(char):04X}"
    if unicodedata.category(char)[0] == "C" or char.isspace():
        return f"a control or invisible character ({code})"
    return f"{char!r} ({code})"
