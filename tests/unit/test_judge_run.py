"""The judge run against an OpenAI-compatible server on 127.0.0.1, through the real openai SDK.

Retries, timeouts, bad answers, structured-output fallback, samples, concurrency, the cache,
interrupted runs, a refused key, and the Batch API flow end to end.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.openai_server import FakeOpenAI, Reply, json_reply, last_user_text, logprob_reply
from tui_annotate.core.judge import JudgeConfig, JudgeFatal, RunStats
from tui_annotate.core.judge import batch as judge_batch
from tui_annotate.core.judge import endpoint as judge_endpoint
from tui_annotate.core.judge import prompt as judge_prompt
from tui_annotate.core.judge import run as judge
from tui_annotate.core.models import Item, Rubric
from tui_annotate.errors import AnnotateError, InputError
from tui_annotate.store.repository import Repository

MODEL = "judge-model"
JUDGE = f"judge:{MODEL}"
RUBRIC = "faithfulness"
SECRET = "sk-test-NEVER-STORE-3f9a7c1e5b2d"


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        yield s


def config(server: FakeOpenAI, **kw: Any) -> JudgeConfig:
    kw.setdefault("backoff_base", 0.01)
    return JudgeConfig(model=MODEL, base_url=server.url, **kw)


async def judge_run(repo: Repository, rubric: Rubric, cfg: JudgeConfig, **kw: Any) -> RunStats:
    return await judge.run(repo, rubric, cfg, **kw)


def item_ids(repo: Repository, n: int | None = None) -> list[int]:
    ids = [r[0] for r in repo.conn.execute("SELECT id FROM items ORDER BY id")]
    return ids if n is None else ids[:n]


def rate(repo: Repository, item: int, annotator: str, score: int, **extra: Any) -> int:
    """ANNOTATOR's rating of ITEM on the rubric, appended as the app or the judge would."""
    return repo.append_event(
        item_id=item,
        rubric=RUBRIC,
        rubric_version="1.0.0",
        annotator=annotator,
        kind="rate",
        score=score,
        **extra,
    )


def by_item(repo: Repository, ids: list[int], reply: Callable[[int], Reply]) -> Callable:
    """An answer function that replies per item: it finds the item by its boundary line."""
    marks = {f"{judge_prompt.boundary(repo.get_item(i))} BEGIN": i for i in ids}

    def answer(request: dict[str, Any]) -> Reply:
        text = last_user_text(request)
        found = [i for mark, i in marks.items() if mark in text]
        assert len(found) == 1, "the request names no known item"
        return reply(found[0])

    return answer


def labels(repo: Repository) -> dict[int, tuple[Any, dict[str, Any]]]:
    return {label.item_id: (label, meta) for label, meta in repo.judge.labels(RUBRIC, MODEL)}


def judge_events(repo: Repository) -> dict[int, int]:
    """Rating events by the judge, per item (a label stored twice shows up as 2)."""
    return dict(
        repo.conn.execute(
            "SELECT item_id, count(*) FROM labels WHERE annotator = ? AND kind = 'rate'"
            " GROUP BY item_id",
            (JUDGE,),
        ).fetchall()
    )


def assert_secret_nowhere(repo: Repository, db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{db_path}{suffix}")
        if path.exists():
            assert SECRET.encode() not in path.read_bytes(), f"the key is in {path.name}"
    for table in ("labels", "judge_attempts", "judge_cache", "judge_batches", "settings"):
        for row in repo.conn.execute(f"SELECT * FROM {table}"):
            assert SECRET not in json.dumps(row, default=str), f"the key is in {table}"


def assert_key_was_sent(server: FakeOpenAI) -> None:
    """The key did reach the server (so its absence from the database means something)."""
    sent = [r["headers"].get("authorization") for r in server.requests]
    assert sent and all(h == f"Bearer {SECRET}" for h in sent)


# -- happy path ----------------------------------------------------------------------------


async def test_scores_are_stored_as_judge_labels_with_measurements(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, db_path: Path
) -> None:
    ids = item_ids(sample_repo, 5)
    scores = dict(zip(ids, [5, 4, 3, 2, 1], strict=True))
    server.answer = by_item(
        sample_repo,
        ids,
        lambda i: logprob_reply(
            {"4": 0.6, "5": 0.3, "3": 0.1} if scores[i] == 4 else {str(scores[i]): 0.9, "3": 0.1},
            score=scores[i],
            rationale=f"because {i}",
            tags=["wrong-number"] if scores[i] <= 2 else [],
        ),
    )
    cfg = config(server, limit=5)
    stats = await judge_run(sample_repo, faithfulness, cfg)

    assert (stats.total, stats.judged, stats.failed, stats.invalid) == (5, 5, 0, 0)
    assert (stats.prompt_tokens, stats.completion_tokens) == (500, 100)
    assert server.chat_count() == 5
    got = labels(sample_repo)
    assert set(got) == set(ids)
    for i in ids:
        label, meta = got[i]
        prompt = judge_prompt.build(faithfulness, sample_repo.get_item(i), MODEL)
        assert label.annotator == JUDGE
        assert label.score == scores[i]
        assert label.rubric_version == faithfulness.version
        assert label.comment == f"because {i}"
        assert label.tags == (("wrong-number",) if scores[i] <= 2 else ())
        assert meta["prompt_hash"] == prompt.prompt_hash
        assert meta["model"] == MODEL
        assert meta["usage"] == {"prompt_tokens": 100, "completion_tokens": 20}
        assert isinstance(meta["latency_ms"], float) and meta["latency_ms"] > 0
        assert meta["confidence_method"] == "logprobs-lower-bound"
        assert meta["output_form"] == "json_schema"
        assert meta["from_cache"] is False
    four = next(i for i in ids if scores[i] == 4)
    assert got[four][1]["confidence"] == pytest.approx(0.6)
    assert got[four][1]["expected_score"] == pytest.approx(4.2)
    five = next(i for i in ids if scores[i] == 5)
    assert got[five][1]["confidence"] == pytest.approx(0.9)

    # What was asked: the built prompt, structured output and logprobs, temperature 0.
    for body in server.chat_requests():
        assert body["model"] == MODEL and body["temperature"] == 0.0
        assert body["response_format"]["type"] == "json_schema"
        assert body["logprobs"] is True and body["top_logprobs"] == 5
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
    attempts = sample_repo.judge.attempts(RUBRIC, MODEL)
    assert sorted(a["item_id"] for a in attempts) == ids
    assert {a["status"] for a in attempts} == {"ok"}
    # Judge labels are not human labels.
    assert sample_repo.current_labels(RUBRIC) == []
    assert len(sample_repo.current_labels(RUBRIC, humans_only=False)) == 5
    assert_key_was_sent(server)
    assert_secret_nowhere(sample_repo, db_path)


async def test_a_passed_client_is_used_and_closed(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    client = openai.AsyncOpenAI(base_url=server.url, api_key="other-key", max_retries=0)
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=2), client=client)
    assert stats.judged == 2
    assert {r["headers"]["authorization"] for r in server.requests} == {"Bearer other-key"}
    assert client.is_closed()


async def test_without_logprobs_there_is_no_confidence(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = lambda request: json_reply(4)
    await judge_run(sample_repo, faithfulness, config(server, limit=1, logprobs=False))
    ((label, meta),) = labels(sample_repo).values()
    assert label.score == 4
    assert meta["confidence"] is None and meta["confidence_method"] is None
    assert "logprobs" not in server.chat_requests()[0]


# -- retries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (Reply(status=429), "RateLimitError"),
        (Reply(status=500), "InternalServerError"),
        (Reply(status=503), "InternalServerError"),
    ],
)
async def test_a_transient_error_is_retried_once(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, failure: Reply, error: str
) -> None:
    server.script = [failure, json_reply(4)]
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=1))
    assert server.chat_count() == 2
    assert (stats.judged, stats.failed, stats.retries) == (1, 0, 1)
    assert stats.errors == {error: 1}
    assert [label.score for label, _ in labels(sample_repo).values()] == [4]
    assert [a["status"] for a in sample_repo.judge.attempts(RUBRIC, MODEL)] == ["ok"]


async def test_a_timeout_is_retried(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [json_reply(1, delay=10.0), json_reply(5)]
    cfg = config(
        server, limit=1, timeout=2.0
    )  # generous: a loaded CI must not time the retry out too
    stats = await judge_run(sample_repo, faithfulness, cfg)
    assert server.chat_count() == 2
    assert stats.errors == {"APITimeoutError": 1} and stats.retries == 1
    assert [label.score for label, _ in labels(sample_repo).values()] == [5]


async def test_persistent_errors_are_a_failed_attempt_and_no_label(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = lambda request: Reply(status=500)
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=1, retries=2))
    assert server.chat_count() == 3  # the first try and two retries
    assert (stats.judged, stats.failed, stats.retries) == (0, 1, 2)
    assert labels(sample_repo) == {}
    ((attempt),) = sample_repo.judge.attempts(RUBRIC, MODEL)
    assert attempt["status"] == "error"
    assert attempt["item_id"] == item_ids(sample_repo, 1)[0]
    assert "InternalServerError" in attempt["error"]
    assert sample_repo.conn.execute("SELECT count(*) FROM judge_cache").fetchone()[0] == 0


async def test_a_failed_item_is_tried_again_on_the_next_run(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = lambda request: Reply(status=500)
    await judge_run(sample_repo, faithfulness, config(server, limit=2, retries=0))
    assert labels(sample_repo) == {}
    server.answer = lambda request: json_reply(2)
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=2, retries=0))
    assert stats.judged == 2
    assert [label.score for label, _ in labels(sample_repo).values()] == [2, 2]


async def test_backoff_honours_retry_after_up_to_the_cap(faithfulness: Rubric) -> None:
    class Response:
        headers = {"retry-after": "30"}

    class Exc(Exception):
        response = Response()

    cfg = JudgeConfig(model=MODEL, backoff_base=0.01, backoff_cap=0.5)
    caller = judge_endpoint.Caller(None, faithfulness, cfg, RunStats(), learned={}, say=print)
    assert caller._delay(0, Exc()) == 0.5
    for attempt in range(12):
        delay = caller._delay(attempt, Exception())
        assert 0 <= delay <= min(0.5, 0.01 * 2**attempt)


# -- bad answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("I think it's a 4, honestly.", "no JSON object"),
        ('{"score": 4, "rationale": "cut off', "no JSON object"),
        ('{"score": 7, "rationale": "great", "tags": []}', "not on the scale"),
        ('{"score": 0, "rationale": "bad", "tags": []}', "not on the scale"),
        ('{"score": 3.5, "rationale": "between", "tags": []}', "not a whole number"),
        ("", "empty"),
    ],
    ids=["prose", "truncated", "seven", "zero", "half", "empty"],
)
async def test_an_unusable_answer_is_an_invalid_attempt_with_the_raw_text(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, content: str, why: str
) -> None:
    server.script = [Reply(content=content, prompt_tokens=321, completion_tokens=12)]
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=1))
    assert server.chat_count() == 1
    assert (stats.judged, stats.invalid, stats.failed) == (0, 1, 0)
    assert labels(sample_repo) == {}
    ((attempt),) = sample_repo.judge.attempts(RUBRIC, MODEL)
    assert attempt["status"] == "invalid"
    assert attempt["raw"] == content
    assert why in attempt["error"]
    assert (attempt["prompt_tokens"], attempt["completion_tokens"]) == (321, 12)
    assert sample_repo.conn.execute("SELECT count(*) FROM judge_cache").fetchone()[0] == 0


async def test_prose_wrapped_json_is_stored(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    content = (
        "Let me compare the claims.\n```json\n"
        '{"score": 2, "rationale": "Wrong date.", "tags": ["wrong-number", "vibes"]}\n'
        "```\nThat's my grade."
    )
    server.script = [Reply(content=content)]
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=1))
    assert stats.judged == 1
    ((label, meta),) = labels(sample_repo).values()
    assert (label.score, label.comment, label.tags) == (2, "Wrong date.", ("wrong-number",))
    assert meta["dropped_tags"] == ["vibes"]
    assert [a["raw"] for a in sample_repo.judge.attempts(RUBRIC, MODEL)] == [content]


async def test_a_reply_that_is_not_a_chat_completion_is_not_a_label(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    html = b"<html><body>502 Bad Gateway</body></html>"
    server.script = [
        Reply(raw_body=html, headers={"content-type": "text/html"}),
        Reply(raw_body=b"{not json", headers={"content-type": "application/json"}),
    ]
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=2, concurrency=1))
    assert stats.judged == 0 and stats.invalid + stats.failed == 2
    assert labels(sample_repo) == {}
    attempts = sample_repo.judge.attempts(RUBRIC, MODEL)
    assert len(attempts) == 2 and {a["status"] for a in attempts} <= {"invalid", "error"}


# -- servers that can't do everything ------------------------------------------------------


async def test_a_server_rejecting_json_schema_is_asked_with_json_object(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    message = "Invalid parameter: 'response_format' of type 'json_schema' is not supported."
    server.script = [Reply(status=400, content=message)]
    server.answer = lambda request: json_reply(5)
    said: list[str] = []
    cfg = config(server, limit=2, concurrency=1)
    stats = await judge_run(sample_repo, faithfulness, cfg, say=said.append)
    assert stats.judged == 2 and stats.failed == 0
    assert stats.output_form == "json_object"
    first, *later = server.chat_requests()
    assert first["response_format"]["type"] == "json_schema"
    assert len(later) == 2
    for body in later:  # and for the next item too
        assert body["response_format"] == {
            "type": "json_object",
            "schema": judge_prompt.answer_schema(faithfulness),
        }
    assert [label.score for label, _ in labels(sample_repo).values()] == [5, 5]
    assert said == [
        "the server refused response_format json_schema (HTTP 400); using response_format "
        "json_object with the schema from now on"
    ]


async def test_a_server_rejecting_logprobs_is_asked_again_without_them(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [Reply(status=400, content="logprobs are not supported by this model")]
    server.answer = lambda request: json_reply(3)
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=1))
    assert stats.judged == 1
    first, second = server.chat_requests()
    assert first["logprobs"] is True
    assert "logprobs" not in second and "top_logprobs" not in second
    assert "response_format" in second


async def test_another_bad_request_fails_the_item_without_retrying(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [Reply(status=400, content="context length exceeded")]
    server.answer = lambda request: json_reply(4)
    # Two first requests, one answered: the run goes on (see the fail-fast tests for all bad).
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=2, concurrency=2))
    assert server.chat_count() == 2
    assert (stats.judged, stats.failed, stats.errors) == (1, 1, {"BadRequestError": 1})
    bad = [a for a in sample_repo.judge.attempts(RUBRIC, MODEL) if a["status"] != "ok"]
    assert len(bad) == 1 and "context length exceeded" in bad[0]["error"]


# -- samples -------------------------------------------------------------------------------


async def test_samples_take_the_mode_and_the_share_agreeing(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [json_reply(4, "first four"), json_reply(4, "second four"), json_reply(2)]
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=1, samples=3))
    assert server.chat_count() == 3
    assert stats.prompt_tokens == 300
    ((label, meta),) = labels(sample_repo).values()
    assert label.score == 4 and label.comment == "first four"
    assert meta["confidence"] == pytest.approx(2 / 3, abs=1e-4)
    assert meta["expected_score"] == pytest.approx(10 / 3, abs=1e-4)
    assert meta["confidence_method"] == "samples"
    assert meta["samples"] == [4, 4, 2]
    assert meta["usage"] == {"prompt_tokens": 300, "completion_tokens": 60}


async def test_one_unusable_sample_makes_the_item_invalid(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.script = [json_reply(4), Reply(content="no idea")]
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=1, samples=3))
    assert stats.invalid == 1 and labels(sample_repo) == {}
    ((attempt),) = sample_repo.judge.attempts(RUBRIC, MODEL)
    assert attempt["status"] == "invalid"
    assert '"score": 4' in attempt["raw"] and "no idea" in attempt["raw"]


# -- concurrency ---------------------------------------------------------------------------


async def test_requests_run_concurrently_up_to_the_limit(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def answer(request: dict[str, Any]) -> Reply:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.2)  # the server's latency, in its own handler thread
        with lock:
            state["now"] -= 1
        return json_reply(4)

    server.answer = answer
    started = time.monotonic()
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=16, concurrency=8))
    elapsed = time.monotonic() - started
    assert stats.judged == 16
    assert state["max"] == 8
    assert elapsed < 2.0  # serially it would take 3.2 s; two waves take 0.4 s


# -- cache and resume ----------------------------------------------------------------------


async def test_a_rerun_of_judged_items_asks_nothing(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    await judge_run(sample_repo, faithfulness, config(server, limit=5))
    assert server.chat_count() == 5
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=5, items="all"))
    assert server.chat_count() == 5
    assert (stats.total, stats.skipped, stats.judged, stats.cached) == (5, 5, 0, 0)
    assert set(judge_events(sample_repo).values()) == {1}
    # 'unlabeled' leaves out what this judge labelled: the next five are new.
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=5))
    assert stats.judged == 5 and server.chat_count() == 10
    assert len(judge_events(sample_repo)) == 10


async def test_the_cache_answers_a_retracted_label_without_a_request(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = lambda request: json_reply(2, "cached reason")
    await judge_run(sample_repo, faithfulness, config(server, limit=3))
    first = item_ids(sample_repo, 1)[0]
    sample_repo.append_event(
        item_id=first,
        rubric=RUBRIC,
        rubric_version=faithfulness.version,
        annotator=JUDGE,
        kind="retract",
    )
    assert first not in labels(sample_repo)
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=3, items="all"))
    assert server.chat_count() == 3
    assert (stats.cached, stats.skipped, stats.judged) == (1, 2, 0)
    label, meta = labels(sample_repo)[first]
    assert (label.score, label.comment) == (2, "cached reason")
    assert meta["from_cache"] is True
    # The cache hit is not a new attempt.
    assert len(sample_repo.judge.attempts(RUBRIC, MODEL)) == 3


async def test_a_changed_prompt_or_model_is_asked_again(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    await judge_run(sample_repo, faithfulness, config(server, limit=2))
    stats = await judge_run(
        sample_repo, faithfulness, config(server, limit=2, items="all", temperature=0.5)
    )
    assert stats.judged == 2 and server.chat_count() == 4
    hashes = {meta["prompt_hash"] for _, meta in labels(sample_repo).values()}
    ids = item_ids(sample_repo, 2)
    assert hashes == {
        judge_prompt.build(
            faithfulness, sample_repo.get_item(i), MODEL, temperature=0.5
        ).prompt_hash
        for i in ids
    }
    other = JudgeConfig(model="other-model", base_url=server.url, limit=2, items="all")
    stats = await judge_run(sample_repo, faithfulness, other)
    assert stats.judged == 2 and server.chat_count() == 6


async def test_an_interrupted_run_continues_where_it_stopped(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.latency = 0.02
    n, concurrency = 40, 3
    cfg = config(server, concurrency=concurrency)
    main: asyncio.Task[RunStats] | None = None

    def stop_after_three(stats: RunStats) -> None:
        if stats.judged >= 3 and main is not None:
            main.cancel()

    main = asyncio.create_task(judge_run(sample_repo, faithfulness, cfg, progress=stop_after_three))
    with pytest.raises(asyncio.CancelledError):
        await main
    done_first = set(judge_events(sample_repo))
    assert 3 <= len(done_first) < n

    stats = await judge_run(sample_repo, faithfulness, cfg)
    assert stats.total == stats.judged == n - len(done_first)
    events = judge_events(sample_repo)
    assert set(events) == set(item_ids(sample_repo))
    assert set(events.values()) == {1}  # no item labelled twice
    # Only what was in flight when it stopped is asked twice.
    assert n <= server.chat_count() <= n + concurrency


async def test_a_rerun_with_items_all_finishes_the_same_set(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.latency = 0.02
    cfg = config(server, limit=12, items="all", concurrency=2)
    main: asyncio.Task[RunStats] | None = None

    def stop(stats: RunStats) -> None:
        if stats.judged >= 5 and main is not None:
            main.cancel()

    main = asyncio.create_task(judge_run(sample_repo, faithfulness, cfg, progress=stop))
    with pytest.raises(asyncio.CancelledError):
        await main
    first = len(judge_events(sample_repo))
    stats = await judge_run(sample_repo, faithfulness, cfg)
    assert (stats.skipped, stats.judged) == (first, 12 - first)
    events = judge_events(sample_repo)
    assert set(events) == set(item_ids(sample_repo, 12)) and set(events.values()) == {1}


def test_ctrl_c_in_the_middle_loses_nothing_and_a_rerun_finishes(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    # A real SIGINT, as a terminal sends it: asyncio.run turns it into cancelling the run,
    # then KeyboardInterrupt. (Raising KeyboardInterrupt inside a task instead trips a
    # CPython 3.11 bug that breaks every later ast.parse in the thread, pytest's included.)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    server.latency = 0.02
    cfg = config(server, concurrency=2)
    sent = []

    def ctrl_c(stats: RunStats) -> None:
        if stats.judged >= 4 and not sent:
            sent.append(stats.judged)
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(judge.run(sample_repo, faithfulness, cfg, progress=ctrl_c))
    first = judge_events(sample_repo)
    assert 4 <= len(first) < 40
    stats = asyncio.run(judge.run(sample_repo, faithfulness, cfg))
    assert stats.judged == 40 - len(first)
    events = judge_events(sample_repo)
    assert len(events) == 40 and set(events.values()) == {1}


# -- batched writes ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 8, 64])
async def test_results_are_committed_a_batch_at_a_time(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, size: int
) -> None:
    ids = item_ids(sample_repo)
    bad = set(ids[::10])  # invalid answers: failed attempts share the batches
    server.answer = by_item(
        sample_repo, ids, lambda i: Reply(content="no JSON") if i in bad else json_reply(3)
    )
    commits: list[str] = []
    sample_repo.conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None
    )
    try:
        cfg = config(server, concurrency=4)
        stats = await judge_run(sample_repo, faithfulness, cfg, flush_size=size, flush_seconds=60)
    finally:
        sample_repo.conn.set_trace_callback(None)
    assert (stats.judged, stats.invalid) == (len(ids) - len(bad), len(bad))
    events = judge_events(sample_repo)
    assert set(events) == set(ids) - bad and set(events.values()) == {1}
    attempts = sample_repo.judge.attempts(RUBRIC, MODEL)
    assert sorted(a["item_id"] for a in attempts if a["status"] == "invalid") == sorted(bad)
    assert sorted(a["item_id"] for a in attempts) == sorted(ids)
    cached = sample_repo.conn.execute("SELECT count(*) FROM judge_cache").fetchone()[0]
    assert cached == len(ids) - len(bad)
    # One commit per batch of SIZE results (the run's own bookkeeping adds at most two).
    batches = -(-len(ids) // size)
    assert batches <= len(commits) <= batches + 2, commits


async def test_a_waiting_result_is_committed_after_flush_seconds(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    ids = item_ids(sample_repo, 4)
    fast = set(ids[:2])
    server.answer = by_item(
        sample_repo, ids, lambda i: json_reply(4) if i in fast else json_reply(4, delay=30)
    )
    cfg = config(server, limit=4, concurrency=4)
    main = asyncio.create_task(judge_run(sample_repo, faithfulness, cfg, flush_seconds=0.05))
    try:
        deadline = time.monotonic() + 20
        while set(judge_events(sample_repo)) != fast and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        # Stored while the slow two are still being asked: the batch did not wait for them.
        assert set(judge_events(sample_repo)) == fast
        assert not main.done()
    finally:
        main.cancel()
        with pytest.raises(asyncio.CancelledError):
            await main
    assert set(judge_events(sample_repo)) == fast


async def test_a_cancelled_run_commits_every_counted_result(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.latency = 0.02
    stats = RunStats()
    main: asyncio.Task[RunStats] | None = None

    def stop_after_five(seen: RunStats) -> None:
        if seen.judged >= 5 and main is not None:
            main.cancel()

    # Batches that never fill nor time out: only the flush on cancel writes them.
    run = judge_run(
        sample_repo,
        faithfulness,
        config(server, concurrency=3),
        stats=stats,
        progress=stop_after_five,
        flush_seconds=60,
    )
    main = asyncio.create_task(run)
    with pytest.raises(asyncio.CancelledError):
        await main
    assert 5 <= stats.judged < 40
    assert len(judge_events(sample_repo)) == stats.judged


def test_a_batch_of_writes_is_all_or_nothing(sample_repo: Repository) -> None:
    item = item_ids(sample_repo, 1)[0]
    fields = {
        "item_id": item,
        "rubric": RUBRIC,
        "model": MODEL,
        "prompt_hash": "h",
        "status": "error",
        "error": "boom",
    }
    with pytest.raises(ValueError, match="unknown judge write"):
        sample_repo.judge.write_many([("failed", fields), ("failed", fields), ("nonsense", {})])
    assert sample_repo.judge.attempts(RUBRIC, MODEL) == []
    sample_repo.judge.write_many([("failed", fields), ("failed", fields)])
    assert [a["error"] for a in sample_repo.judge.attempts(RUBRIC, MODEL)] == ["boom", "boom"]


# -- a refused key -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_a_refused_run_stops_with_judge_fatal_and_stores_nothing(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, db_path: Path, status: int
) -> None:
    server.answer = lambda request: Reply(status=status)
    with pytest.raises(JudgeFatal, match="refused") as raised:
        await judge_run(sample_repo, faithfulness, config(server, limit=10, concurrency=2))
    assert isinstance(raised.value, AnnotateError)
    # It stops instead of failing every item: at most the requests already under way.
    assert server.chat_count() <= 4
    assert labels(sample_repo) == {}
    assert sample_repo.judge.attempts(RUBRIC, MODEL) == []
    assert SECRET not in str(raised.value)
    assert_secret_nowhere(sample_repo, db_path)


async def test_a_key_echoed_by_the_server_is_not_repeated(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI
) -> None:
    server.answer = lambda request: Reply(status=401, content=f"Incorrect API key: {SECRET}")
    with pytest.raises(JudgeFatal) as raised:
        await judge_run(sample_repo, faithfulness, config(server, limit=1))
    assert SECRET not in str(raised.value)


async def test_a_key_echoed_in_an_error_is_not_stored(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, db_path: Path
) -> None:
    server.answer = lambda request: Reply(status=400, content=f"bad request from key {SECRET}")
    with pytest.raises(JudgeFatal) as raised:
        await judge_run(sample_repo, faithfulness, config(server, limit=1))
    assert "bad request from key [redacted]" in str(raised.value)
    assert len(sample_repo.judge.attempts(RUBRIC, MODEL)) == 1
    assert_secret_nowhere(sample_repo, db_path)


@pytest.mark.parametrize(
    "reply",
    [
        json_reply(4, rationale=f"The key is {SECRET}."),
        Reply(content=f"I can't grade this; my key is {SECRET}"),
    ],
    ids=["in-a-rationale", "in-an-invalid-answer"],
)
async def test_a_key_echoed_in_an_answer_is_not_stored(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, db_path: Path, reply: Reply
) -> None:
    server.script = [reply]
    stats = await judge_run(sample_repo, faithfulness, config(server, limit=1))
    assert stats.judged + stats.invalid == 1
    assert_secret_nowhere(sample_repo, db_path)


def test_a_key_echoed_in_a_batch_answer_is_not_stored(
    sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, db_path: Path
) -> None:
    server.batch_polls_until_done = 0
    server.script = [json_reply(4, rationale=f"key {SECRET}"), Reply(content=f"no: {SECRET}")]
    summary = run_batch(sample_repo, faithfulness, server, cfg=config(server, limit=2))
    assert (summary["judged"], summary["invalid"]) == (1, 1)
    assert_secret_nowhere(sample_repo, db_path)


# -- what a run covers ---------------------------------------------------------------------


def test_plan_leaves_out_items_people_labelled(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    first, second, *_ = item_ids(sample_repo)
    rate(sample_repo, first, "ana", 4)
    rate(sample_repo, second, "judge:someone-else", 4)
    planned = [it.id for it, _ in judge.plan(sample_repo, faithfulness, JudgeConfig(MODEL))]
    assert first not in planned and second in planned and len(planned) == 39
    every = judge.plan(sample_repo, faithfulness, JudgeConfig(MODEL, items="all", limit=3))
    assert [it.id for it, _ in every] == item_ids(sample_repo, 3)
    assert judge.plan(sample_repo, faithfulness, JudgeConfig(MODEL, items="golden")) == []
    with pytest.raises(AnnotateError, match="--items"):
        judge.plan(sample_repo, faithfulness, JudgeConfig(MODEL, items="everything"))


def test_a_rerun_of_the_judge_of_most_items_plans_the_rest_and_reads_only_those(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    """The judge labelled all but three items, a person one of those: the rerun's plan is
    the other two, in id order, and what it looks up of its own labels is just theirs."""
    ids = item_ids(sample_repo)
    for n, item in enumerate(ids[:-3]):
        rate(sample_repo, item, JUDGE, n % 5 + 1, meta={"prompt_hash": f"h{item}"})
    rate(sample_repo, ids[-2], "ana", 2)
    planned = [it.id for it, _ in judge.plan(sample_repo, faithfulness, JudgeConfig(MODEL))]
    assert planned == [ids[-3], ids[-1]]
    assert sample_repo.judge.judged(RUBRIC, MODEL, planned) == {}
    assert sample_repo.judge.judged(RUBRIC, MODEL, [ids[0], ids[5], ids[-1]]) == {
        ids[0]: f"h{ids[0]}",
        ids[5]: f"h{ids[5]}",
    }
    # Asked in chunks of 500 ids: ids that are no item's are simply not found.
    many = sample_repo.judge.judged(RUBRIC, MODEL, [*range(max(ids) + 1, max(ids) + 1200), *ids])
    assert sorted(many) == ids[:-3]


def test_plan_builds_each_items_exact_prompt(sample_repo: Repository, faithfulness: Rubric) -> None:
    cfg = JudgeConfig(MODEL, limit=2, temperature=0.3, samples=2, structured=False)
    for it, prompt in judge.plan(sample_repo, faithfulness, cfg):
        assert isinstance(it, Item)
        assert prompt == judge_prompt.build(
            faithfulness, it, MODEL, structured=False, temperature=0.3, samples=2
        )


async def test_nothing_to_do_makes_no_client(
    sample_repo: Repository, faithfulness: Rubric, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_client(cfg: JudgeConfig) -> None:
        raise AssertionError("a client was made for nothing")

    monkeypatch.setattr(judge, "make_client", no_client)
    seen: list[int] = []
    stats = await judge_run(
        sample_repo,
        faithfulness,
        JudgeConfig(MODEL, items="golden"),
        progress=lambda s: seen.append(s.done),
    )
    assert stats.total == 0 and seen == [0]


def test_stats_summary_keys() -> None:
    stats = RunStats(total=3, judged=2, invalid=1)
    data = stats.to_json()
    assert set(data) == {
        "total",
        "judged",
        "cached",
        "skipped",
        "failed",
        "invalid",
        "retries",
        "prompt_tokens",
        "completion_tokens",
        "confidence_unknown",
        "output_form",
        "logprobs",
        "seconds",
        "requests_per_second",
        "errors",
    }
    assert stats.done == 3


# -- the Batch API -------------------------------------------------------------------------


@pytest.fixture
def batch_server(server: FakeOpenAI) -> FakeOpenAI:
    server.batch_polls_until_done = 2
    return server


def run_batch(repo: Repository, rubric: Rubric, server: FakeOpenAI, **kw: Any) -> dict[str, Any]:
    said: list[str] = kw.pop("said", [])
    cfg = kw.pop("cfg", None) or config(server, limit=6)
    kw.setdefault("resume_id", None)
    return judge_batch.run_batch(
        repo, rubric, cfg, poll_seconds=0.01, say=said.append, **kw
    ).to_json()


def test_a_batch_is_submitted_polled_and_stored(
    sample_repo: Repository, faithfulness: Rubric, batch_server: FakeOpenAI, db_path: Path
) -> None:
    ids = item_ids(sample_repo, 6)
    scores = {i: n % 5 + 1 for n, i in enumerate(ids)}
    batch_server.answer = by_item(
        sample_repo,
        ids,
        lambda i: logprob_reply(
            {str(scores[i]): 0.6, "3": 0.4} if scores[i] != 3 else {"3": 0.6, "2": 0.4}
        ),
    )
    said: list[str] = []
    summary = run_batch(sample_repo, faithfulness, batch_server, said=said)
    assert summary["status"] == "completed"
    assert (summary["judged"], summary["invalid"], summary["failed"], summary["requests"]) == (
        6,
        0,
        0,
        6,
    )
    batch_id = summary["batch"]
    assert list(batch_server.batches) == [batch_id]
    assert any(batch_id in line and "--resume" in line for line in said)
    assert batch_server.chat_count() == 0
    # The uploaded lines: one per item, the same request the live run sends.
    lines = batch_server.batch_requests
    assert len(lines) == 6
    for line in lines:
        body = line["json"]
        assert body["model"] == MODEL and body["response_format"]["type"] == "json_schema"
        assert body["logprobs"] is True
    upload = next(r for r in batch_server.requests if r["path"].endswith("/files"))
    assert upload["form"]["purpose"] == "batch"

    got = labels(sample_repo)
    assert {i: label.score for i, (label, _) in got.items()} == scores
    for i, (_, meta) in got.items():
        assert meta["batch"] == batch_id
        assert meta["confidence"] == pytest.approx(0.6)
        assert meta["prompt_hash"] == (
            judge_prompt.build(faithfulness, sample_repo.get_item(i), MODEL).prompt_hash
        )
    saved = sample_repo.judge.batch(batch_id)
    assert saved is not None and saved["status"] == "completed" and saved["output_file_id"]
    assert len(saved["requests"]) == 6
    assert sample_repo.judge.open_batches(RUBRIC, MODEL) == []
    assert_key_was_sent(batch_server)
    assert_secret_nowhere(sample_repo, db_path)


def test_a_second_batch_run_submits_nothing(
    sample_repo: Repository, faithfulness: Rubric, batch_server: FakeOpenAI
) -> None:
    run_batch(sample_repo, faithfulness, batch_server)
    asked = len(batch_server.requests)
    cfg = config(batch_server, limit=6, items="all")
    summary = run_batch(sample_repo, faithfulness, batch_server, cfg=cfg)
    assert summary["batch"] is None and summary["status"] == "nothing to judge"
    assert len(batch_server.requests) == asked  # not even a file upload
    assert len(batch_server.batches) == 1
    assert set(judge_events(sample_repo).values()) == {1}


def test_a_batch_resumes_by_id_and_stores_each_result_once(
    sample_repo: Repository, faithfulness: Rubric, batch_server: FakeOpenAI
) -> None:
    cfg = config(batch_server, limit=6)
    client = judge_batch.make_client(cfg)
    batch_id = judge_batch.submit(sample_repo, faithfulness, cfg, client)
    assert batch_id is not None
    # Interrupted here: submitted, nothing collected.
    assert labels(sample_repo) == {}
    assert sample_repo.judge.open_batches(RUBRIC, MODEL) == [batch_id]

    summary = run_batch(sample_repo, faithfulness, batch_server, resume_id=batch_id)
    assert summary["batch"] == batch_id and summary["judged"] == 6
    again = run_batch(sample_repo, faithfulness, batch_server, resume_id=batch_id)
    assert again["judged"] == 0
    events = judge_events(sample_repo)
    assert len(events) == 6 and set(events.values()) == {1}
    assert len(batch_server.batches) == 1
    assert len(batch_server.batch_requests) == 6


@pytest.mark.parametrize("limit", ["requests", "bytes"])
def test_a_batch_holds_what_the_batch_api_takes_and_the_next_run_submits_the_rest(
    sample_repo: Repository,
    faithfulness: Rubric,
    batch_server: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
) -> None:
    """With at most 16 requests a batch (or a file of about one and a half requests' bytes:
    one a batch), the 40 items take three (forty) runs, each but the last says more are
    left, and every item is labelled once."""
    if limit == "requests":
        monkeypatch.setattr(judge_batch, "BATCH_MAX_REQUESTS", 16)
        expected = [16, 16, 8]
    else:
        monkeypatch.setattr(judge_batch, "BATCH_MAX_BYTES", 6_000)
        expected = [1] * 40
    batch_server.batch_polls_until_done = 0  # done at the first look: no poll's sleep
    cfg = config(batch_server)
    sizes: list[int] = []
    for _ in range(len(expected)):
        said: list[str] = []
        summary = run_batch(sample_repo, faithfulness, batch_server, cfg=cfg, said=said)
        sizes.append(summary["requests"])
        assert summary["judged"] == summary["requests"]
        assert any("more items are still to judge" in line for line in said) == (
            len(sizes) < len(expected)
        )
    assert sizes == expected
    assert run_batch(sample_repo, faithfulness, batch_server, cfg=cfg)["batch"] is None
    events = judge_events(sample_repo)
    assert set(events) == set(item_ids(sample_repo)) and set(events.values()) == {1}
    assert len(batch_server.batches) == len(expected)
    # Every request is over 3,000 bytes: no two fit in 6,000, and one alone always goes.
    assert min(len(json.dumps(r)) for r in batch_server.batch_requests) > 3_000


def test_an_open_batch_is_resumed_rather_than_submitted_again(
    sample_repo: Repository, faithfulness: Rubric, batch_server: FakeOpenAI
) -> None:
    cfg = config(batch_server, limit=4)
    batch_id = judge_batch.submit(sample_repo, faithfulness, cfg, judge_batch.make_client(cfg))
    said: list[str] = []
    summary = run_batch(sample_repo, faithfulness, batch_server, cfg=cfg, said=said)
    assert summary["batch"] == batch_id and summary["judged"] == 4
    assert f"resuming batch {batch_id}" in said
    assert len(batch_server.batches) == 1


def test_resuming_an_unknown_batch_is_an_input_error(
    sample_repo: Repository, faithfulness: Rubric, batch_server: FakeOpenAI
) -> None:
    with pytest.raises(InputError, match="batch_nope"):
        run_batch(sample_repo, faithfulness, batch_server, resume_id="batch_nope")


def test_a_batch_with_an_unusable_answer_records_it_as_invalid(
    sample_repo: Repository, faithfulness: Rubric, batch_server: FakeOpenAI
) -> None:
    batch_server.script = [json_reply(5), Reply(content='{"score": 9}'), json_reply(3)]
    summary = run_batch(sample_repo, faithfulness, batch_server, cfg=config(batch_server, limit=3))
    assert (summary["judged"], summary["invalid"]) == (2, 1)
    first, second, third = item_ids(sample_repo, 3)
    assert {i: label.score for i, (label, _) in labels(sample_repo).items()} == {first: 5, third: 3}
    invalid = [a for a in sample_repo.judge.attempts(RUBRIC, MODEL) if a["status"] == "invalid"]
    assert [(a["item_id"], a["raw"]) for a in invalid] == [(second, '{"score": 9}')]


def test_a_batch_line_that_failed_is_recorded_as_a_failed_attempt(
    sample_repo: Repository, faithfulness: Rubric, batch_server: FakeOpenAI
) -> None:
    # As on the real Batch API, a failed line goes to the batch's error file, not its output.
    batch_server.script = [json_reply(5), Reply(status=500), json_reply(3)]
    summary = run_batch(sample_repo, faithfulness, batch_server, cfg=config(batch_server, limit=3))
    assert (summary["judged"], summary["failed"]) == (2, 1)
    second = item_ids(sample_repo, 3)[1]
    failed = [a for a in sample_repo.judge.attempts(RUBRIC, MODEL) if a["status"] == "error"]
    assert [a["item_id"] for a in failed] == [second]
