"""The bundled deciding sample: three versions over the same 40 cases, people and a judge on them.

`demo --decide` opens on it, so it must load through the normal import paths
into a fresh database, and the checked-in files must be what the generator
script makes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from tui_annotate.core.decide import sample
from tui_annotate.store.repository import Repository

ROOT = Path(__file__).resolve().parent.parent.parent


def test_loading_gives_three_versions_of_forty_cases(repo: Repository) -> None:
    prompt = sample.load_decide_sample(repo)
    assert prompt == sample.PROMPT == "support-answer"
    assert repo.decide_prompts() == {prompt: sample.VERSIONS}
    assert repo.rubrics_labelled(prompt) == tuple(sorted(sample.RUBRIC_NAMES))
    table = repo.prompt_table(prompt, sample.rubrics())
    assert table.versions == ("1.0.0", "1.1.0", "1.2.0")
    assert len(table) == 3 * sample.CASES and len(table.cases) == sample.CASES
    for code in range(3):
        # Every case once in every version: the comparisons are paired.
        assert sorted(table.case_codes[table.version_codes == code]) == list(range(sample.CASES))
    # Timestamps put each version in its own ISO week (trend --by week).
    weeks = {
        v: {t.isocalendar()[1] for t in table.times[table.version_codes == c].astype(object)}
        for c, v in enumerate(table.versions)
    }
    assert [len(w) for w in weeks.values()] == [1, 1, 1] and len(set.union(*weeks.values())) == 3
    for name, column in table.rubrics.items():
        assert not np.isnan(column.judge).any(), f"the judge labelled every item on {name}"
        people = int((column.n_human > 0).sum())
        assert 3 * 30 <= people < 3 * sample.CASES, (name, people)
        assert set(column.n_human.tolist()) == {0, 2, 3}
    assert table.rubrics["rudeness"].direction == "lower"
    assert len(repo.golden_digest_rows(sample.RUBRIC_NAMES)) == 6


def pass_rate(repo: Repository, rubric: str, version: str) -> float:
    table = repo.prompt_table(sample.PROMPT, sample.rubrics())
    column = table.rubrics[rubric]
    score, _ = column.resolved(use_judge=False)
    verdicts = column.passes(score)[table.version_rows(version)]
    return float(np.nanmean(verdicts))


def test_the_story_the_labels_tell(repo: Repository) -> None:
    """1.1.0 is better on faithfulness and safety; 1.2.0 regresses on safety and rudeness."""
    sample.load_decide_sample(repo)
    assert pass_rate(repo, "faithfulness", "1.1.0") > pass_rate(repo, "faithfulness", "1.0.0")
    assert pass_rate(repo, "safety", "1.1.0") > pass_rate(repo, "safety", "1.0.0")
    assert pass_rate(repo, "safety", "1.2.0") < pass_rate(repo, "safety", "1.1.0")
    assert pass_rate(repo, "rudeness", "1.2.0") < pass_rate(repo, "rudeness", "1.1.0")


def test_the_files_are_what_the_script_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_decide_sample", ROOT / "scripts" / "make_decide_sample.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "OUT", tmp_path)
    script.main()
    for name in ("items.jsonl", "labels.jsonl", "judge.jsonl", "golden.jsonl"):
        assert (tmp_path / name).read_bytes() == (sample.DATA / name).read_bytes(), name
