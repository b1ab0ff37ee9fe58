"""`judge --follow`: judge items as a live follower imports them, until stopped.

Each round is an ordinary judge run (concurrency, retries, the cache, results
committed in batches, see writes.py), started when the highest visible item id
moves: new items arrived. A round flushes its last batch when it ends, so
nothing waits unwritten while the follower sleeps between looks. Stopping (Ctrl-C, SIGTERM) loses nothing, and the
next start's first round picks up every item still unjudged, so it resumes
where it stopped. An item whose request failed is tried again in the next
round, i.e. when more items arrive, not in a loop of its own.

Its lag behind the log: since when it has known of items it has not got
through (new items seen, their round not finished), None when caught up.
The status line shows it in seconds, beside the importer's own lag.
"""

from __future__ import annotations

import asyncio
import functools
import time
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
    report: Callable[[RunStats, int, float | None], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
    say: Callable[[str], None] | None = None,
    client_factory: Callable[[], Any] | None = None,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> RunStats:
    """Judge new items round after round until STOP; REPORT(stats, rounds, behind_since)
    after each look and each result (behind_since: by CLOCK, None when caught up)."""
    seen: int | None = None
    rounds = 0
    behind_since: float | None = None
    while not stop():
        mark = repo.items_mark()
        if mark != seen:
            seen = mark
            rounds += 1
            if behind_since is None:
                behind_since = clock()
            client = client_factory() if client_factory is not None else None
            progress = None
            if report is not None:
                progress = functools.partial(_progress, report, rounds, behind_since)
            await run(repo, rubric, config, client=client, stats=stats, say=say, progress=progress)
            if repo.items_mark() == seen:
                behind_since = None  # nothing arrived during the round: caught up
        if report is not None:
            report(stats, rounds, behind_since)
        await asyncio.sleep(poll_seconds)
    return stats


def _progress(
    report: Callable[[RunStats, int, float | None], None],
    rounds: int,
    behind_since: float,
    stats: RunStats,
) -> None:
    report(stats, rounds, behind_since)
