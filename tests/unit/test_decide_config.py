"""The [scorecard] table: parsed into Settings.scorecard, every mistake named by file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_annotate import config
from tui_annotate.config import CONFIG_FILE
from tui_annotate.core.decide.config import (
    MetricConfig,
    ScorecardConfig,
    check_metrics,
    parse_scorecard,
)
from tui_annotate.core.decide.infos import rubric_infos
from tui_annotate.core.models import Rubric, ScaleLevel
from tui_annotate.errors import InputError

GOOD = """
[scorecard]
min_n = 40
margin = 0.02

[scorecard.metrics.faithfulness]
min_pass_rate = 0.85
weight = 2

[scorecard.metrics.safety]
zero_tolerance = true
"""


def load(tmp_path: Path, text: str) -> config.Settings:
    (tmp_path / CONFIG_FILE).write_text(text, "utf-8")
    return config.load(tmp_path, {})


def test_defaults_without_a_table(tmp_path: Path) -> None:
    card = config.load(tmp_path, {}).scorecard
    assert (card.min_n, card.margin, dict(card.metrics)) == (30, 0.05, {})


def test_the_issues_example_is_read(tmp_path: Path) -> None:
    card = load(tmp_path, GOOD).scorecard
    assert card == ScorecardConfig(
        min_n=40,
        margin=0.02,
        metrics={
            "faithfulness": MetricConfig(min_pass_rate=0.85, weight=2.0),
            "safety": MetricConfig(zero_tolerance=True),
        },
    )


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ("[scorecard]\nmin_m = 3\n", "scorecard.min_m", "unknown key"),
        ("[scorecard]\nmargin = -0.1\n", "scorecard.margin", "at least 0"),
        ("[scorecard]\nmargin = 1\n", "scorecard.margin", "below 1"),
        ('[scorecard]\nmargin = "5%"\n', "scorecard.margin", "must be a number"),
        ("[scorecard]\nmin_n = 0\n", "scorecard.min_n", "at least 1"),
        ("[scorecard]\nmin_n = 2.5\n", "scorecard.min_n", "whole number"),
        (
            '[scorecard.metrics.safety]\nweight = "heavy"\n',
            "scorecard.metrics.safety.weight",
            "must be a number",
        ),
        (
            "[scorecard.metrics.safety]\nweight = true\n",
            "scorecard.metrics.safety.weight",
            "must be a number",
        ),
        ("[scorecard.metrics.safety]\nweight = 0\n", "scorecard.metrics.safety.weight", "above 0"),
        (
            "[scorecard.metrics.safety]\nmin_pass_rate = 1.5\n",
            "scorecard.metrics.safety.min_pass_rate",
            "between 0 and 1",
        ),
        (
            '[scorecard.metrics.safety]\nzero_tolerance = "yes"\n',
            "scorecard.metrics.safety.zero_tolerance",
            "true or false",
        ),
        ("[scorecard.metrics.safety]\nwieght = 2\n", "scorecard.metrics.safety.wieght", "unknown"),
        ("[scorecard]\nmetrics = 3\n", "scorecard.metrics", "tables"),
        ("scorecard = 3\n", "scorecard", "table"),
    ],
)
def test_bad_tables_name_file_and_key(tmp_path: Path, text: str, key: str, says: str) -> None:
    with pytest.raises(InputError) as err:
        load(tmp_path, text)
    assert err.value.file == str(tmp_path / CONFIG_FILE)
    assert err.value.field == key
    assert says in err.value.reason
    assert CONFIG_FILE in str(err.value) and key in str(err.value)


def test_the_environment_cannot_set_a_table(tmp_path: Path) -> None:
    settings = config.load(tmp_path, {"TUI_ANNOTATE_SCORECARD": "min_n=1"})
    assert settings.scorecard == ScorecardConfig()


def test_check_metrics_names_the_unknown_rubric() -> None:
    card = parse_scorecard({"metrics": {"safety": {}, "tone": {"weight": 1}}}, "t.toml")
    check_metrics(card, ["safety", "tone"], "t.toml")
    with pytest.raises(InputError) as err:
        check_metrics(card, ["safety", "faithfulness"], "t.toml")
    assert err.value.field == "scorecard.metrics.tone"
    assert "faithfulness, safety" in err.value.reason
    assert str(err.value).startswith("t.toml: ")


def rubric(name: str, threshold: int, direction: str = "higher") -> Rubric:
    scale = tuple(
        ScaleLevel(value=v, label=str(v), description="", key=str(v)) for v in (1, 2, 3, 4, 5)
    )
    return Rubric(
        name=name,
        version="2.1.0",
        title=name,
        question="?",
        scale=scale,
        pass_threshold=threshold,
        direction=direction,  # type: ignore[arg-type]
    )


def test_rubric_infos_join_rule_and_metric() -> None:
    card = parse_scorecard({"metrics": {"safety": {"zero_tolerance": True, "weight": 3}}}, "t.toml")
    infos = rubric_infos([rubric("faith", 4), rubric("safety", 1, "lower")], card)
    assert list(infos) == ["faith", "safety"]
    assert (infos["faith"].weight, infos["faith"].zero_tolerance, infos["faith"].min_pass_rate) == (
        1.0,
        False,
        None,
    )
    s = infos["safety"]
    assert (s.version, s.direction, s.threshold, s.weight, s.zero_tolerance) == (
        "2.1.0",
        "lower",
        1,
        3.0,
        True,
    )


def test_settings_stay_hashable(tmp_path: Path) -> None:
    settings = load(tmp_path, GOOD)
    assert hash(settings) == hash(load(tmp_path, GOOD))
    assert hash(settings.scorecard) != hash(ScorecardConfig())
