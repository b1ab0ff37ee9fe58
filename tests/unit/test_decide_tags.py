"""Failure-tag Paretos per version, counted by hand, and the trend by version and ISO week."""

from __future__ import annotations

import datetime as dt_

import pytest
from scipy.stats import binomtest

from tests.unit import decide_tables as dt
from tui_annotate.core.decide.tags import tag_report
from tui_annotate.core.decide.trend import trend


def table() -> dt.PromptTable:
    # 1.0.0: rows 0-3, FAILs at 0, 1, 2; 1.1.0: rows 4-7, FAILs at 4, 5, 6, 7.
    human = [1, 2, 1, 5, 1, 1, 2, None]
    judge = [None, None, None, None, None, None, None, 1]
    return dt.table(
        ["1.0.0"] * 4 + ["1.1.0"] * 4,
        [f"c{i}" for i in range(4)] * 2,
        [
            dt.column(
                "f",
                8,
                human=human,
                judge=judge,
                human_tags={
                    0: ("rude",),
                    1: ("long", "rude"),
                    3: ("ignored",),
                    4: ("long",),
                    5: ("wrong",),
                },
                judge_tags={7: ("wrong",)},
            )
        ],
        times=[
            "2026-11-23T10:00:00",
            "2026-11-24T10:00:00",
            "2026-11-30T00:00:00",
            "2026-11-30T00:00:00",
            "2026-12-06T23:59:59",
            "2026-12-07T00:00:00",
            "2026-12-07T00:00:00",
            "2026-12-07T00:00:00",
        ],
    )


def test_tag_pareto_per_version() -> None:
    report = tag_report(table(), dt.infos(table()))
    first, second = report.versions
    # Row 3 PASSes: its tag is not a failure's. Row 2 fails untagged.
    assert (first.failures, first.untagged) == (3, 1)
    assert [(t.tag, t.count) for t in first.tags] == [("rude", 2), ("long", 1)]
    rude, long_ = first.tags
    assert rude.share == pytest.approx(2 / 3)
    ci = binomtest(2, 3).proportion_ci(method="wilson")
    assert rude.ci == pytest.approx((ci.low, ci.high), abs=1e-6)
    # Row 1 has both tags: the cumulative share counts it once.
    assert (rude.cumulative, long_.cumulative) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert (rude.change, rude.new) == (None, False)
    # Human source: row 7 (judge only) is not a failure; rows 4, 5, 6 are.
    assert (second.failures, second.untagged) == (3, 1)
    tags = {t.tag: t for t in second.tags}
    assert tags["long"].change == pytest.approx(1 / 3 - 1 / 3)
    assert tags["wrong"].new and not tags["long"].new
    assert report.to_json()["versions"]["1.1.0"]["tags"] == {"long": 1, "wrong": 1}


def test_judge_source_counts_the_judges_tags() -> None:
    second = tag_report(table(), dt.infos(table()), source="judge").versions[1]
    assert second.failures == 4
    assert {t.tag: t.count for t in second.tags} == {"wrong": 2, "long": 1}


def test_no_failures() -> None:
    t = dt.table(["1.0.0"], ["a"], [dt.column("f", 1, human=[5])])
    (v,) = tag_report(t, dt.infos(t)).versions
    assert (v.failures, v.untagged, v.tags) == (0, 0, ())


def test_trend_by_version_matches_the_counts() -> None:
    tr = trend(table(), dt.infos(table()))
    points = tr.rubrics["f"]
    assert [(p.label, p.n, p.passed) for p in points] == [("1.0.0", 4, 1), ("1.1.0", 3, 0)]
    ci = binomtest(1, 4).proportion_ci(method="wilson")
    assert points[0].ci == pytest.approx((ci.low, ci.high), abs=1e-6)
    assert tr.thresholds["f"].threshold == 4


def test_trend_by_iso_week() -> None:
    tr = trend(table(), dt.infos(table()), by="week", source="judge")
    got = [(p.label, p.n) for p in tr.rubrics["f"]]
    weeks = [dt_.date(2026, 11, 23), dt_.date(2026, 11, 30), dt_.date(2026, 12, 7)]
    want = [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in weeks]
    # 2026-12-06 23:59:59 is the Sunday ending the week of 11-30.
    assert got == [(want[0], 2), (want[1], 3), (want[2], 3)]


def test_trend_with_ppi_source() -> None:
    tr = trend(table(), dt.infos(table()), source="ppi")
    # Only row 7 is judge-only, and no row has both: PPI is undefined, said as None.
    assert [p.pass_rate for p in tr.rubrics["f"]] == [None, None]
