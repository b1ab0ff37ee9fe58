"""`suggest`: its refusals, and a run against the local OpenAI-compatible server that stores
a draft, prints the diff, and leaves disputed cases out of the examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run, describe, ok, write_jsonl
from tests.conftest import load_shipped
from tests.openai_server import FakeOpenAI, Reply, last_user_text
from tui_annotate.core import snapshot
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
SECRET = "sk-test-SUGGEST-NEVER-PRINT-77"
TEXT = 'You answer questions about orders.\nRespond in JSON with "answer":\n'
REVISED = (
    "You answer questions about orders.\nUse only the order data given; say when it is missing.\n"
    'Respond in JSON with "answer":\n'
)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        s.answer = lambda request: Reply(
            content="```json\n"
            + json.dumps(
                {
                    "revised_prompt": REVISED,
                    "rationale": "hallucinated-fact: the prompt now forbids facts not in the data",
                    "addresses_tags": ["hallucinated-fact"],
                }
            )
            + "\n```"
        )
        yield s


def project(db_path: Path, tmp_path: Path, cli: Run, *, items: int, fails: int) -> None:
    rows = [
        {
            "id": f"s{i}",
            "input": f"Where is order {i}?",
            "output": f"Order {i} DISPUTED" if i == 0 else f"Order {i} shipped yesterday.",
            "prompt": "support",
            "prompt_version": "1.0.0",
        }
        for i in range(items)
    ]
    ok(cli("import", str(write_jsonl(tmp_path / "items.jsonl", rows))))
    rubric = load_shipped(RUBRIC)
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        ids = repo.item_ids_by_external([r["id"] for r in rows])
        for i, row in enumerate(rows):
            failed = i < fails
            repo.append_event(
                item_id=ids[row["id"]],
                rubric=RUBRIC,
                rubric_version=rubric.version,
                annotator="ana",
                kind="rate",
                score=1 if failed else 5,
                tags=["hallucinated-fact"] if failed else [],
                comment="invented a delivery date" if i == 1 else "",
            )
        # The judge says PASS on item 0, which people FAIL: a disputed case.
        repo.append_event(
            item_id=ids["s0"],
            rubric=RUBRIC,
            rubric_version=rubric.version,
            annotator="judge:m",
            kind="rate",
            score=5,
        )


def register(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "v1.txt").write_text(TEXT, encoding="utf-8")
    ok(cli("prompt", "add", "support", "--version", "1.0.0", "--from", "v1.txt"))


def suggest(cli: Run, server: FakeOpenAI, *extra: str):  # type: ignore[no-untyped-def]
    args = f"suggest --prompt support --version 1.0.0 --rubric {RUBRIC} --model m".split()
    result = cli(*args, "--base-url", server.url, *extra)
    assert SECRET not in result.stdout + result.stderr, describe(result)
    return result


def test_suggest_refuses_without_evidence(
    cli: Run, db_path: Path, tmp_path: Path, server: FakeOpenAI
) -> None:
    project(db_path, tmp_path, cli, items=25, fails=8)
    result = suggest(cli, server)
    assert result.exit_code == 1 and "not in the registry" in result.stderr, describe(result)
    register(cli, tmp_path)
    with Repository.open(db_path) as repo:  # fewer than 20 labelled: retract six
        rubric = load_shipped(RUBRIC)
        for i in range(19, 25):
            item = repo.item_ids_by_external([f"s{i}"])[f"s{i}"]
            repo.append_event(
                item_id=item,
                rubric=RUBRIC,
                rubric_version=rubric.version,
                annotator="ana",
                kind="retract",
            )
    result = suggest(cli, server)
    assert result.exit_code == 1, describe(result)
    assert "has 19 items with a human label" in result.stderr and "at least 20" in result.stderr
    assert server.chat_count() == 0


def test_too_few_failures(cli: Run, db_path: Path, tmp_path: Path, server: FakeOpenAI) -> None:
    project(db_path, tmp_path, cli, items=25, fails=4)
    register(cli, tmp_path)
    result = suggest(cli, server)
    assert result.exit_code == 1 and "(4 FAIL)" in result.stderr, describe(result)


def test_suggest_stores_a_draft_and_prints_the_diff(
    cli: Run, db_path: Path, tmp_path: Path, server: FakeOpenAI
) -> None:
    project(db_path, tmp_path, cli, items=25, fails=8)
    register(cli, tmp_path)
    result = ok(suggest(cli, server))
    assert "+Use only the order data given" in result.stdout
    assert "rationale: hallucinated-fact" in result.stdout
    assert "stored as draft support 1.1.0-draft.1" in result.stdout
    assert "gate --prompt support --candidate 1.1.0-draft.1 --baseline golden" in result.stdout
    [request] = server.chat_requests()
    sent = last_user_text(request)
    assert TEXT in sent and "hallucinated-fact: 8 of 8 failures" in sent
    assert "invented a delivery date" in sent
    assert "DISPUTED" not in sent  # the judge and people disagree on it: not an example
    assert "Order 1 shipped yesterday." in sent
    drafts = json.loads(ok(cli("prompt", "show", "support", "--drafts", "--json")).stdout)
    assert [(d["version"], d["text"]) for d in drafts["drafts"]] == [("1.1.0-draft.1", REVISED)]
    # The draft is never the current version.
    assert json.loads(ok(cli("prompt", "show", "support", "--json")).stdout)["version"] == "1.0.0"
    again = json.loads(ok(suggest(cli, server, "--json")).stdout)
    assert again["draft"] == "1.1.0-draft.2"
    assert again["evidence"]["left_out_disputed"] == 1
