"""Make model text safe to put on a terminal: every control character becomes visible."""

from __future__ import annotations

import json
import re

# C0 controls (but \n and \t), DEL, and C1 controls. C1 matters: U+009B is a
# one-byte CSI on terminals that honour 8-bit controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates can make text read differently from
# what it is ("Trojan Source"); show them as code points.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400..U+241F: the Control Pictures block, e.g. ␛ for ESC
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def _codepoint(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def visible(text: str, *, tab: str = "    ") -> str:
    """Return TEXT with every control character replaced by a visible stand-in.

    Line breaks survive (CRLF becomes LF; a lone CR, which would move the
    cursor back over the line, shows as ␍), tabs become spaces,
    ESC shows as ␛ so an ANSI or OSC sequence is printed, not obeyed.
    The result is still plain text: callers must also render it without markup.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n")
    if "\t" in text:
        text = text.replace("\t", tab)
    text = _CONTROL.sub(_picture, text)
    return _BIDI.sub(_codepoint, text)


def one_line(text: str, width: int) -> str:
    """A visible, single-line preview of TEXT cut to WIDTH characters."""
    flat = visible(text).replace("\n", " ⏎ ")
    if len(flat) <= width:
        return flat
    return flat[: width - 1] + "…" if width > 0 else ""


def readable_json(text: str, limit: int = 200_000) -> str:
    """TEXT laid out with indentation if it is a JSON object or array, else TEXT unchanged.

    Tool data is usually stored as compact JSON; indented, an annotator can
    read it field by field. Nothing is added or dropped: only white space.
    """
    stripped = text.strip()
    if len(stripped) > limit or stripped[:1] not in ("{", "[") or "\n" in stripped[:200]:
        return text
    try:
        value = json.loads(stripped)
    except ValueError:
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)
