"""Deciding's renderers on hand-built results: numbers with n and intervals, JUnit, Markdown.

The commands' own tests (test_decide_commands.py) run them on a database; these
pin the formats on results built here, including data that tries to be markup.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tui_annotate.cli import decide_render as render
from tui_annotate.cli import gate_files
from tui_annotate.core.results.decide import GateCheck, GateReport, RubricInfo, Trend, TrendPoint

HOSTILE = "\x1b[31m</failure>&<b>**x**</b> | @team [l](http://x) ]]>\x07"


def check(decision: str, kind: str = "min_pass_rate", **kw: object) -> GateCheck:
    fields: dict[str, object] = {
        "metric": "faithfulness",
        "kind": kind,
        "decision": decision,
        "value": 0.85,
        "ci": (0.64, 0.95),
        "threshold": 0.8,
        "n": 20,
        "reason": f"lower bound 0.64 vs 0.80 {decision}",
    }
    fields.update(kw)
    return GateCheck(**fields)  # type: ignore[arg-type]


def report(*checks: GateCheck, decision: str = "fail") -> GateReport:
    return GateReport(
        prompt="support-answer",
        candidate="1.1.0",
        baseline="1.0.0",
        decision=decision,  # type: ignore[arg-type]
        checks=checks,
        lock="sha256:abc",
    )


def test_rates_carry_n_and_interval_and_undefined_is_a_dash() -> None:
    assert render.rate_text(0.85, (0.64, 0.95), 20) == "0.85 [0.64, 0.95] n=20"
    assert render.rate_text(None, None, 0) == "— n=0"
    assert render.rate_text(-0.05, (-0.12, 0.02), 40, signed=True) == "-0.05 [-0.12, +0.02] n=40"
    assert render.p_text(0.0001) == "<0.001"


def test_junit_one_case_per_check_fail_and_inconclusive_told_apart() -> None:
    rep = report(
        check("pass"),
        check("fail", metric="safety", kind="zero_tolerance"),
        check("inconclusive", kind="non_inferiority", value=-0.02, ci=(-0.2, 0.1)),
    )
    root = ET.fromstring(gate_files.junit_xml(rep))
    assert root.tag == "testsuite"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    cases = root.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "faithfulness min_pass_rate",
        "safety zero_tolerance",
        "faithfulness non_inferiority",
    ]
    assert cases[0].find("failure") is None and cases[0].find("skipped") is None
    assert cases[1].find("failure") is not None
    skipped = cases[2].find("skipped")
    assert skipped is not None and skipped.get("message", "").startswith("inconclusive: ")
    decisions = [c.find("properties/property[@name='decision']") for c in cases]
    assert [p.get("value") for p in decisions if p is not None] == ["pass", "fail", "inconclusive"]
    suite_decision = root.find("properties/property[@name='decision']")
    assert suite_decision is not None and suite_decision.get("value") == "fail"


def test_junit_is_well_formed_whatever_the_data_holds() -> None:
    rep = report(check("fail", metric=HOSTILE, reason=HOSTILE))
    text = gate_files.junit_xml(rep)
    root = ET.fromstring(text)  # raises on malformed XML (raw ESC or BEL is not XML 1.0)
    case = root.find("testcase")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    # The markup-like text survives as text, its control characters shown as pictures.
    assert "</failure>&<b>**x**</b>" in (failure.get("message") or "")
    assert "␛" in (failure.text or "") and "\x1b" not in text and "\x07" not in text


def test_markdown_escapes_data_and_keeps_the_table_shape() -> None:
    rep = report(check("fail", metric=HOSTILE, reason="a\nb | c"), check("pass"))
    text = gate_files.markdown(rep, 1)
    assert text.startswith("### Gate: ❌ FAIL")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 3  # the header and one row per check: no cell broke the table
    bad_row = rows[1]
    # Six cells: every | in the data is escaped, so only the table's own pipes split it.
    assert bad_row.replace("\\|", "").count("|") == 7
    for raw in ("<b>", "**x**", "[l](", "\x1b"):
        assert raw not in bad_row
    assert re.search(r"(?<!\\)@team", bad_row) is None  # no mention pings the team
    assert "\\<b\\>" in bad_row and "\\@team" in bad_row and "a b \\| c" in bad_row
    assert "(exit 1)" in text
    assert "vs **1\\.0\\.0**" in text and "`" not in text  # no code span: its escapes show


@pytest.mark.parametrize("ascii_only", [False, True])
def test_forest_plot_lines(ascii_only: bool) -> None:
    info = RubricInfo(
        name="faithfulness", version="1", direction="higher", threshold=4, min_pass_rate=0.8
    )
    data = Trend(
        prompt="p",
        source="human",
        by="version",
        rubrics={
            "faithfulness": (
                TrendPoint(label="1.0.0", n=0, passed=0, pass_rate=None, ci=None),
                TrendPoint(label="1.1.0", n=57, passed=47, pass_rate=0.82, ci=(0.71, 0.90)),
            )
        },
        thresholds={"faithfulness": info},
    )
    lines = render.forest_lines(data, ascii=ascii_only)
    assert lines[0].startswith("faithfulness (faithfulness v1: PASS at 4+ · min pass rate 0.80)")
    row = next(line for line in lines if "1.1.0" in line)
    assert row.endswith(" 0.82 [0.71, 0.90] n=57")
    empty = next(line for line in lines if "1.0.0" in line)
    assert empty.endswith("— n=0") and (
        "●" not in empty and "o" not in empty.split("1.0.0")[1][:30]
    )
    if ascii_only:
        assert all(ch.isascii() for line in lines for ch in line if ch not in "—·")
        assert "o" in row and "[" in row
    else:
        assert "●" in row and "┤" in row


def test_text_lists_the_first_regressed_cases_and_counts_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tui_annotate.core.results.decide import (
        Comparison,
        Estimate,
        RegressedCase,
        RubricComparison,
    )

    regressed = tuple(
        RegressedCase(case=f"case-{k}", item=f"i{k}", tags=(), comment="") for k in range(25)
    )
    r = RubricComparison(
        rubric="faithfulness",
        n_pairs=100,
        pass_to_fail=25,
        fail_to_pass=0,
        mcnemar_p=0.0,
        p_holm=0.0,
        diff=Estimate(value=-0.25, ci=(-0.34, -0.17)),
        mean_diff=Estimate(value=None, ci=None),
        mde=0.1,
        verdict="worse",
        regressed=regressed,
    )
    render.print_comparison(
        Comparison(prompt="p", baseline="1", candidate="2", source="human", rubrics={"f": r})
    )
    out = capsys.readouterr().out
    assert "PASS → FAIL (25)" in out and "case-19" in out and "case-20" not in out
    assert "… and 5 more (--json lists every one)" in out
