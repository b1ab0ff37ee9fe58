"""`judge` against llama.cpp's real server (llama-cpp-python, built from PyPI's source), on
127.0.0.1, serving a tiny random-weights model that the test writes (tests/tiny_gguf.py).

That server refuses the json_schema response format with HTTP 500, accepts json_object with
a schema (turned into a grammar, so the answer is valid JSON whatever the weights), splits the
key "score" into one token per character, and returns top_logprobs taken before the grammar:
the digit it was forced to write had almost no probability, and the JSON closers it wanted
hold nearly all of it. The judge must get a valid score for every item through the fallback,
and store a confidence that is low, because the model's probability was.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.cli.conftest import Run, ok
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
MODEL = "tiny"
CHAT = "POST /v1/chat/completions"
REFUSED = '"POST /v1/chat/completions HTTP/1.1" 500'


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Running]:
    folder = tmp_path_factory.mktemp("llama")
    model = folder / "tiny.gguf"
    python = str(servers.server_python())
    subprocess.run(
        [python, str(Path(__file__).parent.parent / "tiny_gguf.py"), str(model)],
        check=True,
        timeout=120,
    )
    port = servers.free_port()
    args = [
        python,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "16384",
        "--n_threads",
        "1",
    ]
    with servers.start(
        args, port=port, log=folder / "server.log", ready_path="/v1/models", cwd=folder
    ) as running:
        yield running


def judge(cli: Run, llama: servers.Running, *args: str) -> Any:
    return cli(
        "judge",
        "--rubric",
        RUBRIC,
        "--model",
        MODEL,
        "--base-url",
        llama.url + "/v1",
        "--json",
        *args,
    )


def test_every_item_gets_a_valid_score_and_an_honest_confidence(
    cli: Run, llama: servers.Running, sample_repo: Repository, faithfulness: Rubric
) -> None:
    result = ok(judge(cli, llama, "--limit", "4", "--concurrency", "2"))
    data = json.loads(result.stdout)
    assert (data["judged"], data["invalid"], data["failed"]) == (4, 0, 0)
    assert data["output_form"] == "json_object" and data["logprobs"] is True
    assert data["confidence_unknown"] == 0
    assert result.stderr.count("refused response_format json_schema (HTTP 500)") == 1
    refused = llama.wait_for_count(REFUSED, 1)
    assert 1 <= refused <= 2  # only the first requests (two in flight) were refused

    got = sample_repo.judge.labels(RUBRIC, MODEL)
    assert len(got) == 4
    for label, meta in got:
        assert label.score in faithfulness.values
        assert meta["output_form"] == "json_object"
        assert meta["confidence_method"] == "logprobs-lower-bound"
        # The forced digit had a logprob near -80; a closer held ~all the mass: never certain.
        assert meta["confidence"] is not None and meta["confidence"] < 0.01
        detail = meta["confidence_detail"]
        assert detail["p_chosen"] < 0.01 and detail["p_unaccounted"] > 0.9
    raws = [a["raw"] for a in sample_repo.judge.attempts(RUBRIC, MODEL)]
    assert len(raws) == 4 and all(json.loads(raw)["score"] in faithfulness.values for raw in raws)

    # The next run starts with the form that worked: no request is refused again.
    requests = llama.count(CHAT)
    again = json.loads(ok(judge(cli, llama, "--items", "all", "--limit", "6")).stdout)
    assert (again["judged"], again["skipped"], again["output_form"]) == (2, 4, "json_object")
    assert llama.wait_for_count(CHAT, requests + 2) == requests + 2
    assert llama.count(REFUSED) == refused


def test_route_sends_the_unsure_judgements_to_people(
    cli: Run, llama: servers.Running, sample_repo: Repository
) -> None:
    ok(judge(cli, llama, "--limit", "3"))
    data = json.loads(ok(cli("route", "--rubric", RUBRIC, "--sample", "0", "--json")).stdout)
    assert data["routed_by_reason"] == {"low_confidence": 3}
    assert data["confidence_unknown"] == 0
