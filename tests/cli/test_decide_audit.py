"""Gaps found by the audit of issue 13, each through the CLI on the bundled deciding sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run, ok
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
