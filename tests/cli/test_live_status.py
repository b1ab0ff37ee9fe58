"""The followers' status line: rewritten in place on a terminal, plain lines when piped."""

from __future__ import annotations

import io

import pytest

from tui_annotate.cli import live_status
from tui_annotate.cli.live_status import StatusLine


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_line_is_rewritten_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.setattr(live_status, "REDRAW_EVERY", 0.0)
    line = StatusLine()
    line("live: 1 imported")
    line("live: 2 imported \x1b[31m")  # data in a status is shown, never obeyed
    line.end("live: 2 imported")
    out = screen.getvalue()
    assert out.startswith("\rlive: 1 imported\x1b[K\rlive: 2 imported ")
    assert "\x1b[31m" not in out
    assert out.endswith("\r\x1b[Klive: 2 imported\n")


def test_piped_the_status_is_plain_lines_when_it_changed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(live_status, "STATUS_EVERY", 0.0)
    line = StatusLine()
    assert not line.tty
    line("live: 1 imported")
    line("live: 1 imported")  # unchanged: not repeated
    line("live: 2 imported")
    assert capsys.readouterr().err == "live: 1 imported\nlive: 2 imported\n"
