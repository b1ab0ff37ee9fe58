"""The judge through the OpenAI Batch API: upload requests, wait, store results; resumable by id."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tui_annotate.core import snapshot
from tui_annotate.core.judge import confidence as judge_confidence
from tui_annotate.core.judge import parse as judge_parse
from tui_annotate.core.judge.config import BatchSummary, JudgeConfig, RunStats
from tui_annotate.core.judge.endpoint import confidence_fields
from tui_annotate.core.judge.prompt import JudgePrompt
from tui_annotate.core.judge.run import pending, planned_ids, redact
from tui_annotate.core.models import Rubric
from tui_annotate.errors import AnnotateError, InputError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

DONE = ("completed", "failed", "expired", "cancelled")
#: One batch holds at most this many requests and bytes: the OpenAI Batch API's limits
#: (50,000 requests, an input file of 200 MB), the bytes with room to spare.
BATCH_MAX_REQUESTS = 50_000
BATCH_MAX_BYTES = 190 * 1024 * 1024


def make_client(config: JudgeConfig) -> Any:
    import openai

    return openai.OpenAI(
        base_url=config.base_url or os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or "no-key",
        max_retries=5,  # the SDK's own backoff is fine for a handful of control calls
        timeout=config.timeout,
    )


def submit(repo: Repository, rubric: Rubric, config: JudgeConfig, client: Any) -> str | None:
    """Upload the requests for the items still to judge, as many as one batch takes (see
    BATCH_MAX_REQUESTS); returns the batch id, None when there is nothing to judge.

    The lines go to a temporary file as they are made, their prompts 500 items at a time
    (run.pending): a million items' requests are not held in memory, and the next run
    submits what did not fit.
    """
    requests: dict[str, Any] = {}
    with tempfile.TemporaryFile() as lines:
        size = 0
        for item, prompt in pending(
            repo, rubric, config, planned_ids(repo, rubric, config), RunStats()
        ):
            custom_id = f"item-{item.id}-{prompt.prompt_hash[:16]}"
            line = _request_line(custom_id, prompt, config)
            if requests and (
                len(requests) >= BATCH_MAX_REQUESTS or size + len(line) > BATCH_MAX_BYTES
            ):
                break
            lines.write(line)
            size += len(line)
            requests[custom_id] = [item.id, prompt.prompt_hash]
        if not requests:
            return None
        lines.seek(0)
        upload = client.files.create(file=("judge-requests.jsonl", lines), purpose="batch")
    batch = client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    repo.judge.save_batch(
        batch.id,
        rubric=rubric.name,
        rubric_version=rubric.version,
        model=config.model,
        status=batch.status,
        requests=requests,
    )
    return str(batch.id)


def _request_line(custom_id: str, prompt: JudgePrompt, config: JudgeConfig) -> bytes:
    """One line of the batch's input file: the request the live run would send."""
    body: dict[str, Any] = {
        "model": config.model,
        "messages": list(prompt.messages),
        "temperature": config.temperature,
    }
    if config.structured and prompt.response_format is not None:
        body["response_format"] = prompt.response_format
    if config.logprobs:
        body.update(logprobs=True, top_logprobs=5)
    request = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions"}
    return json.dumps({**request, "body": body}).encode() + b"\n"


def collect(
    repo: Repository,
    rubric: Rubric,
    config: JudgeConfig,
    client: Any,
    batch_id: str,
    *,
    poll_seconds: float,
    say: Callable[[str], None],
) -> BatchSummary:
    """Wait for BATCH_ID to finish, then store every result (idempotently: a re-collect of a
    stored batch stores nothing twice)."""
    saved = repo.judge.batch(batch_id)
    if saved is None:
        raise InputError(f"no judge batch {batch_id!r} in this database", field="--resume")
    while True:
        batch = client.batches.retrieve(batch_id)
        if batch.status in DONE:
            break
        counts = batch.request_counts
        say(
            f"batch {batch_id}: {batch.status}"
            + (f" ({counts.completed}/{counts.total})" if counts else "")
        )
        time.sleep(poll_seconds)
    summary = BatchSummary(batch_id, batch.status, requests=len(saved["requests"]))
    if batch.status != "completed":
        repo.judge.finish_batch(batch_id, batch.status, None)
        return summary
    tally: Counter[str] = Counter()
    # Successful lines are in the output file, failed ones in the error file.
    text = "\n".join(
        client.files.content(file_id).read().decode("utf-8")
        for file_id in (batch.output_file_id, getattr(batch, "error_file_id", None))
        if file_id
    )
    judged = repo.judge.judged(
        rubric.name, config.model, [item_id for item_id, _ in saved["requests"].values()]
    )
    for line in filter(None, (ln.strip() for ln in text.splitlines())):
        result = json.loads(line)
        item_id, prompt_hash = saved["requests"].get(result.get("custom_id"), (None, None))
        if item_id is None or judged.get(item_id) == prompt_hash:
            continue
        response = (result.get("response") or {}).get("body") or {}
        status = (result.get("response") or {}).get("status_code", 0)
        if result.get("error") or status != 200:
            tally["failed"] += 1
            repo.judge.failed(
                item_id=item_id,
                rubric=rubric.name,
                model=config.model,
                prompt_hash=prompt_hash,
                status="error",
                error=redact(json.dumps(result.get("error") or response)[:2000]),
            )
            continue
        choice = (response.get("choices") or [{}])[0]
        content = (choice.get("message") or {}).get("content")
        usage = response.get("usage") or {}
        try:
            judgement = judge_parse.parse(content, rubric)
        except judge_parse.InvalidAnswer as exc:
            tally["invalid"] += 1
            repo.judge.failed(
                item_id=item_id,
                rubric=rubric.name,
                model=config.model,
                prompt_hash=prompt_hash,
                status="invalid",
                error=redact(str(exc)),
                raw=redact(content or ""),
                usage=usage,
            )
            continue
        try:
            confidence: judge_confidence.Confidence | None = judge_confidence.from_logprobs(
                ((choice.get("logprobs") or {}).get("content")), judgement.score, rubric
            )
            why_none = ""
        except judge_confidence.NoConfidence as exc:
            confidence, why_none = None, str(exc)
        answer = {
            "score": judgement.score,
            "rationale": redact(judgement.rationale),
            "tags": list(judgement.tags),
            "dropped_tags": list(judgement.dropped_tags),
            "raw": redact(content or ""),
            "usage": {
                "prompt_tokens": usage.get("prompt_tokens", 0),
                "completion_tokens": usage.get("completion_tokens", 0),
            },
            "latency_ms": 0.0,
            "model": config.model,
            "batch": batch_id,
            **confidence_fields(confidence, why_none),
        }
        repo.judge.record(
            item_id=item_id,
            rubric=rubric.name,
            rubric_version=rubric.version,
            model=config.model,
            prompt_hash=prompt_hash,
            answer=answer,
            from_cache=False,
        )
        judged[item_id] = prompt_hash
        tally["judged"] += 1
    repo.judge.finish_batch(batch_id, batch.status, batch.output_file_id)
    return replace(
        summary, judged=tally["judged"], invalid=tally["invalid"], failed=tally["failed"]
    )


def run_batch(
    repo: Repository,
    rubric: Rubric,
    config: JudgeConfig,
    *,
    resume_id: str | None,
    poll_seconds: float,
    say: Callable[[str], None],
    client: Any = None,
) -> BatchSummary:
    """Submit (or resume) a batch and collect it. An unfinished batch of the same rubric
    and model is resumed rather than submitted twice."""
    import openai

    snapshot.register(repo, rubric)
    client = client or make_client(config)
    try:
        return _run_batch(repo, rubric, config, client, resume_id, poll_seconds, say)
    except openai.APIStatusError as exc:
        raise AnnotateError(
            f"the endpoint's Batch API answered {exc.status_code}: "
            f"{redact(' '.join(str(exc).split()))[:300]} (servers such as vLLM, llama.cpp and "
            "Ollama have no Batch API: judge without --batch)"
        ) from None
    except openai.OpenAIError as exc:
        raise AnnotateError(f"the Batch API call failed: {redact(str(exc))[:300]}") from None


def _run_batch(
    repo: Repository,
    rubric: Rubric,
    config: JudgeConfig,
    client: Any,
    resume_id: str | None,
    poll_seconds: float,
    say: Callable[[str], None],
) -> BatchSummary:
    batch_id = resume_id
    if batch_id is None:
        unfinished = repo.judge.open_batches(rubric.name, config.model)
        if unfinished:
            batch_id = unfinished[0]
            say(f"resuming batch {batch_id}")
        else:
            batch_id = submit(repo, rubric, config, client)
            if batch_id is None:
                return BatchSummary(None, "nothing to judge")
            say(f"submitted batch {batch_id}; resume with --resume {batch_id} if interrupted")
    summary = collect(repo, rubric, config, client, batch_id, poll_seconds=poll_seconds, say=say)
    ids = planned_ids(repo, rubric, config)
    if next(pending(repo, rubric, config, ids, RunStats()), None) is not None:
        say("more items are still to judge: run the same command again for the next batch")
    return summary
