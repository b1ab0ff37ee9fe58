"""`export` and `scorecard` count the same resolved labels, through the CLI, on the bundled sample.

The issue's promise is that the numbers on screen and in an exported file
always agree. The store test (tests/store/test_decide_table.py) holds the
table to core.export row for row; this one runs both commands as a lead would,
with and without the judge, and recounts the file by version and label_source.
"""

from __future__ import annotations

import json
from collections import Counter
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


@pytest.mark.parametrize(
    ("source", "judge_flag", "sources"),
    [
        ("human", (), {"golden", "human"}),
        ("judge", ("--include-judge",), {"golden", "human", "judge"}),
    ],
)
@pytest.mark.parametrize("rubric", sample.RUBRIC_NAMES)
def test_export_rows_are_what_the_scorecard_counts(
    cli: Run,
    sample_db: Path,
    rubric: str,
    source: str,
    judge_flag: tuple[str, ...],
    sources: set[str],
) -> None:
    rubrics = ("--rubrics", str(sample.RUBRICS_DIR))
    exported = ok(
        cli(*rubrics, "export", "--rubric", rubric, "--format", "jsonl", "-o", "-", *judge_flag)
    ).stdout
    rows = [json.loads(line) for line in exported.splitlines() if line.strip()]
    assert {r["label_source"] for r in rows} == sources
    n = Counter(r["prompt_version"] for r in rows)
    passed = Counter(r["prompt_version"] for r in rows if r["verdict"] == "PASS")

    card = json.loads(
        ok(
            cli(
                *rubrics,
                "scorecard",
                "--prompt",
                sample.PROMPT,
                "--rubric",
                rubric,
                "--source",
                source,
                "--bootstrap",
                "10",
                "--json",
            )
        ).stdout
    )
    counted = {v["version"]: v["metrics"][rubric] for v in card["versions"]}
    assert set(counted) == set(sample.VERSIONS) == set(n)
    for version, metric in counted.items():
        assert (metric["n"], metric["pass"]) == (n[version], passed[version]), version
