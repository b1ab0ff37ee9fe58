"""`pairwise start | status | results` and `export --pairwise`: output, JSON keys, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run, bad, ok
from tests.pairwise_data import PROMPT, make_project
from tui_annotate.core.pairwise import tasks
from tui_annotate.store.repository import Repository


def test_start_prints_the_task_pairs_and_identical(cli: Run, db_path: Path) -> None:
    make_project(db_path, 12, ("1.0.0", "1.1.0", "1.2.0"), identical=2)
    data = json.loads(
        ok(
            cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0,1.1.0", "--json")
        ).stdout
    )
    assert data == {"task": 1, "pairs": 10, "skipped_identical": 2}
    text = ok(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0,1.1.0,1.2.0"))
    assert "pairwise task 2" in text.stdout


def test_bad_input_names_what_exists(cli: Run, db_path: Path) -> None:
    make_project(db_path, 4, ("1.0.0", "1.1.0"))
    one = bad(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0"))
    assert "--versions" in one.stderr and "'1.0.0', '1.1.0'" in one.stderr
    unknown = bad(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0,3.0"))
    assert "'3.0'" in unknown.stderr and "it has '1.0.0', '1.1.0'" in unknown.stderr
    prompt = bad(cli("pairwise", "start", "--prompt", "nope", "--versions", "1.0.0,1.1.0"))
    assert f"'{PROMPT}'" in prompt.stderr
    none = bad(cli("pairwise", "status", "3"))
    assert "no pairwise task yet" in none.stderr
    ok(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0,1.1.0"))
    missing = bad(cli("pairwise", "results", "7"))
    assert "no pairwise task 7" in missing.stderr and "tasks: 1" in missing.stderr
    bad(cli("export", "--pairwise", "7"))
    with Repository.open(db_path) as repo:
        assert len(repo.pairwise.tasks()) == 1


def test_no_shared_cases_is_refused(cli: Run, db_path: Path, tmp_path: Path) -> None:
    items = tmp_path / "apart.jsonl"
    items.write_text(
        "".join(
            json.dumps({"input": f"only {v}", "output": "x", "prompt": PROMPT, "prompt_version": v})
            + "\n"
            for v in ("1.0.0", "1.1.0")
        )
    )
    ok(cli("import", str(items)))
    refused = bad(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0,1.1.0"))
    assert "share no case" in refused.stderr
    with Repository.open(db_path) as repo:
        assert repo.pairwise.tasks() == []


def test_status_results_and_export(cli: Run, db_path: Path, tmp_path: Path) -> None:
    make_project(db_path, 8)
    ok(
        cli(
            "pairwise",
            "start",
            "--prompt",
            PROMPT,
            "--versions",
            "1.0.0,1.1.0",
            "--annotators",
            "ana,ben",
        )
    )
    with Repository.open(db_path) as repo:
        task = tasks.find(repo, 1)
        for name in ("ana", "ben"):
            while (claimed := repo.pairwise.claim_next(task, name)) is not None:
                pair, left = claimed
                repo.pairwise.append(
                    task, pair, name, kind="vote", left=left, choice="b", tags=["t;1"], comment="c"
                )
    status = json.loads(ok(cli("pairwise", "status", "--json")).stdout)
    assert (status["pairs"], status["votes"], status["votes_wanted"]) == (8, 16, 16)
    result = json.loads(ok(cli("pairwise", "results", "1", "--json", "--bootstrap", "50")).stdout)
    [pair] = result["pairs"]
    assert (pair["a"], pair["b"], pair["b_wins"], pair["n"]) == ("1.0.0", "1.1.0", 16, 16)
    assert result["ranking"][0]["version"] == "1.1.0"
    assert result["position_bias"]["left_share"] == 0.5
    text = ok(cli("pairwise", "results")).stdout
    assert "1.0.0 vs 1.1.0" in text and "POSITION BIAS" not in text
    out = tmp_path / "votes.jsonl"
    ok(cli("export", "--pairwise", "1", "-o", str(out)))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 16 and {r["winner"] for r in rows} == {"1.1.0"}
    assert rows[0]["tags"] == ["t;1"]
    csv_text = ok(cli("export", "--pairwise", "1", "--format", "csv")).stdout
    assert csv_text.splitlines()[0].startswith("task,pair,case,version_a,version_b")
    assert len(csv_text.splitlines()) == 17


def test_results_with_no_votes_say_so(cli: Run, db_path: Path) -> None:
    make_project(db_path, 3)
    ok(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0,1.1.0"))
    assert "no votes yet" in bad(cli("pairwise", "results")).stderr
    assert json.loads(ok(cli("pairwise", "results", "--json")).stdout)["pairs"][0]["n"] == 0


def test_versions_in_errors_are_in_release_order(cli: Run, db_path: Path, tmp_path: Path) -> None:
    items = tmp_path / "versions.jsonl"
    items.write_text(
        "".join(
            json.dumps(
                {"input": "q?", "output": f"answer {v}", "prompt": PROMPT, "prompt_version": v}
            )
            + "\n"
            for v in ("1.10.0", "1.9.0", "1.2.0", "2.0.0-rc.1", "2.0.0")
        )
    )
    ok(cli("import", str(items)))
    refused = bad(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.9.0,3.0.0"))
    assert "it has '1.2.0', '1.9.0', '1.10.0', '2.0.0-rc.1', '2.0.0'" in refused.stderr
    one = bad(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.9.0"))
    assert "has '1.2.0', '1.9.0', '1.10.0', '2.0.0-rc.1', '2.0.0'" in one.stderr
