"""`judge --follow`: judge items as a live follower imports them, until stopped.

Each round is an ordinary judge run (concurrency, retries, the cache, each
result committed as it arrives), started when the highest visible item id
moves: new items arrived. Stopping (Ctrl-C, SIGTERM) loses nothing, and the
next start's first round picks up every item still unjudged, so it resumes
where it stopped. An item whose request failed is tried again in the next
round, i.e. when more items arrive, not in a loop of its own.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui_annotate.core.judge.config import JudgeConfig, RunStats
from tui_annotate.core.judge.run import run
from tui_annotate.core.models import Rubric

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

#: Seconds between looks for new items.
POLL_SECONDS = 0.5


async def follow(
    repo: Repository,
    rubric: Rubric,
    config: JudgeConfig,
    *,
    stats: RunStats,
    report: Callable[[RunStats, int], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
    say: Callable[[str], None] | None = None,
    client_factory: Callable[[], Any] | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> RunStats:
    """Judge new items round after round until STOP; REPORT(stats, rounds) after each look."""
    seen: int | None = None
    rounds = 0
    while not stop():
        mark = repo.items_mark()
        if mark != seen:
            seen = mark
            rounds += 1
            client = client_factory() if client_factory is not None else None
            progress = None
            if report is not None:
                progress = functools.partial(_progress, report, rounds)
            await run(repo, rubric, config, client=client, stats=stats, say=say, progress=progress)
        if report is not None:
            report(stats, rounds)
        await asyncio.sleep(poll_seconds)
    return stats


def _progress(report: Callable[[RunStats, int], None], rounds: int, stats: RunStats) -> None:
    report(stats, rounds)
