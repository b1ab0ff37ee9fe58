"""The followers' status line: rewritten in place on a terminal, plain lines when piped."""

from __future__ import annotations

import io
import re
import time

import pytest

from tests.openai_server import FakeOpenAI
from tui_annotate.cli import live_status
from tui_annotate.cli.live_status import StatusLine, judge_line
from tui_annotate.core.judge.config import JudgeConfig, RunStats
from tui_annotate.core.judge.follow import follow
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository


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


async def test_judge_follow_reports_its_lag_behind_the_items(
    sample_repo: Repository, faithfulness: Rubric, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a round runs, the judge is behind since it saw the items; after it, caught up."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-lag")
    clock = iter(float(n) for n in range(100, 200))
    seen: list[tuple[int, float | None]] = []

    def report(stats: RunStats, rounds: int, behind_since: float | None) -> None:
        seen.append((stats.done, behind_since))

    with FakeOpenAI() as server:
        config = JudgeConfig(model="fake-lag", base_url=server.url, backoff_base=0.01)
        looks = iter(range(3))
        stats = await follow(
            sample_repo,
            faithfulness,
            config,
            stats=RunStats(),
            report=report,
            stop=lambda: next(looks, None) is None,
            clock=lambda: next(clock),
            poll_seconds=0.0,
        )
    assert stats.judged > 0
    during = [since for done, since in seen[:-3]]  # the progress of the one round
    assert during and set(during) == {100.0}  # behind since the first look at the items
    assert seen[-3:] == [(stats.done, None)] * 3  # after each of the 3 looks: caught up
    at = time.monotonic()
    assert " · lag 0.0 s · " in judge_line(stats, 1, None)
    assert re.search(r" · lag (\d+)\.\d s · ", judge_line(stats, 1, at - 42.0))
    lag = float(re.findall(r" · lag (\d+\.\d) s · ", judge_line(stats, 1, at - 42.0))[0])
    assert 42.0 <= lag < 60.0
