"""The gate's report for CI: JUnit XML (one test case per check) and Markdown (a PR comment).

Both read the one `GateReport` the text, `--json` and the exit code come from,
so a CI page and the log cannot disagree. Names, tags and reasons are data:
they go through `visible` and then the format's own escaping, so a metric
called `</failure>` or `**x**` or `@team` stays text (and pings nobody).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tui_annotate.cli.decide_render import check_threshold, check_value
from tui_annotate.core.textsafe import visible

if TYPE_CHECKING:
    from tui_annotate.core.results.decide import GateReport


def junit_xml(report: GateReport) -> str:
    """One <testcase> per check: fail → <failure>, inconclusive → <skipped> (+ a property).

    CI systems show skipped tests as neither red nor green, which is what
    "too little data to tell" is; each test case also carries a `decision`
    property, so a reader can tell an inconclusive check from a real skip.
    Data strings go through `visible` first: XML 1.0 cannot hold most control
    characters even escaped, and ElementTree escapes the rest.
    """
    import xml.etree.ElementTree as ET

    fails = sum(c.decision == "fail" for c in report.checks)
    skipped = sum(c.decision == "inconclusive" for c in report.checks)
    suite = ET.Element(
        "testsuite",
        {
            "name": visible(f"tui-annotate gate {report.prompt}"),
            "tests": str(len(report.checks)),
            "failures": str(fails),
            "errors": "0",
            "skipped": str(skipped),
        },
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("prompt", report.prompt),
        ("candidate", report.candidate),
        ("baseline", report.baseline or ""),
        ("source", report.source),
        ("decision", report.decision),
        ("lock", report.lock),
    ):
        ET.SubElement(props, "property", {"name": key, "value": visible(value)})
    for c in report.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": visible(f"gate.{report.prompt}"),
                "name": visible(f"{c.metric} {c.kind}"),
            },
        )
        cprops = ET.SubElement(case, "properties")
        for key, value in (
            ("decision", c.decision),
            ("value", check_value(c)),
            ("threshold", check_threshold(c)),
        ):
            ET.SubElement(cprops, "property", {"name": key, "value": value})
        message = visible(c.reason)
        if c.decision == "fail":
            ET.SubElement(case, "failure", {"message": message, "type": c.kind}).text = message
        elif c.decision == "inconclusive":
            ET.SubElement(case, "skipped", {"message": f"inconclusive: {message}"})
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


#: Every ASCII punctuation character may be backslash-escaped in CommonMark: escaped,
#: none of them can open emphasis, a link, a table cell, an HTML tag or an entity.
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def md_escape(value: str) -> str:
    """VALUE as literal Markdown text on one line (a table cell)."""
    flat = visible(value).replace("\n", " ")
    return _MD_PUNCT.sub(r"\\\1", flat)


_DECISION_MARK = {"pass": "✅ PASS", "fail": "❌ FAIL", "inconclusive": "⚠️ INCONCLUSIVE"}


def markdown(report: GateReport, exit_code: int) -> str:
    """A PR comment: the decision, the table of checks, the lock."""
    # Bold, not a code span: inside backticks a backslash escape would print as typed.
    against = f" vs **{md_escape(report.baseline)}**" if report.baseline else ""
    lines = [
        f"### Gate: {_DECISION_MARK[report.decision]}",
        "",
        f"Prompt **{md_escape(report.prompt)}**, candidate **{md_escape(report.candidate)}**"
        f"{against}, source {md_escape(report.source)} (exit {exit_code}).",
        "",
        "| metric | check | decision | value [95% CI] n | threshold | reason |",
        "|---|---|---|---|---|---|",
    ]
    for c in report.checks:
        lines.append(
            f"| {md_escape(c.metric)} | {c.kind} | {_DECISION_MARK[c.decision]} "
            f"| {check_value(c)} | {check_threshold(c)} "
            f"| {md_escape(c.reason)} |"
        )
    lines += ["", f"<sub>lock {md_escape(report.lock)}</sub>", ""]
    return "\n".join(lines)
