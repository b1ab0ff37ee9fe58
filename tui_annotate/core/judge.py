"""The LLM judge: label items with any OpenAI-compatible model, concurrently, cached, resumable.

The only code that talks to the network. `openai` is imported when a run
starts, never at import time, so the annotation app stays light. The API key
comes from OPENAI_API_KEY and is handed to the client only: it is never
stored, logged or exported.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui_annotate.core import judge_parse, judge_prompt, snapshot
from tui_annotate.core.judge_prompt import JudgePrompt
from tui_annotate.core.models import Item, Rubric
from tui_annotate.errors import AnnotateError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

ITEM_SETS = ("unlabeled", "all", "golden")


class JudgeFatal(AnnotateError):
    """The run can't go on (bad key, unknown model): stop instead of failing every item."""


@dataclass(frozen=True, slots=True)
class JudgeConfig:
    model: str
    base_url: str | None = None
    concurrency: int = 8
    limit: int | None = None
    items: str = "unlabeled"
    samples: int = 1
    structured: bool = True
    logprobs: bool = True
    temperature: float = 0.0
    timeout: float = 60.0
    retries: int = 5
    #: Backoff: base × 2^attempt seconds, with full jitter, capped.
    backoff_base: float = 0.5
    backoff_cap: float = 20.0


@dataclass
class RunStats:
    """What a run did, for the progress bar and the summary."""

    total: int = 0
    judged: int = 0
    cached: int = 0
    skipped: int = 0
    failed: int = 0
    invalid: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.monotonic)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def done(self) -> int:
        return self.judged + self.cached + self.skipped + self.failed + self.invalid

    def as_dict(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        return {
            "total": self.total, "judged": self.judged, "cached": self.cached,
            "skipped": self.skipped, "failed": self.failed, "invalid": self.invalid,
            "retries": self.retries, "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens, "seconds": round(elapsed, 3),
            "requests_per_second": round(self.judged / elapsed, 2) if elapsed > 0 else None,
            "errors": dict(self.errors),
        }  # fmt: skip


def make_client(config: JudgeConfig) -> Any:
    """An AsyncOpenAI client; retries are ours (with jitter and per-item accounting)."""
    import openai

    return openai.AsyncOpenAI(
        base_url=config.base_url or os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or "no-key",  # local servers need none
        max_retries=0,
        timeout=config.timeout,
    )


def plan(repo: Repository, rubric: Rubric, config: JudgeConfig) -> list[tuple[Item, JudgePrompt]]:
    """The items this run covers, each with its exact prompt."""
    if config.items not in ITEM_SETS:
        raise AnnotateError(f"--items must be one of {', '.join(ITEM_SETS)}")
    ids = repo.judge.item_ids(rubric.name, config.model, config.items, limit=config.limit)
    if config.limit is not None:
        ids = ids[: config.limit]
    return [
        (item, judge_prompt.build(rubric, item, config.model, structured=config.structured,
                                  temperature=config.temperature, samples=config.samples))
        for item in (repo.get_item(i) for i in ids)
    ]  # fmt: skip


class _Caller:
    """One model endpoint: requests with retries and backoff, degrading gracefully when a
    server rejects structured output or logprobs."""

    def __init__(self, client: Any, rubric: Rubric, config: JudgeConfig, stats: RunStats) -> None:
        self.client, self.rubric, self.config, self.stats = client, rubric, config, stats
        self.structured = config.structured
        self.logprobs = config.logprobs

    async def complete(self, prompt: JudgePrompt) -> tuple[Any, float]:
        """One chat completion, retried on 429, 5xx, timeouts and dropped connections."""
        import openai

        attempt = 0
        while True:
            kwargs: dict[str, Any] = {
                "model": self.config.model,
                "messages": list(prompt.messages),
                "temperature": self.config.temperature,
            }
            if self.structured and prompt.response_format is not None:
                kwargs["response_format"] = prompt.response_format
            if self.logprobs:
                kwargs["logprobs"] = True
                kwargs["top_logprobs"] = 5
            started = time.monotonic()
            try:
                response = await self.client.chat.completions.create(**kwargs)
                return response, (time.monotonic() - started) * 1000.0
            except openai.BadRequestError as exc:
                text = str(exc).lower()
                if self.structured and ("response_format" in text or "json_schema" in text):
                    self.structured = False  # this server can't do structured output
                    continue
                if self.logprobs and "logprob" in text:
                    self.logprobs = False  # nor logprobs: fall back to --samples
                    continue
                raise
            except (openai.AuthenticationError, openai.PermissionDeniedError,
                    openai.NotFoundError) as exc:  # fmt: skip
                raise JudgeFatal(f"the endpoint refused the run: {_short(exc)}") from None
            except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
                    openai.APIConnectionError) as exc:  # fmt: skip
                if attempt >= self.config.retries:
                    raise
                self.stats.retries += 1
                self.stats.errors[type(exc).__name__] += 1
                await asyncio.sleep(self._delay(attempt, exc))
                attempt += 1

    def _delay(self, attempt: int, exc: Exception) -> float:
        """Exponential backoff with full jitter; a server's retry-after is honoured (capped)."""
        cap = min(self.config.backoff_cap, self.config.backoff_base * (2**attempt))
        delay = random.uniform(0, cap)
        response = getattr(exc, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        if header:
            with contextlib.suppress(ValueError):
                delay = max(delay, min(float(header), self.config.backoff_cap))
        return delay

    async def judge(self, prompt: JudgePrompt) -> dict[str, Any]:
        """Ask (K times with --samples) and return the answer to store, or raise
        judge_parse.InvalidAnswer with the raw text attached."""
        answers: list[judge_parse.Judgement] = []
        raws: list[str] = []
        usage = Counter[str]()
        latency = 0.0
        confidence = None
        for _ in range(max(1, self.config.samples)):
            response, ms = await self.complete(prompt)
            latency += ms
            found = getattr(response, "usage", None)
            if found is not None:
                usage["prompt_tokens"] += found.prompt_tokens or 0
                usage["completion_tokens"] += found.completion_tokens or 0
            choices = getattr(response, "choices", None)
            if not choices:  # not a chat completion at all (a proxy's error page, say)
                bad = judge_parse.InvalidAnswer("the server's reply is not a chat completion")
                bad.raw = str(response)[:4000]  # type: ignore[attr-defined]
                raise bad
            choice = choices[0]
            text = choice.message.content if choice.message is not None else None
            raws.append(text or "")
            try:
                judgement = judge_parse.parse(text, self.rubric)
            except judge_parse.InvalidAnswer as exc:
                exc.raw = "\n---\n".join(raws)  # type: ignore[attr-defined]
                exc.usage = dict(usage)  # type: ignore[attr-defined]
                exc.latency_ms = latency  # type: ignore[attr-defined]
                raise
            answers.append(judgement)
            if self.config.samples <= 1 and choice.logprobs is not None:
                confidence = judge_parse.from_logprobs(
                    choice.logprobs.content, judgement.score, self.rubric
                )
        self.stats.prompt_tokens += usage["prompt_tokens"]
        self.stats.completion_tokens += usage["completion_tokens"]
        chosen = answers[0]
        if len(answers) > 1:
            score, confidence = judge_parse.from_samples([a.score for a in answers])
            chosen = next(a for a in answers if a.score == score)
        return {
            "score": chosen.score,
            "rationale": chosen.rationale,
            "tags": list(chosen.tags),
            "dropped_tags": list(chosen.dropped_tags),
            "raw": "\n---\n".join(raws),
            "usage": dict(usage),
            "latency_ms": round(latency, 1),
            "confidence": None if confidence is None else round(confidence.value, 4),
            "expected_score": None if confidence is None or confidence.expected is None
            else round(confidence.expected, 4),
            "confidence_method": None if confidence is None else confidence.method,
            "samples": [a.score for a in answers] if len(answers) > 1 else None,
            "model": self.config.model,
        }  # fmt: skip


async def run(
    repo: Repository,
    rubric: Rubric,
    config: JudgeConfig,
    *,
    client: Any = None,
    progress: Callable[[RunStats], None] | None = None,
    stats: RunStats | None = None,
) -> RunStats:
    """Judge every planned item. Finished and cached items cost no request; each result
    is committed as it arrives, so an interrupted run loses nothing and a re-run continues."""
    snapshot.register(repo, rubric)
    stats = stats or RunStats()
    work = plan(repo, rubric, config)
    stats.total = len(work)
    judged = repo.judge.judged(rubric.name, config.model)
    todo: list[tuple[Item, JudgePrompt]] = []
    for item, prompt in work:
        if judged.get(item.id) == prompt.prompt_hash:
            stats.skipped += 1
        elif (answer := repo.judge.cached(config.model, prompt.prompt_hash)) is not None:
            _store(repo, rubric, config, item, prompt, answer, from_cache=True)
            stats.cached += 1
        else:
            todo.append((item, prompt))
    if progress:
        progress(stats)
    if not todo:
        return stats
    caller = _Caller(client or make_client(config), rubric, config, stats)
    semaphore = asyncio.Semaphore(max(1, config.concurrency))

    async def one(item: Item, prompt: JudgePrompt) -> None:
        import openai

        async with semaphore:
            try:
                answer = await caller.judge(prompt)
            except judge_parse.InvalidAnswer as exc:
                stats.invalid += 1
                repo.judge.failed(
                    item_id=item.id, rubric=rubric.name, model=config.model,
                    prompt_hash=prompt.prompt_hash, status="invalid", error=redact(str(exc)),
                    raw=redact(getattr(exc, "raw", "")), usage=getattr(exc, "usage", None),
                    latency_ms=getattr(exc, "latency_ms", 0.0),
                )  # fmt: skip
            except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that isn't JSON
                stats.failed += 1
                stats.errors[type(exc).__name__] += 1
                repo.judge.failed(
                    item_id=item.id, rubric=rubric.name, model=config.model,
                    prompt_hash=prompt.prompt_hash, status="error", error=_short(exc),
                )  # fmt: skip
            else:
                answer["raw"] = redact(answer["raw"])
                answer["rationale"] = redact(answer["rationale"])
                _store(repo, rubric, config, item, prompt, answer, from_cache=False)
                stats.judged += 1
        if progress:
            progress(stats)

    tasks = [asyncio.create_task(one(item, prompt)) for item, prompt in todo]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _close(caller.client)
    return stats


def _store(repo: Repository, rubric: Rubric, config: JudgeConfig, item: Item,
           prompt: JudgePrompt, answer: dict[str, Any], *, from_cache: bool) -> None:  # fmt: skip
    repo.judge.record(
        item_id=item.id, rubric=rubric.name, rubric_version=rubric.version, model=config.model,
        prompt_hash=prompt.prompt_hash, answer=answer, from_cache=from_cache,
    )  # fmt: skip


async def _close(client: Any) -> None:
    close = getattr(client, "close", None)
    if close is not None:
        # Closing a client must never hide the run's own result.
        with contextlib.suppress(Exception):
            await close()


def redact(text: str) -> str:
    """TEXT with the API key blanked out: a server may echo it in an error or an answer,
    and nothing that reaches the database, a log or the screen may carry it."""
    key = os.environ.get("OPENAI_API_KEY")
    if key and len(key) >= 4:
        text = text.replace(key, "[redacted]")
    return text


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {text[:300]}")
