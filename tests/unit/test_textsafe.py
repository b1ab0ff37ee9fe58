"""Model text on a terminal: every control character becomes something you can see."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_annotate.core.textsafe import one_line, visible

# What must never reach the terminal: C0 controls except \t and \n (tab is expanded
# too, see below), DEL, and the C1 block (U+009B is an 8-bit CSI).
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\u241b[2J"),  # ESC -> ␛: a screen clear is printed, not obeyed
        ("\x1b]0;pwned\x07", "\u241b]0;pwned\u2407"),  # OSC title change with BEL -> ␇
        ("abc\x08\x08\x08xyz", "abc\u2408\u2408\u2408xyz"),  # backspace -> ␈
        ("safe\rEVIL", "safe\u240dEVIL"),  # a lone CR can't overwrite the line
        ("nul\x00byte", "nul\u2400byte"),
        ("del\x7f", "del\u2421"),
        ("\x9b31m", "<U+009B>31m"),  # C1 CSI
        ("\x85", "<U+0085>"),  # C1 NEL
        ("vt\x0bff\x0c", "vt\u240bff\u240c"),
    ],
)
def test_controls_become_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@pytest.mark.parametrize("char", list(BIDI))
def test_bidi_controls_shown_as_code_points(char: str) -> None:
    out = visible(f"a{char}b")
    assert out == f"a<U+{ord(char):04X}>b"
    assert char not in out


def test_trojan_source_line_is_readable() -> None:
    out = visible("access = 'user\u202e \u2066// admin\u2069 \u2066'")
    assert not any(c in out for c in BIDI)
    assert "<U+202E>" in out and "<U+2066>" in out and "<U+2069>" in out


def test_newlines_and_normal_unicode_survive() -> None:
    text = "Hello 👋 world\n注文は発送済みです\ncafé naïve Ångström — “quotes” ½ ✓\n\n[bold]x[/]"
    assert visible(text) == text


def test_crlf_becomes_lf() -> None:
    assert visible("one\r\ntwo\r\n") == "one\ntwo\n"


def test_tabs_become_spaces() -> None:
    assert visible("a\tb") == "a    b"
    assert visible("a\tb", tab="  ") == "a  b"


def test_empty_text() -> None:
    assert visible("") == ""


@given(st.text())
def test_visible_never_emits_control_characters(text: str) -> None:
    out = visible(text)
    assert not FORBIDDEN.search(out)
    assert "\t" not in out
    assert not any(c in out for c in BIDI)
    twice = visible(out)
    assert not FORBIDDEN.search(twice)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs"))))
def test_visible_leaves_printable_text_alone(text: str) -> None:
    assert visible(text) == text


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_one_line_fits_and_has_no_line_breaks(text: str, width: int) -> None:
    out = one_line(text, width)
    assert len(out) <= width
    assert "\n" not in out and "\r" not in out
    assert not FORBIDDEN.search(out)


def test_one_line_cuts_with_an_ellipsis() -> None:
    assert one_line("abcdefghij", 5) == "abcd…"
    assert one_line("abcde", 5) == "abcde"
    assert one_line("a\nb", 20) == "a ⏎ b"
    assert one_line("\x1b[31mred", 20) == "\u241b[31mred"
