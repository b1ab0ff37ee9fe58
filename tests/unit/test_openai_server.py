"""The fake OpenAI server, driven by the real ``openai`` SDK (sync and async), never the network."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from tests.openai_server import (
    FakeOpenAI,
    Reply,
    default_answer,
    json_reply,
    logprob_reply,
    score_logprobs,
)

MODEL = "judge-model"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def client(server: FakeOpenAI) -> Iterator[OpenAI]:
    c = OpenAI(base_url=server.url, api_key="test", max_retries=0)
    yield c
    c.close()


def ask(client: OpenAI, prompt: str = "Rate this.", **kw: Any) -> Any:
    return client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": prompt}], **kw
    )


def score_of(completion: Any, i: int = 0) -> int:
    return json.loads(completion.choices[i].message.content)["score"]


def test_url_is_a_local_v1_base_url(server: FakeOpenAI) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/v1"


def test_default_answer_is_a_json_score_of_3(server: FakeOpenAI, client: OpenAI) -> None:
    completion = ask(client)
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == MODEL
    assert isinstance(completion.created, int)
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.logprobs is None
    assert choice.message.role == "assistant"
    assert json.loads(choice.message.content) == {"score": 3, "rationale": "ok", "tags": []}
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (100, 20)
    assert completion.usage.total_tokens == 120
    assert server.chat_count() == 1


def test_answer_marker_in_the_last_user_message_sets_the_score(client: OpenAI) -> None:
    assert score_of(ask(client, "Item ... ANSWER=5")) == 5
    parts = [{"type": "text", "text": "part one"}, {"type": "text", "text": "ANSWER=1"}]
    assert score_of(ask(client, parts)) == 1  # type: ignore[arg-type]
    # Only the last user message counts.
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "ANSWER=4"},
            {"role": "user", "content": "ANSWER=2"},
            {"role": "assistant", "content": "ANSWER=4"},
            {"role": "user", "content": "no marker"},
        ],
    )
    assert score_of(completion) == 3


def test_script_replies_come_first_in_order(server: FakeOpenAI, client: OpenAI) -> None:
    server.script = [json_reply(1, "first"), Reply(content="not json at all"), json_reply(5)]
    assert json.loads(ask(client).choices[0].message.content)["rationale"] == "first"
    assert ask(client).choices[0].message.content == "not json at all"
    assert score_of(ask(client, "ANSWER=2")) == 5
    assert server.script == []
    assert score_of(ask(client, "ANSWER=2")) == 2  # back to `answer`


def test_answer_is_assignable_and_sees_the_request(server: FakeOpenAI, client: OpenAI) -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: dict[str, Any]) -> Reply:
        seen.append(request)
        return json_reply(4, tags=["x"], finish_reason="length", completion_tokens=7)

    server.answer = answer
    completion = ask(client, temperature=0)
    assert json.loads(completion.choices[0].message.content)["tags"] == ["x"]
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 7
    assert seen[0]["model"] == MODEL
    assert seen[0]["temperature"] == 0
    server.answer = default_answer
    assert score_of(ask(client)) == 3


def test_an_answer_that_raises_is_a_500_and_is_kept(server: FakeOpenAI, client: OpenAI) -> None:
    def answer(request: dict[str, Any]) -> Reply:
        raise RuntimeError("boom")

    server.answer = answer
    with pytest.raises(openai.InternalServerError, match="boom"):
        ask(client)
    assert [str(e) for e in server.errors] == ["boom"]


def test_429_raises_rate_limit_error_with_an_openai_error_body(
    server: FakeOpenAI, client: OpenAI
) -> None:
    server.script = [Reply(status=429)]
    with pytest.raises(openai.RateLimitError) as info:
        ask(client)
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "0"
    assert isinstance(info.value.body, dict)
    assert info.value.body["type"] == "requests"
    assert info.value.body["code"] == "rate_limit_exceeded"
    assert server.chat_count() == 1  # max_retries=0: no retry


def test_500_raises_internal_server_error(server: FakeOpenAI, client: OpenAI) -> None:
    server.script = [Reply(status=500), Reply(status=503, content="overloaded")]
    with pytest.raises(openai.InternalServerError) as info:
        ask(client)
    assert info.value.status_code == 500
    assert info.value.body["type"] == "server_error"  # type: ignore[index]
    with pytest.raises(openai.InternalServerError, match="overloaded"):
        ask(client)


def test_sdk_retries_get_the_next_script_reply_quickly(server: FakeOpenAI) -> None:
    # retry-after-ms is what the SDK honours first; 429s send it (1 ms) by default.
    server.script = [Reply(status=429), Reply(status=500, headers={"retry-after-ms": "1"})]
    server.script.append(json_reply(4))
    retrying = OpenAI(base_url=server.url, api_key="test", max_retries=2)
    start = time.perf_counter()
    assert score_of(ask(retrying)) == 4
    assert time.perf_counter() - start < 0.35  # one SDK backoff alone is >= 0.375 s
    assert server.chat_count() == 3
    retrying.close()


def test_a_slow_reply_times_out(server: FakeOpenAI, client: OpenAI) -> None:
    server.script = [Reply(delay=2)]
    start = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "slow"}]
        )
    assert time.perf_counter() - start < 1.5
    assert server.chat_count() == 1  # recorded before the sleep
    assert score_of(ask(client)) == 3  # the server still answers others meanwhile


def test_garbage_json_body_makes_the_sdk_raise_a_plain_value_error(
    server: FakeOpenAI, client: OpenAI
) -> None:
    # With content-type application/json the SDK calls response.json() unguarded: the
    # json.JSONDecodeError escapes as is, it is NOT an openai.APIError.
    server.script = [Reply(raw_body=b"this is {not json")]
    with pytest.raises(json.JSONDecodeError) as info:
        ask(client)
    assert not isinstance(info.value, openai.APIError)


def test_non_json_content_type_makes_the_sdk_return_the_text(
    server: FakeOpenAI, client: OpenAI
) -> None:
    server.script = [Reply(raw_body=b"upstream hiccup", headers={"content-type": "text/plain"})]
    assert ask(client) == "upstream hiccup"  # a str, not a ChatCompletion


def test_json_of_the_wrong_shape_parses_into_an_empty_completion(
    server: FakeOpenAI, client: OpenAI
) -> None:
    server.script = [Reply(raw_body=b'{"unexpected": true}')]
    completion = ask(client)
    assert completion.choices is None  # the SDK does not validate (non-strict)
    assert completion.id is None


def test_raw_body_with_an_error_status_is_a_status_error(
    server: FakeOpenAI, client: OpenAI
) -> None:
    html = b"<html>502 Bad Gateway</html>"
    server.script = [Reply(status=502, raw_body=html, headers={"content-type": "text/html"})]
    with pytest.raises(openai.InternalServerError) as info:
        ask(client)
    assert info.value.body == html.decode()


def test_logprobs_carry_the_score_distribution(client: OpenAI, server: FakeOpenAI) -> None:
    dist = {"4": 0.7, "5": 0.2, "3": 0.1}
    server.script = [logprob_reply(dist)]
    completion = ask(client, logprobs=True, top_logprobs=5)
    choice = completion.choices[0]
    assert json.loads(choice.message.content)["score"] == 4
    tokens = choice.logprobs.content
    assert "".join(t.token for t in tokens) == choice.message.content
    # The score token: the first all-digit token after a token containing 'score'.
    after = next(i for i, t in enumerate(tokens) if "score" in t.token)
    digit = next(t for t in tokens[after + 1 :] if t.token.isdigit())
    assert digit.token == "4"
    assert digit.logprob == pytest.approx(math.log(0.7))
    probs = {t.token: math.exp(t.logprob) for t in digit.top_logprobs}
    assert probs == pytest.approx(dist)
    assert sum(probs.values()) == pytest.approx(1.0)
    assert [t.token for t in digit.top_logprobs] == ["4", "5", "3"]
    expected = sum(int(k) * p for k, p in probs.items())
    assert expected == pytest.approx(4.1)
    assert digit.bytes == [ord("4")]


def test_score_logprobs_token_layout() -> None:
    tokens = score_logprobs({"2": 0.6, "1": 0.4, "5": 0.0}, rationale="fine", tags=["a"])
    assert [t for t, _, _ in tokens[:5]] == ['{"', "score", '":', " ", "2"]
    assert "".join(t for t, _, _ in tokens) == json_reply(2, "fine", ["a"]).content
    _, logprob, top = tokens[4]
    assert logprob == pytest.approx(math.log(0.6))
    assert top[-1] == ("5", -9999.0)  # p == 0 -> the API's "very unlikely"
    assert all(lp == 0.0 and tp == [(t, 0.0)] for t, lp, tp in tokens[:4] + tokens[5:])
    # An explicit (even unlikely) sampled score.
    forced = score_logprobs({"2": 0.6, "1": 0.4}, score=1)
    assert forced[4][0] == "1"
    assert forced[4][1] == pytest.approx(math.log(0.4))


def test_logprobs_follow_the_request_like_the_real_api(server: FakeOpenAI, client: OpenAI) -> None:
    dist = {"4": 0.7, "5": 0.2, "3": 0.1}
    server.script = [logprob_reply(dist), logprob_reply(dist), logprob_reply(dist)]
    assert ask(client).choices[0].logprobs is None  # not asked for
    no_top = ask(client, logprobs=True).choices[0].logprobs.content
    assert all(t.top_logprobs == [] for t in no_top)  # top_logprobs not given
    cut = ask(client, logprobs=True, top_logprobs=2).choices[0].logprobs.content
    assert [t.token for t in cut[4].top_logprobs] == ["4", "5"]
    # A reply without logprobs: an endpoint that does not support them.
    assert ask(client, logprobs=True, top_logprobs=5).choices[0].logprobs is None


def test_n_returns_n_choices_each_from_script_then_answer(
    server: FakeOpenAI, client: OpenAI
) -> None:
    server.script = [json_reply(1), json_reply(2)]
    completion = ask(client, "ANSWER=5", n=3)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert [score_of(completion, i) for i in range(3)] == [1, 2, 5]
    assert completion.usage.completion_tokens == 60
    assert server.chat_count() == 1


def test_response_format_is_accepted_and_recorded(server: FakeOpenAI, client: OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "score": {"type": "integer"},
            "rationale": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["score", "rationale", "tags"],
        "additionalProperties": False,
    }
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "judgement", "strict": True, "schema": schema},
    }
    completion = ask(client, "ANSWER=4", response_format=response_format)
    assert score_of(completion) == 4
    (request,) = server.requests
    assert request["method"] == "POST"
    assert request["path"] == "/v1/chat/completions"
    assert request["json"]["response_format"] == response_format
    assert request["json"]["messages"] == [{"role": "user", "content": "ANSWER=4"}]
    assert request["headers"]["authorization"] == "Bearer test"
    assert server.chat_requests() == [request["json"]]


def test_streaming_yields_the_content_and_usage(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "ANSWER=2"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert json.loads(text)["score"] == 2
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 120


def test_unknown_paths_are_404(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model=MODEL, input="x")
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_nope")


def test_models_list(client: OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["fake-model"]


async def test_async_client_runs_concurrent_requests_in_parallel() -> None:
    with FakeOpenAI(latency=0.2) as server:
        client = AsyncOpenAI(base_url=server.url, api_key="test", max_retries=0)
        start = time.perf_counter()
        completions = await asyncio.gather(
            *(
                client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": f"ANSWER={i % 5 + 1}"}]
                )
                for i in range(20)
            )
        )
        elapsed = time.perf_counter() - start
        await client.close()
    assert elapsed < 2  # serial would be 20 × 0.2 = 4 s
    assert elapsed >= 0.2
    assert [score_of(c) for c in completions] == [i % 5 + 1 for i in range(20)]
    assert server.chat_count() == 20


def test_stop_is_prompt_even_with_a_sleeping_handler() -> None:
    server = FakeOpenAI().start()
    client = OpenAI(base_url=server.url, api_key="test", max_retries=0, timeout=0.2)
    server.script = [Reply(delay=30)]
    with pytest.raises(openai.APITimeoutError):
        ask(client)
    start = time.perf_counter()
    server.stop()
    server.stop()  # idempotent
    assert time.perf_counter() - start < 1
    client.close()


def batch_line(custom_id: str, prompt: str) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": MODEL, "messages": [{"role": "user", "content": prompt}]},
    }


def test_batch_flow(server: FakeOpenAI, client: OpenAI) -> None:
    lines = [batch_line("item-1", "ANSWER=5"), batch_line("item-2", "x"), batch_line("c3", "y")]
    server.script = [json_reply(1, "scripted")]  # the batch's first line is answered from it
    jsonl = "".join(json.dumps(line) + "\n" for line in lines).encode()

    uploaded = client.files.create(file=("requests.jsonl", jsonl), purpose="batch")
    assert uploaded.id.startswith("file-")
    assert (uploaded.object, uploaded.purpose, uploaded.status) == ("file", "batch", "processed")
    assert (uploaded.filename, uploaded.bytes) == ("requests.jsonl", len(jsonl))
    assert server.file_content(uploaded.id) == jsonl

    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert batch.id.startswith("batch_")
    assert (batch.object, batch.status) == ("batch", "validating")
    assert (batch.input_file_id, batch.endpoint, batch.completion_window) == (
        uploaded.id,
        "/v1/chat/completions",
        "24h",
    )
    assert batch.request_counts is not None
    assert batch.request_counts.total == 3

    statuses = []
    for _ in range(10):
        batch = client.batches.retrieve(batch.id)
        statuses.append(batch.status)
        if batch.status == "completed":
            break
    assert statuses == ["in_progress", "in_progress", "completed"]
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (3, 0)
    assert batch.output_file_id is not None
    assert batch.error_file_id is None
    assert client.batches.retrieve(batch.id).status == "completed"  # stays completed

    content = client.files.content(batch.output_file_id)
    results = [json.loads(line) for line in content.text.splitlines()]
    assert [r["custom_id"] for r in results] == ["item-1", "item-2", "c3"]
    for r in results:
        assert r["id"].startswith("batch_req_")
        assert r["error"] is None
        assert r["response"]["status_code"] == 200
        assert r["response"]["request_id"]
        assert r["response"]["body"]["object"] == "chat.completion"
        assert r["response"]["body"]["model"] == MODEL
    scores = [
        json.loads(r["response"]["body"]["choices"][0]["message"]["content"]) for r in results
    ]
    assert [s["score"] for s in scores] == [1, 3, 3]
    assert scores[0]["rationale"] == "scripted"

    paths = [(r["method"], r["path"]) for r in server.requests]
    assert paths == [
        ("POST", "/v1/files"),
        ("POST", "/v1/batches"),
        *[("GET", f"/v1/batches/{batch.id}")] * 4,
        ("GET", f"/v1/files/{batch.output_file_id}/content"),
    ]
    assert server.requests[0]["form"] == {
        "purpose": "batch",
        "file": {"filename": "requests.jsonl", "bytes": len(jsonl)},
    }
    assert server.requests[1]["json"]["input_file_id"] == uploaded.id
    assert [b["custom_id"] for b in server.batch_requests] == ["item-1", "item-2", "c3"]
    assert server.chat_count() == 0  # batch lines are not HTTP chat requests


def test_batch_parses_answer_markers_and_reports_failures(
    server: FakeOpenAI, client: OpenAI
) -> None:
    server.batch_polls_until_done = 0
    server.script = [Reply(status=429)]
    lines = [batch_line("a", "ANSWER=2"), batch_line("b", "ANSWER=5")]
    jsonl = "".join(json.dumps(line) + "\n" for line in lines).encode()
    uploaded = client.files.create(file=("in.jsonl", jsonl), purpose="batch")
    created = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    batch = client.batches.retrieve(created.id)
    assert batch.status == "completed"
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (1, 1)
    assert batch.output_file_id is not None
    assert batch.error_file_id is not None
    (ok,) = [json.loads(x) for x in client.files.content(batch.output_file_id).text.splitlines()]
    assert ok["custom_id"] == "b"
    assert json.loads(ok["response"]["body"]["choices"][0]["message"]["content"])["score"] == 5
    (bad,) = [json.loads(x) for x in client.files.content(batch.error_file_id).text.splitlines()]
    assert bad["custom_id"] == "a"
    assert bad["response"]["status_code"] == 429
    assert bad["response"]["body"]["error"]["code"] == "rate_limit_exceeded"


def test_batch_cancel_and_bad_inputs(server: FakeOpenAI, client: OpenAI) -> None:
    jsonl = (json.dumps(batch_line("a", "x")) + "\n").encode()
    uploaded = client.files.create(file=("in.jsonl", jsonl), purpose="batch")
    created = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert client.batches.cancel(created.id).status == "cancelling"
    assert client.batches.retrieve(created.id).status == "cancelled"
    assert server.batch_requests == []
    with pytest.raises(openai.NotFoundError):
        client.batches.create(
            input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/embeddings", completion_window="24h"
        )
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-missing")
