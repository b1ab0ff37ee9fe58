"""The scorecard's numbers against scipy and plain loops, on fixed tables built in memory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from tests.unit import decide_tables as dt
from tui_annotate.core.decide.scorecard import scorecard


def wilson(k: int, n: int) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return (ci.low, ci.high)


def two_versions() -> dt.PromptTable:
    n = 10
    faith = dt.column(
        "faith",
        n,
        golden=[5, None, None, None, None, None, None, None, None, None],
        human=[2, 4, 3, 5, None, 5, 4, 4, 1, None],
        judge=[5, 5, 2, 5, 5, 5, 5, 3, 1, 4],
    )
    tox = dt.column(
        "tox",
        n,
        human=[1, 1, 1, 1, 1, 3, 1, 1, 1, 1],
        threshold=1,
        direction="lower",
    )
    versions = ["1.0.0"] * 5 + ["1.10.0"] * 5
    return dt.table(versions, [f"c{i % 5}" for i in range(n)], [faith, tox])


def test_pass_rate_wilson_mean_and_counts() -> None:
    t = two_versions()
    card = scorecard(t, dt.infos(t))
    assert [v.version for v in card.versions] == ["1.0.0", "1.10.0"]
    m = card.versions[0].metrics["faith"]
    # Golden 5 beats the human 2 on row 0; row 4 has no person: n = 4, PASS = 3 (5, 4, 5).
    assert (m.n, m.passed, m.pass_rate) == (4, 3, 0.75)
    assert m.ci == pytest.approx(wilson(3, 4), abs=1e-6)
    assert m.mean_score == pytest.approx((5 + 4 + 3 + 5) / 4)
    assert m.mean_ci is not None and 3.0 <= m.mean_ci[0] <= m.mean_score <= m.mean_ci[1] <= 5.0
    assert m.fail_rate_upper is None
    # Judge counts are always filled: row 4 judge only, rows 0-3 both; judge passes 4 of 5.
    assert (m.n_judge_only, m.n_both, m.judge_pass_rate) == (1, 4, 0.8)


def test_lower_direction_all_pass_gives_the_rule_of_three() -> None:
    t = two_versions()
    card = scorecard(t, dt.infos(t))
    first, second = (v.metrics["tox"] for v in card.versions)
    assert (first.n, first.passed, first.pass_rate, first.fail_rate_upper) == (5, 5, 1.0, 0.6)
    assert first.ci == pytest.approx(wilson(5, 5), abs=1e-6)
    # A 3 on a "lower" rubric with threshold 1 is a FAIL.
    assert (second.passed, second.fail_rate_upper) == (4, None)


def test_all_fail_and_no_labels() -> None:
    n = 4
    t = dt.table(
        ["1.0.0"] * 2 + ["2.0.0"] * 2,
        ["a", "b", "a", "b"],
        [dt.column("faith", n, human=[1, 2, None, None])],
    )
    card = scorecard(t, dt.infos(t))
    fail = card.versions[0].metrics["faith"]
    assert (fail.n, fail.passed, fail.pass_rate, fail.fail_rate_upper) == (2, 0, 0.0, None)
    assert fail.ci == pytest.approx(wilson(0, 2), abs=1e-6)
    empty = card.versions[1].metrics["faith"]
    assert (empty.n, empty.pass_rate, empty.ci, empty.mean_score, empty.mean_ci) == (
        0,
        None,
        None,
        None,
        None,
    )
    assert empty.judge_pass_rate is None and empty.fail_rate_upper is None
    assert card.versions[1].composite.value is None and card.versions[1].composite.ci is None
    as_json = card.to_json()["versions"][1]["metrics"]["faith"]
    assert as_json["pass_rate"] is None and as_json["ci"] is None


def test_one_version_only() -> None:
    t = dt.table(["0.1.0"] * 3, ["a", "b", "c"], [dt.column("faith", 3, human=[5, 4, 1])])
    card = scorecard(t, dt.infos(t))
    assert len(card.versions) == 1
    assert card.versions[0].metrics["faith"].passed == 2


def test_source_judge_fills_where_no_person_labelled() -> None:
    t = two_versions()
    m = scorecard(t, dt.infos(t), source="judge").versions[0].metrics["faith"]
    assert (m.n, m.passed) == (5, 4)
    assert m.ci == pytest.approx(wilson(4, 5), abs=1e-6)


def test_source_ppi_is_the_corrected_judge_rate() -> None:
    reps = 4
    human = [5, 2, 4, 1, None, None, None, None, None, None, None, None] * reps
    judge = [5, 5, 4, 1, 5, 5, 5, 1, 4, 4, 2, 5] * reps
    n = len(human)
    t = dt.table(
        ["1.0.0"] * n, [str(i) for i in range(n)], [dt.column("f", n, human=human, judge=judge)]
    )
    m = scorecard(t, dt.infos(t), source="ppi").versions[0].metrics["f"]
    f_only = [1, 1, 1, 0, 1, 1, 0, 1] * reps
    y, f = [1, 0, 1, 0] * reps, [1, 1, 1, 0] * reps
    est = np.mean(f_only) + np.mean(np.subtract(y, f))
    var = np.var(f_only, ddof=1) / len(f_only) + np.var(np.subtract(y, f), ddof=1) / len(y)
    assert est - 1.96 * var**0.5 > 0 and est + 1.96 * var**0.5 < 1  # not clipped
    assert m.pass_rate == pytest.approx(est)
    assert m.ci == pytest.approx((est - 1.959964 * var**0.5, est + 1.959964 * var**0.5))
    assert (m.n, m.n_judge_only, m.n_both) == (48, 32, 16)
    assert m.judge_pass_rate == pytest.approx(9 / 12)


def test_composite_is_the_weighted_mean_with_a_joint_interval() -> None:
    t = two_versions()
    card = scorecard(t, dt.infos(t, weight={"faith": 3.0}), bootstrap=500, seed=4)
    v = card.versions[0]
    assert v.composite.value == pytest.approx((3 * 0.75 + 1 * 1.0) / 4)
    assert v.composite.ci is not None
    assert 0.0 <= v.composite.ci[0] <= v.composite.value <= v.composite.ci[1] <= 1.0
    again = scorecard(t, dt.infos(t, weight={"faith": 3.0}), bootstrap=500, seed=4)
    assert again.to_json() == card.to_json()
