"""`judge`, `route` and `agreement --judge` end to end, against a server on 127.0.0.1."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.cli.conftest import Run, bad, describe, ok, write_jsonl
from tests.openai_server import FakeOpenAI, Reply, json_reply
from tests.unit.test_routing import (
    GOOD,
    HUMAN,
    LOW,
    MODEL,
    TAG,
    check_seeded_report,
    judge_all,
    judge_score,
    positions,
)
from tui_annotate.core.judge import prompt as judge_prompt
from tui_annotate.core.judge.writes import Writes
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
SECRET = "sk-test-CLI-NEVER-PRINT-91c0de"
SUMMARY_KEYS = {
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


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def judge_cmd(cli: Run, server: FakeOpenAI, sample_repo: Repository) -> Any:
    """judge_cmd("--limit", "3") runs `judge --rubric faithfulness --model M --base-url URL …`."""

    def run(*args: str, **kw: Any) -> Result:
        result = cli(
            "judge", "--rubric", RUBRIC, "--model", MODEL, "--base-url", server.url, *args, **kw
        )
        assert SECRET not in result.stdout and SECRET not in result.stderr, describe(result)
        return result

    return run


def judge_labels(repo: Repository, model: str = MODEL) -> dict[int, Any]:
    return {label.item_id: (label, meta) for label, meta in repo.judge.labels(RUBRIC, model)}


def events_per_item(repo: Repository) -> list[int]:
    return [
        n
        for (n,) in repo.conn.execute(
            "SELECT count(*) FROM labels WHERE annotator = ? AND kind = 'rate' GROUP BY item_id",
            (f"judge:{MODEL}",),
        )
    ]


def assert_secret_not_in_db(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db_path}{suffix}")
        if path.exists():
            assert SECRET.encode() not in path.read_bytes()


# -- judge ---------------------------------------------------------------------------------


def test_judge_stores_labels_exits_0_and_prints_a_json_summary(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository, db_path: Path
) -> None:
    server.answer = lambda request: json_reply(4, "fine")
    data = json.loads(ok(judge_cmd("--limit", "5", "--concurrency", "2", "--json")).stdout)
    assert set(data) == SUMMARY_KEYS
    assert (data["total"], data["judged"], data["failed"], data["invalid"]) == (5, 5, 0, 0)
    assert (data["prompt_tokens"], data["completion_tokens"]) == (500, 100)
    assert data["errors"] == {}
    got = judge_labels(sample_repo)
    assert len(got) == 5 and {label.score for label, _ in got.values()} == {4}
    assert server.chat_count() == 5
    assert {r["headers"]["authorization"] for r in server.requests} == {f"Bearer {SECRET}"}
    assert_secret_not_in_db(db_path)


def test_judge_prints_a_one_line_summary(judge_cmd: Any, server: FakeOpenAI) -> None:
    text = ok(judge_cmd("--limit", "3")).stdout
    assert text.startswith(f"judge:{MODEL} on {RUBRIC}: 3 judged, 0 from cache, 0 already done")
    assert "0 invalid answers, 0 failed; 300 + 60 tokens in" in text


def test_a_second_judge_run_asks_nothing(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository
) -> None:
    ok(judge_cmd("--limit", "4"))
    data = json.loads(ok(judge_cmd("--limit", "4", "--items", "all", "--json")).stdout)
    assert (data["skipped"], data["judged"]) == (4, 0)
    assert server.chat_count() == 4
    assert events_per_item(sample_repo) == [1, 1, 1, 1]


def test_judge_exits_1_when_an_answer_is_invalid(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository
) -> None:
    server.script = [Reply(content="Looks fine to me!")]
    result = judge_cmd("--limit", "4", "--concurrency", "1", "--json")
    assert result.exit_code == 1, describe(result)
    data = json.loads(result.stdout)
    assert (data["judged"], data["invalid"], data["failed"]) == (3, 1, 0)
    assert len(judge_labels(sample_repo)) == 3
    (invalid,) = [a for a in sample_repo.judge.attempts(RUBRIC, MODEL) if a["status"] == "invalid"]
    assert invalid["raw"] == "Looks fine to me!"


def test_judge_exits_1_when_an_item_failed(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository
) -> None:
    server.script = [Reply(status=500)]
    result = judge_cmd("--limit", "3", "--concurrency", "1", "--retries", "0")
    assert result.exit_code == 1, describe(result)
    assert "2 judged" in result.stdout and "1 failed" in result.stdout
    assert [a["status"] for a in sample_repo.judge.attempts(RUBRIC, MODEL)].count("error") == 1


def test_samples_and_temperature_reach_the_server(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository
) -> None:
    server.script = [json_reply(4), json_reply(2), json_reply(4)]
    ok(judge_cmd("--limit", "1", "--samples", "3", "--no-logprobs", "--no-structured"))
    bodies = server.chat_requests()
    assert len(bodies) == 3
    assert {b["temperature"] for b in bodies} == {1.0}  # the default with --samples > 1
    assert all("response_format" not in b and "logprobs" not in b for b in bodies)
    ((label, meta),) = judge_labels(sample_repo).values()
    assert label.score == 4 and meta["confidence"] == pytest.approx(2 / 3, abs=1e-4)


def test_dry_run_prints_the_exact_prompt_and_sends_nothing(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository, faithfulness: Rubric
) -> None:
    data = json.loads(ok(judge_cmd("--dry-run")).stdout)
    first = sample_repo.get_item(min(positions(sample_repo).values()))
    prompt = judge_prompt.build(faithfulness, first, MODEL)
    assert data["item"] == first.external_id
    assert data["model"] == MODEL
    assert data["prompt_hash"] == prompt.prompt_hash
    assert data["messages"] == list(prompt.messages)
    assert data["response_format"] == prompt.response_format
    assert first.output in data["messages"][1]["content"]
    assert server.requests == []
    assert judge_labels(sample_repo) == {}
    plain = json.loads(ok(judge_cmd("--dry-run", "--no-structured")).stdout)
    assert plain["response_format"] is None


def test_dry_run_shows_a_prompt_even_when_every_item_is_labelled(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository, faithfulness: Rubric
) -> None:
    ok(judge_cmd())  # every item judged: nothing is left for --items unlabeled
    asked = server.chat_count()
    data = json.loads(ok(judge_cmd("--dry-run")).stdout)
    first = sample_repo.get_item(min(positions(sample_repo).values()))
    assert data["item"] == first.external_id
    assert data["messages"] == list(judge_prompt.build(faithfulness, first, MODEL).messages)
    assert server.chat_count() == asked


def test_dry_run_shows_the_form_this_server_accepted_before(
    judge_cmd: Any, server: FakeOpenAI, faithfulness: Rubric
) -> None:
    def answer(request: dict[str, Any]) -> Reply:
        if request.get("response_format", {}).get("type") == "json_schema":
            return Reply(status=422, content="response_format: json_schema is not allowed")
        return json_reply(4)

    server.answer = answer
    ok(judge_cmd("--limit", "1"))
    data = json.loads(ok(judge_cmd("--dry-run")).stdout)
    assert data["response_format"] == {
        "type": "json_object",
        "schema": judge_prompt.answer_schema(faithfulness),
    }


def test_a_run_that_cannot_work_stops_after_the_first_requests(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository
) -> None:
    server.answer = lambda request: Reply(status=400, content="Invalid model name passed")
    result = bad(judge_cmd("--concurrency", "3"), 2)
    assert "all 3 first requests failed with the same error" in result.stderr
    assert "Invalid model name passed" in result.stderr
    assert server.chat_count() == 3
    assert judge_labels(sample_repo) == {}


def test_the_fallback_and_missing_confidences_are_said(judge_cmd: Any, server: FakeOpenAI) -> None:
    def answer(request: dict[str, Any]) -> Reply:
        if request.get("response_format", {}).get("type") == "json_schema":
            return Reply(status=500, content="response_format json_schema is not supported")
        return json_reply(4)  # no logprobs

    server.answer = answer
    result = ok(judge_cmd("--limit", "3", "--concurrency", "1"))
    assert result.stderr.count("judge: the server refused response_format json_schema") == 1
    assert "; 3 judged without a confidence (no usable logprobs" in result.stdout


def test_route_text_counts_labels_without_a_confidence(
    judge_cmd: Any, cli: Run, server: FakeOpenAI
) -> None:
    server.answer = lambda request: json_reply(4)  # no logprobs
    ok(judge_cmd("--limit", "3"))
    text = ok(cli("route", "--rubric", RUBRIC, "--sample", "0")).stdout
    assert "routed 0 of 3 judged items to people" in text
    assert "3 judged items have no confidence" in text


def test_a_refused_key_exits_2_and_stores_nothing(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository, db_path: Path
) -> None:
    server.answer = lambda request: Reply(status=401)
    result = bad(judge_cmd("--limit", "5"), 2)
    assert "refused" in result.stderr and "AuthenticationError" in result.stderr
    assert judge_labels(sample_repo) == {}
    assert sample_repo.judge.attempts(RUBRIC, MODEL) == []
    assert_secret_not_in_db(db_path)


def test_judge_without_a_database_exits_2(cli: Run, server: FakeOpenAI, db_path: Path) -> None:
    result = bad(cli("judge", "--rubric", RUBRIC, "--model", MODEL, "--base-url", server.url))
    assert "no database" in result.stderr
    assert not db_path.exists()
    assert server.requests == []


def test_judge_rejects_an_unknown_item_set(judge_cmd: Any, server: FakeOpenAI) -> None:
    result = judge_cmd("--items", "everything")
    assert result.exit_code == 2, describe(result)
    assert server.requests == []


def test_ctrl_c_exits_130_and_a_rerun_continues(
    judge_cmd: Any,
    server: FakeOpenAI,
    sample_repo: Repository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # After the third result is in hand; it is committed with its batch when the run stops.
    record = Writes.ok
    calls = {"n": 0}

    def then_ctrl_c(self: Writes, **kw: Any) -> None:
        record(self, **kw)
        calls["n"] += 1
        if calls["n"] == 3:
            signal.raise_signal(signal.SIGINT)  # as the terminal sends it

    monkeypatch.setattr(Writes, "ok", then_ctrl_c)
    result = judge_cmd("--limit", "10", "--concurrency", "1")
    assert result.exit_code == 130, describe(result)
    assert "stopped: 3 judged so far are saved" in result.stderr
    assert "run the same command again" in result.stderr
    assert len(judge_labels(sample_repo)) == 3
    monkeypatch.setattr(Writes, "ok", record)
    data = json.loads(ok(judge_cmd("--limit", "7", "--json")).stdout)
    assert data["judged"] == 7
    assert len(judge_labels(sample_repo)) == 10
    assert events_per_item(sample_repo) == [1] * 10


def test_judge_batch_and_resume_by_id(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository
) -> None:
    server.batch_polls_until_done = 1
    server.answer = lambda request: json_reply(5)
    result = ok(judge_cmd("--batch", "--limit", "4", "--poll-seconds", "0.01", "--json"))
    data = json.loads(result.stdout)
    assert (data["status"], data["judged"], data["requests"]) == ("completed", 4, 4)
    assert f"--resume {data['batch']}" in result.stderr
    assert server.chat_count() == 0 and len(server.batch_requests) == 4
    again = json.loads(
        ok(judge_cmd("--resume", data["batch"], "--poll-seconds", "0.01", "--json")).stdout
    )
    assert again["batch"] == data["batch"] and again["judged"] == 0
    assert events_per_item(sample_repo) == [1] * 4


def test_judge_batch_exits_1_when_an_answer_is_invalid(
    judge_cmd: Any, server: FakeOpenAI, sample_repo: Repository
) -> None:
    server.batch_polls_until_done = 0
    server.script = [Reply(content="Looks fine to me!")]
    result = judge_cmd("--batch", "--limit", "3", "--poll-seconds", "0.01", "--json")
    data = json.loads(result.stdout)
    assert (data["judged"], data["invalid"]) == (2, 1)
    assert len(judge_labels(sample_repo)) == 2
    assert result.exit_code == 1, describe(result)  # as a live run with an invalid answer


def test_judge_batch_against_an_endpoint_without_the_batch_api_exits_2(
    cli: Run, server: FakeOpenAI, sample_repo: Repository
) -> None:
    # vLLM, llama.cpp and Ollama have no /v1/files or /v1/batches: a 404 like this one.
    url = f"http://127.0.0.1:{server.port}/no-batch-api"
    result = cli(
        "judge",
        "--rubric",
        RUBRIC,
        "--model",
        MODEL,
        "--base-url",
        url,
        "--batch",
        "--limit",
        "2",
        "--poll-seconds",
        "0.01",
    )
    bad(result, 2)
    assert "404" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert sample_repo.judge.open_batches(RUBRIC, MODEL) == []


def test_resume_of_an_unknown_batch_exits_2(judge_cmd: Any) -> None:
    result = bad(judge_cmd("--resume", "batch_nope", "--poll-seconds", "0.01"))
    assert "batch_nope" in result.stderr


# -- route and agreement on the seeded project ---------------------------------------------


@pytest.fixture
def seeded(
    cli: Run, sample_repo: Repository, faithfulness: Rubric, server: FakeOpenAI, tmp_path: Path
) -> dict[int, int]:
    """The seed of tests/unit/test_routing.py, with the people's labels through import-labels."""
    ids = positions(sample_repo)
    rows = [
        {
            "item_id": sample_repo.get_item(ids[k]).external_id,
            "annotator": "alice",
            "score": s,
            "rubric": RUBRIC,
            "tags": [TAG] if s <= 2 else [],
        }
        for k, s in HUMAN.items()
    ]
    ok(cli("import-labels", str(write_jsonl(tmp_path / "people.jsonl", rows))))
    judge_all(sample_repo, faithfulness, server, items="all")
    return ids


def test_route_json(cli: Run, seeded: dict[int, int], sample_repo: Repository) -> None:
    data = json.loads(ok(cli("route", "--rubric", RUBRIC, "--sample", "0.25", "--json")).stdout)
    assert data["model"] == MODEL  # the only judge on the rubric
    assert data["judged"] == 40 and data["routed"] == 15
    assert data["routed_by_reason"] == {"low_confidence": 5, "disagreement": 4, "sample": 6}
    assert data["confidence_below"] == 0.7 and data["sample"] == 0.25
    routes = sample_repo.routing.routes(RUBRIC)
    low = {i for i, reason in routes.items() if reason == "low_confidence"}
    assert low == {seeded[k] for k in LOW}
    again = json.loads(ok(cli("route", "--rubric", RUBRIC, "--sample", "0.25", "--json")).stdout)
    assert again["routed"] == 0 and again["already_routed"] == 15


def test_route_text(cli: Run, seeded: dict[int, int]) -> None:
    text = ok(cli("route", "--rubric", RUBRIC, "--model", MODEL, "--sample", "0")).stdout
    assert "routed 9 of 40 judged items to people" in text
    assert "(5 low confidence, 4 disagreeing with a human, 0 sampled); 0 were routed before" in text


def test_route_without_judge_labels_exits_2(cli: Run, sample_repo: Repository) -> None:
    result = bad(cli("route", "--rubric", RUBRIC))
    assert "--model" in result.stderr


def test_agreement_judge_json(cli: Run, seeded: dict[int, int], sample_repo: Repository) -> None:
    result = cli("agreement", "--judge", MODEL, "--rubric", RUBRIC, "--json", "--bootstrap", "200")
    assert result.exit_code == 1, describe(result)  # the seeded judge is not trustworthy
    check_seeded_report(sample_repo, json.loads(result.stdout))


def test_agreement_judge_text_flags_an_untrustworthy_judge(
    cli: Run, seeded: dict[int, int]
) -> None:
    result = cli("agreement", "--judge", MODEL, "--bootstrap", "0")
    assert result.exit_code == 1, describe(result)  # a failed check, like a round below threshold
    text = result.stdout
    assert f"judge:{MODEL} vs people on {RUBRIC}: 12 items labelled by both" in text
    assert "NOT TRUSTWORTHY: PASS/FAIL kappa 0.211 < 0.6" in text
    assert "PASS/FAIL confusion" in text and "largest disagreements" in text


def test_the_trust_threshold_is_a_setting(cli: Run, seeded: dict[int, int]) -> None:
    env = {"TUI_ANNOTATE_JUDGE_MIN_KAPPA": "0.2"}
    data = json.loads(
        ok(cli("agreement", "--judge", MODEL, "--json", "--bootstrap", "0", env=env)).stdout
    )
    assert data["trustworthy"] is True and data["min_kappa"] == 0.2


def test_agreement_judge_trusts_a_judge_that_agrees(
    cli: Run,
    seeded: dict[int, int],
    sample_repo: Repository,
    faithfulness: Rubric,
    server: FakeOpenAI,
) -> None:
    judge_all(
        sample_repo,
        faithfulness,
        server,
        model=GOOD,
        items="all",
        score_of=lambda k: HUMAN.get(k, judge_score(k)),
    )
    data = json.loads(ok(cli("agreement", "--judge", GOOD, "--json", "--bootstrap", "0")).stdout)
    assert data["judge"] == f"judge:{GOOD}"
    assert data["pass_fail"]["kappa"] == pytest.approx(1.0)
    assert data["trustworthy"] is True
    text = ok(cli("agreement", "--judge", GOOD, "--bootstrap", "0")).stdout
    assert "TRUSTWORTHY: PASS/FAIL kappa 1.000 ≥ 0.6" in text and "NOT TRUSTWORTHY" not in text
