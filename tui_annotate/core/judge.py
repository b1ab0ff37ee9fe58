"""The LLM judge: label items with any OpenAI-compatible model, concurrently, cached, resumable.

The only code that talks to the network. `openai` is imported when a run
starts, never at import time, so the annotation app stays light. The API key
comes from OPENAI_API_KEY and is handed to the client only: it is never
stored, logged or exported.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui_annotate.core import judge_confidence, judge_parse, judge_prompt, snapshot
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
    #: Judged items with no confidence (no usable logprobs): route can't weigh them.
    confidence_unknown: int = 0
    #: The structured-output form and logprobs the server accepted (after any fallback).
    output_form: str = ""
    logprobs: bool = False
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
            "completion_tokens": self.completion_tokens,
            "confidence_unknown": self.confidence_unknown, "output_form": self.output_form,
            "logprobs": self.logprobs, "seconds": round(elapsed, 3),
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
    ids = repo.judge.item_ids(rubric.name, config.model, config.items)
    if config.limit is not None:
        ids = ids[: config.limit]
    return [
        (item, judge_prompt.build(rubric, item, config.model, structured=config.structured,
                                  temperature=config.temperature, samples=config.samples))
        for item in (repo.get_item(i) for i in ids)
    ]  # fmt: skip


#: Structured-output forms, most to least strict: a server that refuses one gets the next.
OUTPUT_FORMS = ("json_schema", "json_object", "instructions")
_FORM_NAMES = {
    "json_schema": "response_format json_schema",
    "json_object": "response_format json_object with the schema",
    "instructions": "plain JSON instructions (no response_format)",
}
#: Words by which a refusal names the response format (any status: 400, 422, even 500).
_FORMAT_WORDS = ("response_format", "response format", "json_schema", "json_object", "schema")
#: Client errors worth another try; every other 4xx will fail the same way again.
_RETRY_CLIENT = (408, 409, 429)


def _endpoint_key(config: JudgeConfig) -> tuple[str, str]:
    return (config.base_url or os.environ.get("OPENAI_BASE_URL") or "", config.model)


def _setting_key(endpoint: tuple[str, str]) -> str:
    return f"judge.endpoint:{endpoint[0]}|{endpoint[1]}"


def remembered(repo: Repository, config: JudgeConfig) -> dict[str, Any]:
    """What this (base URL, model) accepted in an earlier run on this project."""
    with contextlib.suppress(ValueError, TypeError):
        return dict(json.loads(repo.get_setting(_setting_key(_endpoint_key(config))) or "{}"))
    return {}


class _Caller:
    """One model endpoint: requests with retries and backoff, stepping down to a form of
    structured output (and to no logprobs) that the server accepts, and remembering it."""

    def __init__(
        self,
        client: Any,
        rubric: Rubric,
        config: JudgeConfig,
        stats: RunStats,
        *,
        learned: dict[str, Any],
        say: Callable[[str], None],
    ) -> None:
        self.client, self.rubric, self.config, self.stats = client, rubric, config, stats
        self.say = say
        known = str(learned.get("form"))
        first = known if known in OUTPUT_FORMS else OUTPUT_FORMS[0]
        forms = OUTPUT_FORMS if config.structured else OUTPUT_FORMS[-1:]
        self.form: str = max(first, forms[0], key=OUTPUT_FORMS.index)
        self.logprobs = config.logprobs and learned.get("logprobs", True) is not False
        self.changed = False
        stats.output_form, stats.logprobs = self.form, self.logprobs
        if learned and (self.form != forms[0] or self.logprobs != config.logprobs):
            say(
                f"using {_FORM_NAMES[self.form]}"
                + ("" if self.logprobs or not config.logprobs else ", without logprobs")
                + ", as this server accepted before"
            )

    def learned(self) -> dict[str, Any]:
        return {"form": self.form, "logprobs": self.logprobs}

    def _format(self, prompt: JudgePrompt) -> dict[str, Any] | None:
        if self.form == "json_schema" and prompt.response_format is not None:
            return prompt.response_format
        if self.form == "json_object":
            return {"type": "json_object", "schema": judge_prompt.answer_schema(self.rubric)}
        return None

    def _step_down(self, form: str, status: int | None) -> None:
        if self.form != form:
            return  # another request already stepped down
        self.form = OUTPUT_FORMS[OUTPUT_FORMS.index(form) + 1]
        self.stats.output_form, self.changed = self.form, True
        self.say(
            f"the server refused {_FORM_NAMES[form]} (HTTP {status}); using "
            f"{_FORM_NAMES[self.form]} from now on"
        )

    def _drop_logprobs(self, status: int | None) -> None:
        if not self.logprobs:
            return
        self.logprobs = False
        self.stats.logprobs, self.changed = False, True
        self.say(
            f"the server refused logprobs (HTTP {status}); asking without them, so no "
            "confidence is stored (use --samples K for one)"
        )

    async def complete(self, prompt: JudgePrompt) -> tuple[Any, float]:
        """One chat completion, retried on 429, 408, 409, 5xx, timeouts and dropped
        connections; a refused response format or logprobs is asked again without it."""
        import openai

        attempt = 0
        while True:
            form, logprobs = self.form, self.logprobs
            kwargs: dict[str, Any] = {
                "model": self.config.model,
                "messages": list(prompt.messages),
                "temperature": self.config.temperature,
            }
            response_format = self._format(prompt)
            if response_format is not None:
                kwargs["response_format"] = response_format
            if logprobs:
                kwargs["logprobs"] = True
                kwargs["top_logprobs"] = 5
            started = time.monotonic()
            try:
                response = await self.client.chat.completions.create(**kwargs)
                return response, (time.monotonic() - started) * 1000.0
            except openai.APIStatusError as exc:
                status = exc.status_code
                if status in (401, 403, 404):
                    raise JudgeFatal(f"the endpoint refused the run: {_short(exc)}") from None
                text = str(exc).lower()
                if logprobs and "logprob" in text:
                    self._drop_logprobs(status)
                    continue
                if response_format is not None and any(w in text for w in _FORMAT_WORDS):
                    self._step_down(form, status)
                    continue
                if 400 <= status < 500 and status not in _RETRY_CLIENT:
                    raise  # the same request will fail the same way
                if attempt >= self.config.retries:
                    raise
                await self._backoff(attempt, exc)
                attempt += 1
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                if attempt >= self.config.retries:
                    raise
                await self._backoff(attempt, exc)
                attempt += 1

    async def _backoff(self, attempt: int, exc: Exception) -> None:
        self.stats.retries += 1
        self.stats.errors[type(exc).__name__] += 1
        await asyncio.sleep(self._delay(attempt, exc))

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
        judge_parse.InvalidAnswer with the raw text and the tokens spent attached."""
        answers: list[judge_parse.Judgement] = []
        raws: list[str] = []
        usage = Counter[str]()
        latency = 0.0
        confidence: judge_confidence.Confidence | None = None
        why_none = "logprobs off (use --samples K for a confidence)"
        for _ in range(max(1, self.config.samples)):
            response, ms = await self.complete(prompt)
            latency += ms
            found = getattr(response, "usage", None)
            if found is not None:
                usage["prompt_tokens"] += getattr(found, "prompt_tokens", 0) or 0
                usage["completion_tokens"] += getattr(found, "completion_tokens", 0) or 0
            choices = getattr(response, "choices", None)
            if not choices:  # not a chat completion at all (a proxy's error page, say)
                bad = judge_parse.InvalidAnswer("the server's reply is not a chat completion")
                bad.raw = str(response)[:4000]  # type: ignore[attr-defined]
                bad.usage = dict(usage)  # type: ignore[attr-defined]
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
            if self.config.samples <= 1 and self.logprobs:
                content = getattr(choice.logprobs, "content", None) if choice.logprobs else None
                try:
                    confidence = judge_confidence.from_logprobs(
                        content, judgement.score, self.rubric
                    )
                except judge_confidence.NoConfidence as exc:
                    why_none = str(exc)
        self.stats.prompt_tokens += usage["prompt_tokens"]
        self.stats.completion_tokens += usage["completion_tokens"]
        chosen = answers[0]
        if len(answers) > 1:
            score, confidence = judge_confidence.from_samples([a.score for a in answers])
            chosen = next(a for a in answers if a.score == score)
        if confidence is None:
            self.stats.confidence_unknown += 1
        return {
            "score": chosen.score,
            "rationale": chosen.rationale,
            "tags": list(chosen.tags),
            "dropped_tags": list(chosen.dropped_tags),
            "raw": "\n---\n".join(raws),
            "usage": dict(usage),
            "latency_ms": round(latency, 1),
            **confidence_fields(confidence, why_none),
            "samples": [a.score for a in answers] if len(answers) > 1 else None,
            "output_form": self.form,
            "model": self.config.model,
        }


def confidence_fields(
    confidence: judge_confidence.Confidence | None,
    why_none: str,
) -> dict[str, Any]:
    """The label metadata that says how sure the judge was, and how that was worked out."""
    if confidence is None:
        return {
            "confidence": None,
            "expected_score": None,
            "confidence_method": None,
            "confidence_detail": {"unknown": why_none},
        }
    return {
        "confidence": round(confidence.value, 4),
        "expected_score": None if confidence.expected is None else round(confidence.expected, 4),
        "confidence_method": confidence.method,
        "confidence_detail": dict(confidence.detail),
    }


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
    if isinstance(status, int) and 400 <= status < 500 and status not in _RETRY_CLIENT:
        return f"HTTP {status}: {_short(error)}"
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
    caller = _Caller(
        client or make_client(config),
        rubric,
        config,
        stats,
        learned=remembered(repo, config),
        say=say or (lambda _: None),
    )
    semaphore = asyncio.Semaphore(max(1, config.concurrency))
    probe = _Probe(min(max(1, config.concurrency), len(todo)))

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
                repo.judge.failed(
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
                repo.judge.failed(
                    item_id=item.id,
                    rubric=rubric.name,
                    model=config.model,
                    prompt_hash=prompt.prompt_hash,
                    status="error",
                    error=_short(exc),
                )
                probe.outcome(exc)
            else:
                answer["raw"] = redact(answer["raw"])
                answer["rationale"] = redact(answer["rationale"])
                _store(repo, rubric, config, item, prompt, answer, from_cache=False)
                stats.judged += 1
                probe.outcome(None)
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
        _remember(repo, config, caller)
    return stats


def _remember(repo: Repository, config: JudgeConfig, caller: _Caller) -> None:
    """Keep what the server accepted in the project's store, so the next run starts there
    (within a run, the caller itself remembers: every later request starts there)."""
    if not caller.changed:
        return
    with contextlib.suppress(Exception):  # remembering is a courtesy, never a failure
        repo.set_setting(_setting_key(_endpoint_key(config)), json.dumps(caller.learned()))


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
