"""One model endpoint as the judge sees it: requests with retries and backoff, and the
structured-output form and logprobs that this server accepts, found by stepping down on
refusal and remembered per (base URL, model) in the project.

Servers differ: OpenAI takes a json_schema response_format; llama.cpp's Python server
answers it with HTTP 500 but takes {"type": "json_object", "schema": ...}; others take
only instructions. A refusal is recognised by its message naming the format, whatever
its status (400, 422, 500).
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
from typing import TYPE_CHECKING, Any

from tui_annotate.core.judge import confidence as judge_confidence
from tui_annotate.core.judge import parse as judge_parse
from tui_annotate.core.judge import prompt as judge_prompt
from tui_annotate.core.judge.prompt import JudgePrompt
from tui_annotate.core.models import Rubric
from tui_annotate.errors import AnnotateError

if TYPE_CHECKING:
    from tui_annotate.core.judge.config import JudgeConfig, RunStats
    from tui_annotate.store.repository import Repository


class JudgeFatal(AnnotateError):
    """The run can't go on (bad key, unknown model): stop instead of failing every item."""


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
RETRY_CLIENT = (408, 409, 429)


def _endpoint_key(config: JudgeConfig) -> tuple[str, str]:
    return (config.base_url or os.environ.get("OPENAI_BASE_URL") or "", config.model)


def _setting_key(endpoint: tuple[str, str]) -> str:
    return f"judge.endpoint:{endpoint[0]}|{endpoint[1]}"


def remembered(repo: Repository, config: JudgeConfig) -> dict[str, Any]:
    """What this (base URL, model) accepted in an earlier run on this project."""
    with contextlib.suppress(ValueError, TypeError):
        return dict(json.loads(repo.get_setting(_setting_key(_endpoint_key(config))) or "{}"))
    return {}


def first_form(config: JudgeConfig, learned: dict[str, Any]) -> str:
    """The form a run starts with: what was remembered, never stricter than the flags allow."""
    known = str(learned.get("form"))
    first = known if known in OUTPUT_FORMS else OUTPUT_FORMS[0]
    least = OUTPUT_FORMS[0] if config.structured else OUTPUT_FORMS[-1]
    return max(first, least, key=OUTPUT_FORMS.index)


def request_format(form: str, rubric: Rubric, prompt: JudgePrompt) -> dict[str, Any] | None:
    """The request's response_format in FORM (None: instructions only)."""
    if form == "json_schema" and prompt.response_format is not None:
        return prompt.response_format
    if form == "json_object":
        return {"type": "json_object", "schema": judge_prompt.answer_schema(rubric)}
    return None


class Caller:
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
        self.form = first_form(config, learned)
        self.logprobs = config.logprobs and learned.get("logprobs", True) is not False
        self.changed = False
        stats.output_form, stats.logprobs = self.form, self.logprobs
        if learned and (self.form != first_form(config, {}) or self.logprobs != config.logprobs):
            say(
                f"using {_FORM_NAMES[self.form]}"
                + ("" if self.logprobs or not config.logprobs else ", without logprobs")
                + ", as this server accepted before"
            )

    def learned(self) -> dict[str, Any]:
        return {"form": self.form, "logprobs": self.logprobs}

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
            response_format = request_format(form, self.rubric, prompt)
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
                    raise JudgeFatal(f"the endpoint refused the run: {short_error(exc)}") from None
                text = str(exc).lower()
                if logprobs and "logprob" in text:
                    self._drop_logprobs(status)
                    continue
                if response_format is not None and any(w in text for w in _FORMAT_WORDS):
                    self._step_down(form, status)
                    continue
                if 400 <= status < 500 and status not in RETRY_CLIENT:
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


def remember(repo: Repository, config: JudgeConfig, caller: Caller) -> None:
    """Keep what the server accepted in the project's store, so the next run starts there
    (within a run, the caller itself remembers: every later request starts there)."""
    if not caller.changed:
        return
    with contextlib.suppress(Exception):  # remembering is a courtesy, never a failure
        repo.set_setting(_setting_key(_endpoint_key(config)), json.dumps(caller.learned()))


def redact(text: str) -> str:
    """TEXT with the API key blanked out: a server may echo it in an error or an answer,
    and nothing that reaches the database, a log or the screen may carry it."""
    key = os.environ.get("OPENAI_API_KEY")
    if key and len(key) >= 4:
        text = text.replace(key, "[redacted]")
    return text


def short_error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {text[:300]}")
