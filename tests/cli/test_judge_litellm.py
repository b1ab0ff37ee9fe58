"""`judge` against LiteLLM's real proxy (from PyPI), with mock responses, on 127.0.0.1.

One proxy for the module, configured with one model per behaviour: a valid judgement, a
fenced one, an off-scale score, a raw control character in a string, and a rate limit. A
wrong key and an unknown model are what the proxy itself answers with HTTP 400 ("No connected
db." and "Invalid model name"): the run must stop after at most --concurrency requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests import servers
from tests.cli.conftest import Run, bad, describe, ok
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
MASTER_KEY = "sk-litellm-test-master"
CHAT = "POST /v1/chat/completions"

VALID = '{"score": 4, "rationale": "The amounts match the data.", "tags": []}'
FENCED = 'My grade:\n```json\n{"score": 2, "rationale": "Wrong date.", "tags": []}\n```\n'
OFF_SCALE = '{"score": 9, "rationale": "Excellent!", "tags": []}'
CONTROL = '{"score": 5, "rationale": "tab\there", "tags": []}'  # a raw tab inside the string

MOCKS = {
    "valid": VALID,
    "fenced": FENCED,
    "off-scale": OFF_SCALE,
    "control": CONTROL,
    "rate-limited": "litellm.RateLimitError",
}


def config_yaml() -> str:
    """The proxy's config: one mocked model per behaviour (JSON is YAML)."""
    models = [
        {
            "model_name": name,
            "litellm_params": {
                "model": f"openai/{name}",
                "api_key": "unused",
                "mock_response": mock,
            },
        }
        for name, mock in MOCKS.items()
    ]
    return json.dumps(
        {
            "model_list": models,
            "general_settings": {"master_key": MASTER_KEY},
            "litellm_settings": {"telemetry": False, "num_retries": 0},
        }
    )


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Running]:
    folder = tmp_path_factory.mktemp("litellm")
    config = folder / "config.yaml"
    config.write_text(config_yaml())
    port = servers.free_port()
    args = [
        servers.executable("litellm"),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
    ]
    with servers.start(
        args, port=port, log=folder / "proxy.log", ready_path="/health/liveliness", cwd=folder
    ) as running:
        yield running


@pytest.fixture
def judge_with(cli: Run, proxy: servers.Running, sample_repo: Repository) -> Any:
    def run(model: str, *args: str, key: str = MASTER_KEY) -> Result:
        return cli(
            "judge",
            "--rubric",
            RUBRIC,
            "--model",
            model,
            "--base-url",
            proxy.url + "/v1",
            "--json",
            *args,
            env={"OPENAI_API_KEY": key},
        )

    return run


def summary(result: Result) -> dict[str, Any]:
    return dict(json.loads(result.stdout))


def labels(repo: Repository, model: str) -> list[tuple[Any, dict[str, Any]]]:
    return repo.judge.labels(RUBRIC, model)


def test_a_valid_judgement_is_stored(judge_with: Any, sample_repo: Repository) -> None:
    data = summary(ok(judge_with("valid", "--limit", "3")))
    assert (data["judged"], data["invalid"], data["failed"]) == (3, 0, 0)
    assert data["output_form"] == "json_schema"  # LiteLLM passes it on
    # The mock sends no logprobs: no confidence, and the summary says so.
    assert data["confidence_unknown"] == 3
    got = labels(sample_repo, "valid")
    assert [label.score for label, _ in got] == [4, 4, 4]
    assert {label.comment for label, _ in got} == {"The amounts match the data."}
    assert all(meta["confidence"] is None for _, meta in got)
    assert {meta["confidence_detail"]["unknown"] for _, meta in got} == {
        "the server returned no logprobs"
    }
    assert data["prompt_tokens"] > 0 and data["completion_tokens"] > 0


def test_a_fenced_judgement_is_read(judge_with: Any, sample_repo: Repository) -> None:
    data = summary(ok(judge_with("fenced", "--limit", "2")))
    assert data["judged"] == 2
    assert [label.score for label, _ in labels(sample_repo, "fenced")] == [2, 2]


def test_a_raw_control_character_in_a_string_is_tolerated(
    judge_with: Any, sample_repo: Repository
) -> None:
    data = summary(ok(judge_with("control", "--limit", "1")))
    assert (data["judged"], data["invalid"]) == (1, 0)
    ((label, _),) = labels(sample_repo, "control")
    assert label.score == 5 and label.comment == "tab\there"


def test_an_off_scale_score_is_an_invalid_answer_with_its_tokens_counted(
    judge_with: Any, sample_repo: Repository
) -> None:
    result = judge_with("off-scale", "--limit", "2")
    assert result.exit_code == 1, describe(result)
    data = summary(result)
    assert (data["judged"], data["invalid"], data["failed"]) == (0, 2, 0)
    assert data["prompt_tokens"] > 0 and data["completion_tokens"] > 0
    attempts = sample_repo.judge.attempts(RUBRIC, "off-scale")
    assert [a["status"] for a in attempts] == ["invalid", "invalid"]
    assert all("score 9 is not on the scale" in a["error"] for a in attempts)
    assert all(a["raw"] == OFF_SCALE for a in attempts)
    assert labels(sample_repo, "off-scale") == []


def test_a_rate_limit_is_retried_then_fails_the_items(
    judge_with: Any, sample_repo: Repository, proxy: servers.Running
) -> None:
    before = proxy.count(CHAT)
    result = judge_with("rate-limited", "--limit", "2", "--retries", "1", "--concurrency", "2")
    assert result.exit_code == 1, describe(result)
    data = summary(result)
    assert (data["judged"], data["failed"]) == (0, 2)
    assert data["retries"] == 2 and data["errors"] == {"RateLimitError": 4}
    assert proxy.wait_for_count(CHAT, before + 4) == before + 4  # each item: a try and a retry
    assert labels(sample_repo, "rate-limited") == []


@pytest.mark.parametrize(
    ("model", "key", "says"),
    [
        ("valid", "sk-wrong-key", "No connected db."),
        ("no-such-model", MASTER_KEY, "Invalid model name passed in model=no-such-model"),
    ],
    ids=["wrong-key", "unknown-model"],
)
def test_a_run_that_cannot_work_stops_after_at_most_concurrency_requests(
    judge_with: Any,
    sample_repo: Repository,
    proxy: servers.Running,
    db_path: Path,
    model: str,
    key: str,
    says: str,
) -> None:
    before = proxy.count(CHAT)
    result = bad(judge_with(model, "--concurrency", "3", key=key), 2)
    assert "first requests failed with the same error" in result.stderr
    assert "HTTP 400" in result.stderr and says in result.stderr
    attempts = sample_repo.judge.attempts(RUBRIC, model)
    assert 1 <= len(attempts) <= 3  # of 40 items
    sent = proxy.wait_for_count(CHAT, before + len(attempts)) - before
    assert sent == len(attempts) <= 3
    assert labels(sample_repo, model) == []
    assert "sk-wrong-key" not in result.stderr
