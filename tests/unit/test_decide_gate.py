"""The gate's outcomes, each from the rule the issue states, and its lock."""

from __future__ import annotations

from typing import Any

import pytest
from scipy.stats import binomtest

from tests.unit import decide_tables as dt
from tui_annotate.core.decide.config import MetricConfig, ScorecardConfig
from tui_annotate.core.decide.gate import gate
from tui_annotate.core.decide.lock import gate_lock
from tui_annotate.core.results.decide import GateReport

CONFIG = ScorecardConfig(min_n=30, margin=0.05)


def one_version(passes: int, fails: int, *, version: str = "1.0.0") -> dt.PromptTable:
    scores = [5] * passes + [1] * fails
    n = len(scores)
    return dt.table([version] * n, [str(i) for i in range(n)], [dt.column("f", n, human=scores)])


def wilson(k: int, n: int) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return (ci.low, ci.high)


def run(
    t: dt.PromptTable, candidate: str = "1.0.0", baseline: str | None = None, **infos_kw: Any
) -> GateReport:
    return gate(
        t,
        dt.infos(t, **infos_kw),
        CONFIG,
        candidate=candidate,
        baseline=baseline,
        lock="sha256:test",
    )


def test_pass_on_threshold() -> None:
    report = run(one_version(95, 5), min_pass_rate={"f": 0.85})
    (check,) = report.checks
    assert check.ci == pytest.approx(wilson(95, 100), abs=1e-6)
    assert check.ci[0] >= 0.85  # type: ignore[index]
    assert (report.decision, check.decision, check.kind, check.n) == (
        "pass",
        "pass",
        "min_pass_rate",
        100,
    )
    assert report.exit_code() == 0 and "0.850" in check.reason and "lower bound" in check.reason


def test_fail_on_threshold() -> None:
    report = run(one_version(70, 30), min_pass_rate={"f": 0.85})
    (check,) = report.checks
    assert check.ci is not None and check.ci[1] < 0.85
    assert (report.decision, report.exit_code()) == ("fail", 1)
    assert "upper bound" in check.reason


def test_inconclusive_when_the_interval_straddles_and_on_small_n() -> None:
    straddle = run(one_version(85, 15), min_pass_rate={"f": 0.85})
    assert (straddle.decision, straddle.exit_code()) == ("inconclusive", 3)
    assert straddle.exit_code("fail") == 1 and straddle.exit_code("pass") == 0
    # 29 of 29 PASS clears 0.5 by far, but fewer than min_n items cannot decide.
    small = run(one_version(29, 0), min_pass_rate={"f": 0.5})
    assert small.decision == "inconclusive" and "fewer than min_n = 30" in small.checks[0].reason


def test_zero_tolerance() -> None:
    failed = run(one_version(99, 1), zero_tolerance=["f"])
    (check,) = failed.checks
    assert (failed.decision, check.kind, check.value, check.n) == (
        "fail",
        "zero_tolerance",
        1.0,
        100,
    )
    # A FAIL fails even with few items: it is a fact, not noise.
    assert run(one_version(3, 1), zero_tolerance=["f"]).decision == "fail"
    assert run(one_version(100, 0), zero_tolerance=["f"]).decision == "pass"
    assert run(one_version(10, 0), zero_tolerance=["f"]).decision == "inconclusive"


def paired(a_pass: int, b_pass: int, n: int = 200) -> dt.PromptTable:
    a = [5] * a_pass + [1] * (n - a_pass)
    b = [5] * b_pass + [1] * (n - b_pass)
    cases = [str(i) for i in range(n)] * 2
    return dt.table(["1.0.0"] * n + ["1.1.0"] * n, cases, [dt.column("f", 2 * n, human=a + b)])


def test_non_inferiority_against_a_version() -> None:
    regressed = run(paired(190, 150), candidate="1.1.0", baseline="1.0.0")
    (check,) = regressed.checks
    assert check.kind == "non_inferiority" and check.threshold == -0.05
    assert check.value == pytest.approx(-0.2) and check.ci is not None and check.ci[1] < -0.05
    assert (regressed.decision, check.n) == ("fail", 200)
    same = run(paired(190, 190), candidate="1.1.0", baseline="1.0.0")
    assert same.decision == "pass" and same.checks[0].ci[0] > -0.05  # type: ignore[index]
    unclear = run(paired(190, 181), candidate="1.1.0", baseline="1.0.0")
    lo, hi = unclear.checks[0].ci  # type: ignore[misc]
    assert lo <= -0.05 <= hi and unclear.decision == "inconclusive"
    few = run(paired(20, 10, n=20), candidate="1.1.0", baseline="1.0.0")
    assert few.decision == "inconclusive" and few.checks[0].n == 20


def test_non_inferiority_against_golden() -> None:
    n = 100
    golden = [5] * n + [None] * n
    human = [None] * n + [5] * 70 + [1] * 30
    t = dt.table(
        ["1.0.0"] * n + ["1.1.0"] * n,
        [str(i) for i in range(n)] * 2,
        [dt.column("f", 2 * n, golden=golden, human=human)],
    )
    report = run(t, candidate="1.1.0", baseline="golden")
    assert report.decision == "fail" and report.baseline == "golden"
    assert "against golden" in report.checks[0].reason


def test_any_fail_fails_and_no_check_is_inconclusive() -> None:
    t = one_version(95, 5)
    mixed = gate(
        t,
        dt.infos(t, min_pass_rate={"f": 0.85}, zero_tolerance=["f"]),
        CONFIG,
        candidate="1.0.0",
        baseline=None,
        lock="x",
    )
    assert [c.decision for c in mixed.checks] == ["pass", "fail"]
    assert mixed.decision == "fail"
    assert run(t).decision == "inconclusive" and run(t).checks == ()
    as_json = mixed.to_json()
    assert as_json["decision"] == "fail" and as_json["lock"] == "x"
    assert set(as_json["checks"][0]) >= {
        "metric",
        "kind",
        "decision",
        "value",
        "ci",
        "threshold",
        "n",
        "reason",
    }


def test_the_lock_changes_with_what_the_gate_rests_on() -> None:
    t = one_version(1, 1)
    infos = dt.infos(t)
    rows = [("it-1", "f", "1.0.0", 5), ("it-2", "f", "1.0.0", 1)]
    lock = gate_lock(rows, infos, CONFIG)
    assert lock.startswith("sha256:") and len(lock) == len("sha256:") + 64
    assert gate_lock(list(reversed(rows)), infos, CONFIG) == lock
    assert gate_lock([("it-1", "f", "1.0.0", 5), ("it-2", "f", "1.0.0", 2)], infos, CONFIG) != lock
    other = ScorecardConfig(min_n=30, margin=0.05, metrics={"f": MetricConfig(weight=2)})
    assert gate_lock(rows, infos, other) != lock
    bumped = {"f": dt.infos(dt.table(["1.0.0"], ["a"], [dt.column("f", 1, version="1.1.0")]))["f"]}
    assert gate_lock(rows, bumped, CONFIG) != lock
    # Golden labels of rubrics not gated do not move it.
    assert gate_lock([*rows, ("it-1", "tone", "1.0.0", 3)], infos, CONFIG) == lock
