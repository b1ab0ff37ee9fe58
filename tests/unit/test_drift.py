"""Drift on generated data with known windows, an injected clock, no sleeping.

A PromptTable is built by hand: items with known times and known PASS/FAIL
human labels, so each window's pass rate is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tui_annotate.core.decide.table import PromptTable, RubricColumn
from tui_annotate.core.live.drift import drift, next_state, parse_duration
from tui_annotate.core.results.drift import AlertState, RubricDrift
from tui_annotate.errors import InputError

NOW = datetime(2026, 6, 29, 12, 0, tzinfo=UTC)
RUBRIC = "faithfulness"


def table(baseline: tuple[int, int], recent: tuple[int, int]) -> PromptTable:
    """(passes, n) in the 28 days before the last 7, and in the last 7 (plus old noise)."""
    times: list[np.datetime64] = []
    scores: list[float] = []

    def add(passes: int, n: int, start: datetime, days: int) -> None:
        for i in range(n):
            moment = start + timedelta(seconds=(i + 1) * days * 86400 / (n + 1))
            times.append(np.datetime64(moment.replace(tzinfo=None), "s"))
            scores.append(5.0 if i < passes else 1.0)

    add(*baseline, NOW - timedelta(days=35), 28)
    add(*recent, NOW - timedelta(days=7), 7)
    add(0, 30, NOW - timedelta(days=90), 30)  # long before the baseline: never counted
    n = len(scores)
    nan = np.full(n, np.nan)
    column = RubricColumn(
        name=RUBRIC,
        direction="higher",
        threshold=4,
        version="1.0.0",
        golden=nan,
        human=np.array(scores),
        n_human=np.ones(n, dtype=np.int32),
        judge=nan,
    )
    return PromptTable(
        prompt="support",
        item_ids=np.arange(1, n + 1, dtype=np.int64),
        external_ids=tuple(f"i{k}" for k in range(n)),
        version_codes=np.zeros(n, dtype=np.int32),
        versions=("1.0.0",),
        case_codes=np.arange(n, dtype=np.int32),
        cases=tuple(f"c{k}" for k in range(n)),
        times=np.array(times, dtype="datetime64[s]"),
        n_human_total=np.ones(n, dtype=np.int32),
        rubrics={RUBRIC: column},
    )


OFF = AlertState()


def check(t: PromptTable, state: AlertState = OFF, **kw: object) -> RubricDrift:
    return drift(
        t,
        now=NOW,
        window=timedelta(days=7),
        baseline=timedelta(days=28),
        window_text="7d",
        baseline_text="28d",
        states={RUBRIC: state},
        **kw,  # type: ignore[arg-type]
    ).rubrics[RUBRIC]


def test_equal_rates_raise_no_alert() -> None:
    r = check(table((160, 200), (80, 100)))
    assert (r.baseline.n, r.recent.n) == (200, 100)
    assert r.baseline.pass_rate == pytest.approx(0.8) and r.recent.pass_rate == pytest.approx(0.8)
    assert r.diff == pytest.approx(0.0)
    assert r.diff_ci is not None and r.diff_ci[0] < 0 < r.diff_ci[1]
    assert (r.state, r.active, r.checks) == ("none", False, 1)


def test_a_clear_drop_raises_an_alert() -> None:
    r = check(table((180, 200), (50, 100)))
    assert r.diff == pytest.approx(-0.4)
    assert r.diff_ci is not None and r.diff_ci[1] < -0.05
    assert (r.state, r.active, r.since) == ("new", True, "2026-06-29T12:00:00Z")


def test_a_small_drop_within_the_margin_raises_none() -> None:
    # 90 % → 87 %: the interval reaches above −0.05, so not evidence enough.
    assert check(table((180, 200), (87, 100))).state == "none"


def test_hysteresis_ongoing_then_cleared() -> None:
    on = AlertState(active=True, checks=3, since="2026-06-20T00:00:00Z")
    # Still clearly down: ongoing, since kept.
    r = check(table((180, 200), (50, 100)), on)
    assert (r.state, r.active, r.since, r.checks) == ("ongoing", True, on.since, 4)
    # Recovered part of the way: the upper bound is above −margin but not above −margin/2,
    # so the alert stays on (it would not have been raised from off).
    between = table((1800, 2000), (1690, 2000))
    r = check(between, on)
    assert r.diff_ci is not None and -0.05 < r.diff_ci[1] < -0.025
    assert (r.state, r.active) == ("ongoing", True)
    assert check(between).state == "none"
    # Back: cleared.
    r = check(table((180, 200), (90, 100)), on)
    assert (r.state, r.active, r.since) == ("cleared", False, None)


def test_too_few_items_is_inconclusive_and_keeps_the_state() -> None:
    r = check(table((18, 20), (2, 10)))
    assert (r.state, r.active) == ("inconclusive", False)
    on = AlertState(active=True, checks=1, since="x")
    assert (
        check(table((18, 20), (2, 10)), on).state,
        check(table((18, 20), (2, 10)), on).active,
    ) == (
        "inconclusive",
        True,
    )
    r = check(table((0, 0), (0, 0)))
    assert r.baseline.pass_rate is None and r.diff is None and r.state == "inconclusive"


def test_next_state_table() -> None:
    off, on = AlertState(), AlertState(active=True)
    assert next_state(off, (-0.3, -0.06), True, 0.05) == ("new", True)
    assert next_state(off, (-0.3, -0.04), True, 0.05) == ("none", False)
    assert next_state(on, (-0.3, -0.03), True, 0.05) == ("ongoing", True)
    assert next_state(on, (-0.3, -0.02), True, 0.05) == ("cleared", False)
    assert next_state(on, (-0.3, -0.2), False, 0.05) == ("inconclusive", True)


def test_durations() -> None:
    assert parse_duration("7d", "--window") == timedelta(days=7)
    assert parse_duration("12h", "--window") == timedelta(hours=12)
    assert parse_duration("2w", "--window") == timedelta(days=14)
    for bad in ("7", "d", "-1d", "0d", "7 days"):
        with pytest.raises(InputError, match="--window"):
            parse_duration(bad, "--window")


def ppi_table(recent_human_pass: int) -> PromptTable:
    """Baseline: 400 items the judge PASSes, 200 of them labelled by people (180 PASS).
    Recent: 200 items the judge PASSes, 100 labelled by people (RECENT_HUMAN_PASS PASS)."""
    base = table((0, 0), (0, 0))
    times, human, judge = [], [], []
    for count, people, passes, start, days in (
        (400, 200, 180, NOW - timedelta(days=35), 28),
        (200, 100, recent_human_pass, NOW - timedelta(days=7), 7),
    ):
        for i in range(count):
            moment = start + timedelta(seconds=(i + 1) * days * 86400 / (count + 1))
            times.append(np.datetime64(moment.replace(tzinfo=None), "s"))
            judge.append(5.0)
            human.append(np.nan if i >= people else (5.0 if i < passes else 1.0))
    n = len(times)
    column = RubricColumn(
        name=RUBRIC,
        direction="higher",
        threshold=4,
        version="1.0.0",
        golden=np.full(n, np.nan),
        human=np.array(human),
        n_human=np.ones(n, dtype=np.int32),
        judge=np.array(judge),
    )
    return PromptTable(
        prompt=base.prompt,
        item_ids=np.arange(1, n + 1, dtype=np.int64),
        external_ids=tuple(f"p{k}" for k in range(n)),
        version_codes=np.zeros(n, dtype=np.int32),
        versions=("1.0.0",),
        case_codes=np.arange(n, dtype=np.int32),
        cases=tuple(f"c{k}" for k in range(n)),
        times=np.array(times, dtype="datetime64[s]"),
        n_human_total=np.ones(n, dtype=np.int32),
        rubrics={RUBRIC: column},
    )


def test_ppi_corrects_a_lenient_judge() -> None:
    # The judge says PASS on everything; people's overlap shows the drop it hides.
    r = check(ppi_table(50), source="ppi")
    assert (r.baseline.n, r.recent.n) == (400, 200)
    assert r.baseline.pass_rate == pytest.approx(0.9)
    assert r.recent.pass_rate == pytest.approx(0.5)
    assert r.diff == pytest.approx(-0.4)
    assert r.diff_ci is not None and r.diff_ci[0] < -0.4 < r.diff_ci[1] < -0.05
    assert r.state == "new"
    assert check(ppi_table(90), source="ppi").state == "none"
    # People's labels alone see the drop too, on half the items.
    people = check(ppi_table(50), source="human")
    assert (people.baseline.n, people.recent.n, people.state) == (200, 100, "new")
