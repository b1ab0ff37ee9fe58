"""The judge on servers that can't do everything: response-format fallback remembered per
endpoint, fail fast on a run that can't work, tokens and confidences accounted for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.openai_server import FakeOpenAI, Reply, json_reply, logprob_reply
from tui_annotate.core.judge import JudgeConfig, JudgeFatal
from tui_annotate.core.judge import prompt as judge_prompt
from tui_annotate.core.judge import run as judge
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

MODEL = "fallback-model"
RUBRIC = "faithfulness"


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-fallback")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        yield s


def config(server: FakeOpenAI, **kw: Any) -> JudgeConfig:
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("retries", 1)
    return JudgeConfig(model=MODEL, base_url=server.url, **kw)


def form_of(body: dict[str, Any]) -> str:
    return str(body.get("response_format", {}).get("type", "instructions"))


def refusing(*forms: str, status: int, score: int = 4) -> Callable[[dict[str, Any]], Reply]:
    """A server that refuses the response formats FORMS with STATUS, naming the format."""

    def answer(body: dict[str, Any]) -> Reply:
        form = form_of(body)
        if form in forms:
            return Reply(status=status, content=f"response_format {form} is not supported")
        return json_reply(score)

    return answer


# -- structured output that works everywhere ----------------------------------------------


@pytest.mark.parametrize("status", [400, 422, 500])
async def test_a_refused_format_steps_down_whatever_the_status(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, status: int
) -> None:
    server.answer = refusing("json_schema", "json_object", status=status)
    said: list[str] = []
    cfg = config(server, limit=3, concurrency=1)
    stats = await judge.run(sample_repo, faithfulness, cfg, say=said.append)
    assert (stats.judged, stats.failed, stats.retries) == (3, 0, 0)
    assert stats.output_form == "instructions"
    forms = [form_of(b) for b in server.chat_requests()]
    assert forms == ["json_schema", "json_object", "instructions", "instructions", "instructions"]
    assert said == [
        f"the server refused response_format json_schema (HTTP {status}); using response_format"
        " json_object with the schema from now on",
        f"the server refused response_format json_object with the schema (HTTP {status}); using"
        " plain JSON instructions (no response_format) from now on",
    ]
    metas = [meta for _, meta in sample_repo.judge.labels(RUBRIC, MODEL)]
    assert [m["output_form"] for m in metas] == ["instructions"] * 3


async def test_json_object_carries_the_schema(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = refusing("json_schema", status=500)
    stats = await judge.run(sample_repo, faithfulness, config(server, limit=2, concurrency=4))
    assert stats.judged == 2 and stats.output_form == "json_object"
    last = server.chat_requests()[-1]
    assert last["response_format"] == {
        "type": "json_object",
        "schema": judge_prompt.answer_schema(faithfulness),
    }


async def test_concurrent_refusals_step_down_once(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = refusing("json_schema", status=500)
    said: list[str] = []
    cfg = config(server, limit=6, concurrency=6)
    stats = await judge.run(sample_repo, faithfulness, cfg, say=said.append)
    assert stats.judged == 6 and stats.output_form == "json_object"
    assert len(said) == 1
    assert sum(form_of(b) == "json_schema" for b in server.chat_requests()) <= 6


async def test_a_500_that_names_no_format_is_retried_not_stepped_down(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [Reply(status=500, content="the GPU fell over")]
    server.answer = lambda body: json_reply(3)
    stats = await judge.run(sample_repo, faithfulness, config(server, limit=1))
    assert (stats.judged, stats.retries, stats.output_form) == (1, 1, "json_schema")
    assert [form_of(b) for b in server.chat_requests()] == ["json_schema", "json_schema"]


async def test_what_worked_is_remembered_for_the_next_run(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = refusing("json_schema", status=500)
    await judge.run(sample_repo, faithfulness, config(server, limit=1))
    assert len(server.chat_requests()) == 2
    said: list[str] = []
    cfg = config(server, limit=2, items="all")  # one new item
    stats = await judge.run(sample_repo, faithfulness, cfg, say=said.append)
    assert stats.judged == 1 and stats.skipped == 1
    assert [form_of(b) for b in server.chat_requests()[2:]] == ["json_object"]
    assert said == [
        "using response_format json_object with the schema, as this server accepted before"
    ]
    # Another model on the same server starts from the top again.
    other = JudgeConfig(model="other-model", base_url=server.url, limit=1)
    await judge.run(sample_repo, faithfulness, other)
    assert form_of(server.chat_requests()[3]) == "json_schema"


async def test_refused_logprobs_are_dropped_and_remembered(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    def answer(body: dict[str, Any]) -> Reply:
        if body.get("logprobs"):
            return Reply(status=422, content="logprobs: extra fields not permitted")
        return json_reply(4)

    server.answer = answer
    stats = await judge.run(sample_repo, faithfulness, config(server, limit=2, concurrency=1))
    assert stats.judged == 2 and stats.logprobs is False
    assert stats.confidence_unknown == 2
    assert ["logprobs" in b for b in server.chat_requests()] == [True, False, False]
    cfg = config(server, limit=3, items="all")
    await judge.run(sample_repo, faithfulness, cfg)
    assert "logprobs" not in server.chat_requests()[-1]


# -- fail fast -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 422])
async def test_first_requests_failing_alike_stop_the_run(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, status: int
) -> None:
    server.answer = lambda body: Reply(status=status, content="Invalid model name passed")
    cfg = config(server, limit=20, concurrency=3)
    with pytest.raises(JudgeFatal) as raised:
        await judge.run(sample_repo, faithfulness, cfg)
    assert raised.value.exit_code == 2
    message = str(raised.value)
    assert "all 3 first requests failed with the same error" in message
    assert f"HTTP {status}" in message and "Invalid model name passed" in message
    assert server.chat_count() == 3
    assert sample_repo.judge.labels(RUBRIC, MODEL) == []


async def test_different_client_errors_do_not_stop_the_run(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [
        Reply(status=400, content="context length exceeded"),
        Reply(status=400, content="bad image"),
    ]
    server.answer = lambda body: json_reply(4)
    stats = await judge.run(sample_repo, faithfulness, config(server, limit=4, concurrency=2))
    assert (stats.failed, stats.judged) == (2, 2)


async def test_a_rate_limit_is_not_a_reason_to_stop(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = lambda body: Reply(status=429)
    cfg = config(server, limit=3, concurrency=3, retries=1)
    stats = await judge.run(sample_repo, faithfulness, cfg)
    assert (stats.failed, stats.errors["RateLimitError"]) == (3, 6)


# -- what the summary counts -----------------------------------------------------------------


async def test_tokens_of_invalid_answers_are_counted(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [Reply(content="no idea", prompt_tokens=70, completion_tokens=7)]
    server.answer = lambda body: json_reply(4, prompt_tokens=100, completion_tokens=20)
    stats = await judge.run(sample_repo, faithfulness, config(server, limit=2, concurrency=1))
    assert (stats.invalid, stats.judged) == (1, 1)
    assert (stats.prompt_tokens, stats.completion_tokens) == (170, 27)


async def test_a_missing_confidence_is_counted_and_explained(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [json_reply(4)]  # logprobs: null
    server.answer = lambda body: logprob_reply({"4": 0.9, "5": 0.1})
    stats = await judge.run(sample_repo, faithfulness, config(server, limit=2, concurrency=1))
    assert (stats.judged, stats.confidence_unknown) == (2, 1)
    metas = [meta for _, meta in sample_repo.judge.labels(RUBRIC, MODEL)]
    unknown = [m for m in metas if m["confidence"] is None]
    known = [m for m in metas if m["confidence"] is not None]
    assert unknown[0]["confidence_detail"] == {"unknown": "the server returned no logprobs"}
    assert known[0]["confidence"] == pytest.approx(0.9)
    assert known[0]["confidence_method"] == "logprobs-lower-bound"
    assert known[0]["confidence_detail"]["p_unaccounted"] == 0.0


async def test_a_raw_control_character_in_the_answer_is_a_valid_judgement(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = lambda body: Reply(content='{"score": 5, "rationale": "a\tb\x07", "tags": []}')
    stats = await judge.run(sample_repo, faithfulness, config(server, limit=1))
    assert (stats.judged, stats.invalid) == (1, 0)
    ((label, _),) = sample_repo.judge.labels(RUBRIC, MODEL)
    assert label.comment == "a\tb\x07"  # stored as written; shown through the visible filter
