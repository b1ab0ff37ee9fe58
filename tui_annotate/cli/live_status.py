"""The one-line status of a live follower (`import --follow`, `judge --follow`) on stderr.

Rewritten in place on a terminal; a plain line every STATUS_EVERY seconds,
only when it changed, when stderr is piped (a journal or a log file wants
lines, not carriage returns).
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from tui_annotate.cli.output import say
from tui_annotate.cli.stopping import INTERRUPTED
from tui_annotate.core.textsafe import visible

if TYPE_CHECKING:
    from tui_annotate.core.judge.config import JudgeConfig, RunStats
    from tui_annotate.core.models import Rubric
    from tui_annotate.store.repository import Repository

#: Seconds between status lines when stderr is not a terminal.
STATUS_EVERY = 10.0
#: Seconds between rewrites of the status line on a terminal.
REDRAW_EVERY = 0.5


class StatusLine:
    """Call it with the current status text as often as you like; it decides when to show."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = ""
        self.at = -1e9

    def __call__(self, text: str) -> None:
        at = time.monotonic()
        if at - self.at < (REDRAW_EVERY if self.tty else STATUS_EVERY):
            return
        if text == self.shown and not self.tty:
            return
        self.at, self.shown = at, text
        if self.tty:
            sys.stderr.write("\r" + visible(text) + "\x1b[K")
            sys.stderr.flush()
        else:
            say(text, err=True)

    def end(self, text: str) -> None:
        """The last status, on a line of its own."""
        if self.tty:
            sys.stderr.write("\r\x1b[K")
        say(text, err=True)


def judge_line(stats: RunStats, rounds: int, behind_since: float | None = None) -> str:
    """`judge --follow`'s status: totals since it started, and its lag behind the items
    imported (seconds since it saw items it has not got through yet)."""
    at = time.monotonic()
    elapsed = max(1e-9, at - stats.started)
    waiting = max(0, stats.total - stats.done) if rounds else 0
    lag = 0.0 if behind_since is None else max(0.0, at - behind_since)
    return (
        f"judge live: {stats.judged:,} judged ({stats.judged / elapsed:.2f}/s) · "
        f"{stats.cached:,} from cache · {stats.failed + stats.invalid:,} errors · "
        f"{waiting:,} waiting · lag {lag:.1f} s · "
        f"{stats.prompt_tokens + stats.completion_tokens:,} tokens"
    )


def follow_judge(repo: Repository, rubric: Rubric, config: JudgeConfig) -> None:
    """Run `judge --follow` until Ctrl-C or SIGTERM; then say what is saved and exit 130."""
    import asyncio

    from tui_annotate.core.judge.follow import follow
    from tui_annotate.core.judge.run import RunStats

    stats = RunStats()
    line = StatusLine()
    say(f"judging new items on {rubric.name} as they arrive (Ctrl-C to stop)", err=True)
    try:
        asyncio.run(
            follow(
                repo,
                rubric,
                config,
                stats=stats,
                report=lambda s, rounds, since: line(judge_line(s, rounds, since)),
                say=lambda m: say(f"judge: {m}", err=True),
            )
        )
    except KeyboardInterrupt:
        line.end(judge_line(stats, 1))
        say(
            f"stopped: {stats.judged + stats.cached} judgements are saved; "
            "run the same command to continue where it stopped",
            err=True,
        )
        sys.exit(INTERRUPTED)
