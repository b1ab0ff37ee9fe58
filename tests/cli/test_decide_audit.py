"""Gaps found by the audit of issue 13, each through the CLI on the bundled deciding sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, ok
from tui_annotate.core.decide import sample
from tui_annotate.store.repository import Repository


@pytest.fixture
def sample_db(db_path: Path) -> Path:
    with Repository.open(db_path) as repo:
        sample.load_decide_sample(repo)
    return db_path


def test_trend_names_the_interval_it_draws(cli: Run, sample_db: Path) -> None:
    """Under --source ppi the bars are the prediction-powered interval, not Wilson's."""
    rubrics = ("--rubrics", str(sample.RUBRICS_DIR))
    human = ok(cli(*rubrics, "trend", "--prompt", sample.PROMPT)).stdout
    assert "95% Wilson interval" in human
    ppi = ok(cli(*rubrics, "trend", "--prompt", sample.PROMPT, "--source", "ppi")).stdout
    assert "Wilson" not in ppi and "prediction-powered" in ppi


def test_a_gate_against_the_candidate_itself_is_refused(cli: Run, sample_db: Path) -> None:
    """A version never regresses against itself: `--baseline $CANDIDATE` in CI would pass blind."""
    rubrics = ("--rubrics", str(sample.RUBRICS_DIR))
    args = ("gate", "--prompt", sample.PROMPT, "--candidate", "1.1.0", "--baseline", "1.1.0")
    result = bad(cli(*rubrics, *args))
    assert "--baseline" in result.stderr and "1.1.0" in result.stderr
    assert "1.0.0" in result.stderr, "names the versions it could be compared with"


def test_a_gate_against_a_baseline_names_the_duplicates_it_dropped(cli: Run, db_path: Path) -> None:
    """The gate pairs by case as compare does, so it says which item of a case it compared."""
    from tests.cli.test_decide_commands import add_version, label

    add_version(cli, db_path, "p", "1.0.0", [5] * 30)
    ids = add_version(cli, db_path, "p", "1.1.0", [5] * 30 + [2], case=lambda k: f"case-{k % 30}")
    label(db_path, ids[-1:], [2], annotator="ben")
    args = ("gate", "--prompt", "p", "--candidate", "1.1.0", "--baseline", "1.0.0")
    as_json = cli(*args, "--bootstrap", "100", "--json")
    data = json.loads(as_json.stdout)
    assert data["duplicates_in_case"] == [
        {"version": "1.1.0", "case": "case-0", "kept": ids[-1], "dropped": [ids[0]]}
    ]
    assert list(data)[-1] == "duplicates_in_case", "a new key goes last: scripts keep working"
    text = cli(*args, "--bootstrap", "100")
    assert text.exit_code == as_json.exit_code
    assert f"compared {ids[-1]}" in text.stderr
    no_baseline = cli("gate", "--prompt", "p", "--candidate", "1.1.0", "--json")
    assert json.loads(no_baseline.stdout)["duplicates_in_case"] == []
