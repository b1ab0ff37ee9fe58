"""The LLM judge: label items with any OpenAI-compatible model, concurrently, cached, resumable.

With endpoint.py, the only code that talks to the network. `openai` is imported when a run
starts, never at import time, so the annotation app stays light. The API key
comes from OPENAI_API_KEY and is handed to the client only: it is never
stored, logged or exported.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tui_annotate.core import snapshot
from tui_annotate.core.judge import parse as judge_parse
from tui_annotate.core.judge import prompt as judge_prompt
from tui_annotate.core.judge.config import ITEM_SETS, JudgeConfig, RunStats
from tui_annotate.core.judge.endpoint import (
    RETRY_CLIENT,
    Caller,
    JudgeFatal,
    redact,
    remember,
    remembered,
    short_error,
)
from tui_annotate.core.judge.prompt import JudgePrompt
from tui_annotate.core.judge.writes import FLUSH_SECONDS, FLUSH_SIZE, Writes
from tui_annotate.core.models import Item, Rubric
from tui_annotate.errors import AnnotateError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

__all__ = [
    "ITEM_SETS",
    "JudgeConfig",
    "JudgeFatal",
    "RunStats",
    "make_client",
    "plan",
    "redact",
    "run",
]


def make_client(config: JudgeConfig) -> Any:
    """An AsyncOpenAI client; retries are ours (with jitter and per-item accounting)."""
    import openai

    return openai.AsyncOpenAI(
        base_url=config.base_url or os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or "no-key",  # local servers need none
        max_retries=0,
        timeout=config.timeout,
    )


#: Items made ready at a time (fetched, their prompts built, looked up among the judge's
#: labels and in the cache) as a run goes: it holds a batch of prompts, not the whole plan.
PLAN_BATCH = 500


def planned_ids(repo: Repository, rubric: Rubric, config: JudgeConfig) -> list[int]:
    """The ids of the items this run covers, in order."""
    if config.items not in ITEM_SETS:
        raise AnnotateError(f"--items must be one of {', '.join(ITEM_SETS)}")
    ids = repo.judge.item_ids(rubric.name, config.model, config.items, limit=config.limit)
    return ids if config.limit is None else ids[: config.limit]


def prompts(
    repo: Repository, rubric: Rubric, config: JudgeConfig, ids: Sequence[int]
) -> list[tuple[Item, JudgePrompt]]:
    """Each of the items IDS with its exact prompt."""
    return [
        (
            item,
            judge_prompt.build(
                rubric,
                item,
                config.model,
                structured=config.structured,
                temperature=config.temperature,
                samples=config.samples,
            ),
        )
        for item in (repo.get_item(i) for i in ids)
    ]


def plan(repo: Repository, rubric: Rubric, config: JudgeConfig) -> list[tuple[Item, JudgePrompt]]:
    """The items this run covers, each with its exact prompt, all at once: for a few (the
    Batch API's upload, a dry look); a run makes them ready a batch at a time."""
    return prompts(repo, rubric, config, planned_ids(repo, rubric, config))


class _Probe:
    """The run's first requests, up to the concurrency: if every one fails with the same
    client error (a wrong key or model that the server reports as a 400, say), the run
    can't work, and it stops before sending another."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.started = 0
        self.outcomes: list[object] = []
        self.settled = asyncio.Event()
        self.fatal: str | None = None

    async def enter(self) -> None:
        if self.started < self.size:
            self.started += 1
            return
        await self.settled.wait()
        if self.fatal is not None:
            raise JudgeFatal(self.fatal)

    def outcome(self, error: BaseException | None) -> None:
        """A first request's end: None when the server answered, else the error it raised."""
        if self.settled.is_set():
            return
        self.outcomes.append(_client_error(error) if error is not None else None)
        if error is None or len(self.outcomes) >= self.size:
            first = self.outcomes[0]
            if isinstance(first, str) and all(o == first for o in self.outcomes):
                n = len(self.outcomes)
                self.fatal = (
                    f"{'the first request' if n == 1 else f'all {n} first requests'}"
                    f" failed with the same error, so the run stopped: {first}"
                )
            self.settled.set()
            if self.fatal is not None:
                raise JudgeFatal(self.fatal)


def _client_error(error: BaseException) -> object:
    """A non-retryable client error as text to compare; anything else as a unique object."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and 400 <= status < 500 and status not in RETRY_CLIENT:
        return f"HTTP {status}: {short_error(error)}"
    return object()


async def run(
    repo: Repository,
    rubric: Rubric,
    config: JudgeConfig,
    *,
    client: Any = None,
    progress: Callable[[RunStats], None] | None = None,
    stats: RunStats | None = None,
    say: Callable[[str], None] | None = None,
    flush_size: int = FLUSH_SIZE,
    flush_seconds: float = FLUSH_SECONDS,
) -> RunStats:
    """Judge every planned item. Finished and cached items cost no request; results are
    committed in batches (FLUSH_SIZE of them or every FLUSH_SECONDS, see writes.py) and
    at the end, also of a cancelled run, so Ctrl-C or SIGTERM loses nothing, kill -9 at
    most the last unflushed batch, and a re-run continues."""
    if client is None:
        _preload_openai()
    snapshot.register(repo, rubric)
    writes = Writes(repo, size=flush_size, seconds=flush_seconds)
    try:
        return await _run(repo, rubric, config, writes, client, progress, stats, say)
    finally:
        writes.close()


async def _run(
    repo: Repository,
    rubric: Rubric,
    config: JudgeConfig,
    writes: Writes,
    client: Any,
    progress: Callable[[RunStats], None] | None,
    stats: RunStats | None,
    say: Callable[[str], None] | None,
) -> RunStats:
    stats = stats or RunStats()
    ids = planned_ids(repo, rubric, config)
    stats.total = len(ids)
    todo = pending(repo, rubric, config, ids, stats, writes=writes, progress=progress)
    # As many as run at once, ahead: whether there is anything to ask at all (no client is
    # made for nothing), and how many first requests the probe waits for.
    first = list(itertools.islice(todo, max(1, config.concurrency)))
    if progress:
        progress(stats)
    if not first:
        return stats
    caller = Caller(
        client or make_client(config),
        rubric,
        config,
        stats,
        learned=remembered(repo, config),
        say=say or (lambda _: None),
    )
    semaphore = asyncio.Semaphore(max(1, config.concurrency))
    probe = _Probe(len(first))

    async def one(item: Item, prompt: JudgePrompt) -> None:
        import openai

        async with semaphore:
            await probe.enter()
            try:
                answer = await caller.judge(prompt)
            except judge_parse.InvalidAnswer as exc:
                stats.invalid += 1
                usage = getattr(exc, "usage", None) or {}
                stats.prompt_tokens += usage.get("prompt_tokens", 0)
                stats.completion_tokens += usage.get("completion_tokens", 0)
                writes.failed(
                    item_id=item.id,
                    rubric=rubric.name,
                    model=config.model,
                    prompt_hash=prompt.prompt_hash,
                    status="invalid",
                    error=redact(str(exc)),
                    raw=redact(getattr(exc, "raw", "")),
                    usage=usage,
                    latency_ms=getattr(exc, "latency_ms", 0.0),
                )
                probe.outcome(None)
            except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that isn't JSON
                stats.failed += 1
                stats.errors[type(exc).__name__] += 1
                writes.failed(
                    item_id=item.id,
                    rubric=rubric.name,
                    model=config.model,
                    prompt_hash=prompt.prompt_hash,
                    status="error",
                    error=short_error(exc),
                )
                probe.outcome(exc)
            else:
                answer["raw"] = redact(answer["raw"])
                answer["rationale"] = redact(answer["rationale"])
                _store(writes, rubric, config, item, prompt, answer, from_cache=False)
                stats.judged += 1
                probe.outcome(None)
        if progress:
            progress(stats)

    # One worker per request in flight, each taking the next item from the plan as it goes
    # (one task per item held a million tasks and their prompts at a million items).
    work = itertools.chain(first, todo)

    async def worker() -> None:
        for item, prompt in work:
            await one(item, prompt)

    tasks = [asyncio.create_task(worker()) for _ in range(len(first))]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            writes.flush()  # every counted result, before anything else can fail
        finally:
            await _close(caller.client)
            remember(repo, config, caller)
    return stats


def pending(
    repo: Repository,
    rubric: Rubric,
    config: JudgeConfig,
    ids: Sequence[int],
    stats: RunStats,
    *,
    writes: Writes | None = None,
    progress: Callable[[RunStats], None] | None = None,
) -> Iterator[tuple[Item, JudgePrompt]]:
    """The items of IDS still to ask about, with their prompts, made ready PLAN_BATCH at a
    time: one the judge already labelled with this exact prompt is skipped, and so is one
    whose prompt is in the cache, its cached answer stored through WRITES when given (both
    counted in STATS as they come, and PROGRESS told after each batch that had any)."""
    for start in range(0, len(ids), PLAN_BATCH):
        settled = stats.skipped + stats.cached
        batch = prompts(repo, rubric, config, ids[start : start + PLAN_BATCH])
        judged = repo.judge.judged(rubric.name, config.model, [item.id for item, _ in batch])
        for item, prompt in batch:
            if judged.get(item.id) == prompt.prompt_hash:
                stats.skipped += 1
            elif (answer := repo.judge.cached(config.model, prompt.prompt_hash)) is not None:
                if writes is not None:
                    _store(writes, rubric, config, item, prompt, answer, from_cache=True)
                stats.cached += 1
            else:
                yield item, prompt
        if progress and stats.skipped + stats.cached > settled:
            progress(stats)


def _preload_openai() -> None:
    """Import `openai` in a thread of its own while the run plans its items.

    The import takes about 0.35 s of Python; finding the items to judge is
    mostly SQLite, which lets go of the interpreter lock, so the two overlap
    on a second core instead of adding up before the first request
    (issue 9: `judge --limit 1` asks within 1 s at a million items). The
    client, made after the plan, finds the module loaded, or waits on
    Python's import lock for the rest of it.
    """
    if "openai" not in sys.modules:
        threading.Thread(
            target=importlib.import_module, args=("openai",), name="import-openai", daemon=True
        ).start()


def _store(
    writes: Writes,
    rubric: Rubric,
    config: JudgeConfig,
    item: Item,
    prompt: JudgePrompt,
    answer: dict[str, Any],
    *,
    from_cache: bool,
) -> None:
    writes.ok(
        item_id=item.id,
        rubric=rubric.name,
        rubric_version=rubric.version,
        model=config.model,
        prompt_hash=prompt.prompt_hash,
        answer=answer,
        from_cache=from_cache,
    )


async def _close(client: Any) -> None:
    close = getattr(client, "close", None)
    if close is not None:
        # Closing a client must never hide the run's own result.
        with contextlib.suppress(Exception):
            await close()
