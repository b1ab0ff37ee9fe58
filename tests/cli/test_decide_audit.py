"""Gaps found by the audit of issue 13, each through the CLI on the bundled deciding sample."""

from __future__ import annotations

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
