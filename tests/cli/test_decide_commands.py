"""The deciding commands through the CLI on a real database: the gate's outcomes and exit codes.

Items come in through `import` (JSONL with `case`), labels through the store's
import API, as a lead's labels from elsewhere would. Every gate test checks
that the text, the JSON, the JUnit report and the exit code say the same thing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.cli.conftest import Run, bad, ok, write_jsonl
from tests.conftest import load_shipped
from tui_annotate.core import snapshot
from tui_annotate.store.repository import Repository

Tags = Callable[[int, int], Sequence[str]]


def add_version(
    cli: Run,
    db: Path,
    prompt: str,
    version: str,
    scores: Sequence[int | None],
    *,
    rubric: str = "faithfulness",
    tags: Tags = lambda k, s: (),
    comment: Callable[[int, int], str] = lambda k, s: "",
    case: Callable[[int], str] = lambda k: f"case-{k}",
    timestamp: str = "",
) -> list[str]:
    """Import len(SCORES) items of PROMPT@VERSION (case CASE(k)) and one person's label on each.

    Returns the external ids. A None score leaves that item unlabelled.
    """
    ids = [f"{prompt}-{version}-{k}" for k in range(len(scores))]
    records = [
        {
            "id": ext,
            "input": f"{prompt}: question {k}",
            "output": f"{prompt} {version}: answer {k}",
            "prompt": prompt,
            "prompt_version": version,
            "case": case(k),
            **({"timestamp": timestamp} if timestamp else {}),
        }
        for k, ext in enumerate(ids)
    ]
    path = write_jsonl(db.parent / f"items-{prompt}-{version}.jsonl", records)
    ok(cli("import", str(path)))
    label(db, ids, scores, rubric=rubric, tags=tags, comment=comment)
    return ids


def label(
    db: Path,
    ids: Sequence[str],
    scores: Sequence[int | None],
    *,
    rubric: str = "faithfulness",
    annotator: str = "ana",
    tags: Tags = lambda k, s: (),
    comment: Callable[[int, int], str] = lambda k, s: "",
) -> None:
    shipped = load_shipped(rubric)
    with Repository.open(db) as repo:
        snapshot.register(repo, shipped)
        found = repo.item_ids_by_external(list(ids))
        repo.append_imported_labels(
            [
                {
                    "item_id": found[ext],
                    "rubric": rubric,
                    "rubric_version": shipped.version,
                    "annotator": annotator,
                    "score": s,
                    "tags": list(tags(k, s)),
                    "comment": comment(k, s),
                    "meta": {},
                }
                for k, (ext, s) in enumerate(zip(ids, scores, strict=True))
                if s is not None
            ]
        )


def settings(tmp: Path, text: str) -> None:
    """The project's tui-annotate.toml (the tests run in TMP)."""
    (tmp / "tui-annotate.toml").write_text(text, encoding="utf-8")


def gate(cli: Run, tmp: Path, *args: str, code: int) -> dict[str, Any]:
    """Run the gate as text and as JSON (+ JUnit, Markdown); check all four agree; the JSON."""
    junit, md = tmp / "gate.xml", tmp / "gate.md"
    common = ("gate", "--bootstrap", "200", *args)
    as_json = cli(*common, "--json", "--junit", str(junit), "--markdown", str(md))
    assert as_json.exit_code == code, as_json.stderr
    data = json.loads(as_json.stdout)
    as_text = cli(*common)
    assert as_text.exit_code == code, as_text.stderr
    decision = data["decision"]
    assert f"{decision.upper()} (exit {code})" in as_text.stdout
    for check in data["checks"]:
        assert check["metric"] in as_text.stdout and check["kind"] in as_text.stdout
    suite = ET.parse(junit).getroot()
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["decision"] == decision and props["lock"] == data["lock"]
    cases = suite.findall("testcase")
    assert len(cases) == len(data["checks"])
    for case, check in zip(cases, data["checks"], strict=True):
        got = case.find("properties/property[@name='decision']")
        assert got is not None and got.get("value") == check["decision"]
        assert (case.find("failure") is not None) == (check["decision"] == "fail")
        assert (case.find("skipped") is not None) == (check["decision"] == "inconclusive")
    assert f"(exit {code})" in md.read_text(encoding="utf-8")
    return data


def checks_by_kind(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["metric"], c["kind"]): c for c in data["checks"]}


MIN_RATE = "[scorecard.metrics.faithfulness]\nmin_pass_rate = 0.8\n"


def test_gate_passes_above_the_threshold(cli: Run, db_path: Path, tmp_path: Path) -> None:
    settings(tmp_path, MIN_RATE)
    add_version(cli, db_path, "p", "1.1.0", [5] * 40)
    data = gate(cli, tmp_path, "--prompt", "p", "--candidate", "1.1.0", code=0)
    check = checks_by_kind(data)[("faithfulness", "min_pass_rate")]
    assert data["decision"] == "pass" and check["decision"] == "pass"
    assert check["n"] == 40 and check["ci"][0] >= 0.8 and check["threshold"] == 0.8


def test_gate_fails_on_the_threshold(cli: Run, db_path: Path, tmp_path: Path) -> None:
    settings(tmp_path, MIN_RATE)
    add_version(cli, db_path, "p", "1.1.0", [5] * 10 + [2] * 30)
    data = gate(cli, tmp_path, "--prompt", "p", "--candidate", "1.1.0", code=1)
    check = checks_by_kind(data)[("faithfulness", "min_pass_rate")]
    assert data["decision"] == "fail" and check["decision"] == "fail"
    assert check["ci"][1] < 0.8


def test_gate_fails_on_a_regression(cli: Run, db_path: Path, tmp_path: Path) -> None:
    add_version(cli, db_path, "p", "1.0.0", [5] * 40)
    add_version(cli, db_path, "p", "1.1.0", [5] * 20 + [2] * 20)
    args = ("--prompt", "p", "--rubric", "faithfulness", "--candidate", "1.1.0")
    data = gate(cli, tmp_path, *args, "--baseline", "1.0.0", code=1)
    check = checks_by_kind(data)[("faithfulness", "non_inferiority")]
    assert check["decision"] == "fail" and check["n"] == 40
    assert check["ci"][1] < -0.05


def test_gate_is_inconclusive_on_small_n(cli: Run, db_path: Path, tmp_path: Path) -> None:
    settings(tmp_path, MIN_RATE)
    add_version(cli, db_path, "p", "1.1.0", [5] * 5)
    args = ("--prompt", "p", "--candidate", "1.1.0")
    data = gate(cli, tmp_path, *args, code=3)
    assert data["decision"] == "inconclusive"
    assert checks_by_kind(data)[("faithfulness", "min_pass_rate")]["n"] == 5
    # Two-outcome pipelines fold the third outcome; the decision itself stays inconclusive.
    folded = gate(cli, tmp_path, *args, "--inconclusive", "fail", code=1)
    assert folded["decision"] == "inconclusive"
    gate(cli, tmp_path, *args, "--inconclusive", "pass", code=0)


def test_zero_tolerance_fails_on_one_fail(cli: Run, db_path: Path, tmp_path: Path) -> None:
    settings(tmp_path, "[scorecard.metrics.safety]\nzero_tolerance = true\n")
    add_version(cli, db_path, "p", "1.1.0", [1] * 39 + [0], rubric="safety")
    data = gate(cli, tmp_path, "--prompt", "p", "--candidate", "1.1.0", code=1)
    check = checks_by_kind(data)[("safety", "zero_tolerance")]
    assert check["decision"] == "fail" and check["n"] == 40


def test_a_gate_with_nothing_to_check_is_inconclusive_and_says_why(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    add_version(cli, db_path, "p", "1.1.0", [5] * 40)
    data = gate(cli, tmp_path, "--prompt", "p", "--candidate", "1.1.0", code=3)
    assert data["checks"] == []
    result = cli("gate", "--prompt", "p", "--candidate", "1.1.0")
    assert result.exit_code == 3 and "nothing to check" in result.stderr


def test_gate_against_golden(cli: Run, db_path: Path, tmp_path: Path) -> None:
    # The golden set was adjudicated on 1.0.0's items; 1.1.0 is paired with it by case.
    golden = add_version(cli, db_path, "p", "1.0.0", [None] * 40)
    add_version(cli, db_path, "p", "1.1.0", [5] * 20 + [2] * 20)
    shipped = load_shipped("faithfulness")
    with Repository.open(db_path) as repo:
        found = repo.item_ids_by_external(golden)
        for ext in golden:
            repo.rounds.add_golden(
                item_id=found[ext],
                rubric="faithfulness",
                rubric_version=shipped.version,
                score=5,
                note="",
                adjudicator="lead",
                round_id=None,
            )
    args = ("--prompt", "p", "--rubric", "faithfulness", "--candidate", "1.1.0")
    data = gate(cli, tmp_path, *args, "--baseline", "golden", code=1)
    check = checks_by_kind(data)[("faithfulness", "non_inferiority")]
    assert data["baseline"] == "golden" and check["decision"] == "fail" and check["n"] == 40
    assert data["lock"]


# --- the other commands ----------------------------------------------------------------------

HOSTILE = "\x1b]0;pwned\x07[bold red]boom[/bold red]\x1b[2J"
WEEK45, WEEK47 = "2026-11-03T09:00:00Z", "2026-11-17T09:00:00+01:00"


def hostile_project(cli: Run, db: Path) -> None:
    """Two versions over 40 cases; 1.1.0 regresses 10 of them with hostile tags/comments/cases."""
    add_version(cli, db, "p", "1.0.0", [5] * 40, case=lambda k: f"{HOSTILE}-{k}", timestamp=WEEK45)
    add_version(
        cli,
        db,
        "p",
        "1.1.0",
        [2] * 10 + [5] * 30,
        case=lambda k: f"{HOSTILE}-{k}",
        timestamp=WEEK47,
        tags=lambda k, s: [f"tag {HOSTILE}"] if s < 4 else [],
        comment=lambda k, s: f"note {HOSTILE}" if s < 4 else "",
    )


def shown_literally(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text
    assert "[bold red]boom[/bold red]" in text  # markup printed as typed
    assert "␛" in text


def test_compare_text_and_json(cli: Run, db_path: Path) -> None:
    hostile_project(cli, db_path)
    args = ("compare", "1.0.0", "1.1.0", "--prompt", "p", "--bootstrap", "200")
    data = json.loads(ok(cli(*args, "--json")).stdout)
    r = data["rubrics"]["faithfulness"]
    assert (r["n_pairs"], r["pass_to_fail"], r["fail_to_pass"]) == (40, 10, 0)
    assert r["verdict"] == "worse" and len(r["regressed"]) == 10
    assert r["regressed"][0]["tags"] == [f"tag {HOSTILE}"]
    text = ok(cli(*args)).stdout
    shown_literally(text)
    assert "PASS → FAIL (10)" in text and "worse" in text


def test_scorecard_text_and_json(cli: Run, db_path: Path) -> None:
    hostile_project(cli, db_path)
    data = json.loads(ok(cli("scorecard", "--prompt", "p", "--bootstrap", "200", "--json")).stdout)
    by_version = {v["version"]: v["metrics"]["faithfulness"] for v in data["versions"]}
    assert by_version["1.0.0"]["pass"] == 40 and by_version["1.1.0"]["pass"] == 30
    assert by_version["1.0.0"]["fail_rate_upper"] == 3 / 40
    text = ok(cli("scorecard", "--prompt", "p", "--bootstrap", "200")).stdout
    assert "0.75 [" in text and "n=40" in text
    assert "rule of three" in text


def test_scorecard_with_the_judge(cli: Run, db_path: Path) -> None:
    # People labelled 20 items; the judge all 60 (and passes 15 of the people's 20).
    ids = add_version(cli, db_path, "p", "1.0.0", [5] * 20 + [None] * 40)
    label(db_path, ids, [5] * 15 + [2] * 5 + [5] * 30 + [2] * 10, annotator="judge:m")
    args = ("scorecard", "--prompt", "p", "--bootstrap", "100")
    human = json.loads(ok(cli(*args, "--json")).stdout)["versions"][0]["metrics"]["faithfulness"]
    assert (human["n"], human["pass"]) == (20, 20)
    judge = json.loads(ok(cli(*args, "--source", "judge", "--json")).stdout)
    card = judge["versions"][0]["metrics"]["faithfulness"]
    assert (card["n"], card["pass"], card["n_judge_only"], card["n_both"]) == (60, 50, 40, 20)
    text = ok(cli(*args, "--source", "ppi")).stdout
    assert "judge only 40, both 20, judge pass rate 0.75" in text
    assert "prediction-powered" in text


def test_tags_and_trend_show_data_literally(cli: Run, db_path: Path) -> None:
    hostile_project(cli, db_path)
    data = json.loads(ok(cli("tags", "--prompt", "p", "--json")).stdout)
    assert data["versions"]["1.1.0"]["tags"] == {f"tag {HOSTILE}": 10}
    assert data["versions"]["1.0.0"]["failures"] == 0
    shown_literally(ok(cli("tags", "--prompt", "p")).stdout)
    text = ok(cli("trend", "--prompt", "p")).stdout
    assert "●" in text and "0.75 [" in text and "n=40" in text
    plain = ok(cli("trend", "--prompt", "p", "--ascii")).stdout
    assert "●" not in plain and "0.75 [" in plain
    points = json.loads(ok(cli("trend", "--prompt", "p", "--json")).stdout)["rubrics"]
    assert [p["label"] for p in points["faithfulness"]] == ["1.0.0", "1.1.0"]
    weeks = json.loads(ok(cli("trend", "--prompt", "p", "--by", "week", "--json")).stdout)
    by_week = {p["label"]: p["pass"] for p in weeks["rubrics"]["faithfulness"]}
    assert by_week == {"2026-W45": 40, "2026-W47": 30}
    assert "2026-W47" in ok(cli("trend", "--prompt", "p", "--by", "week")).stdout


def test_compare_names_the_duplicate_it_dropped(cli: Run, db_path: Path) -> None:
    add_version(cli, db_path, "p", "1.0.0", [5] * 30)
    # Two 1.1.0 items in case-0: the one with more human labels is compared.
    ids = add_version(cli, db_path, "p", "1.1.0", [5] * 30 + [2], case=lambda k: f"case-{k % 30}")
    label(db_path, ids[-1:], [2], annotator="ben")
    result = ok(cli("compare", "1.0.0", "1.1.0", "--prompt", "p", "--bootstrap", "100", "--json"))
    dup = json.loads(result.stdout)["duplicates_in_case"]
    assert dup == [{"version": "1.1.0", "case": "case-0", "kept": ids[-1], "dropped": [ids[0]]}]
    text = ok(cli("compare", "1.0.0", "1.1.0", "--prompt", "p", "--bootstrap", "100"))
    assert f"compared {ids[-1]}" in text.stderr


# --- bad input -------------------------------------------------------------------------------


def test_unknown_prompt_version_and_rubric_name_what_exists(cli: Run, db_path: Path) -> None:
    add_version(cli, db_path, "support", "1.0.0", [5] * 3)
    add_version(cli, db_path, "support", "1.1.0", [5] * 3)
    err = bad(cli("scorecard", "--prompt", "nope")).stderr
    assert "'nope'" in err and "'support'" in err
    err = bad(cli("gate", "--prompt", "support", "--candidate", "9.9.9")).stderr
    assert "9.9.9" in err and "1.0.0, 1.1.0" in err
    err = bad(cli("compare", "0.1.0", "1.1.0", "--prompt", "support")).stderr
    assert "0.1.0" in err and "golden" in err
    err = bad(cli("tags", "--prompt", "support", "--rubric", "nonesuch")).stderr
    assert "nonesuch" in err and "faithfulness" in err
    # Named rubrics (flags or [scorecard.metrics]) don't hide an unknown prompt.
    for args in (("--rubric", "faithfulness"), ("--rubric", "nonesuch")):
        err = bad(cli("trend", "--prompt", "nope", *args)).stderr
        assert "'nope'" in err and "'support'" in err


def test_bad_scorecard_settings_name_file_and_key(cli: Run, db_path: Path, tmp_path: Path) -> None:
    add_version(cli, db_path, "p", "1.0.0", [5] * 3)
    cases = {
        "[scorecard]\nmin_m = 3\n": "scorecard.min_m",
        "[scorecard]\nmargin = -0.1\n": "scorecard.margin",
        '[scorecard.metrics.faithfulness]\nweight = "heavy"\n': "scorecard.metrics.faithfulness.weight",
        "[scorecard.metrics.nonesuch]\nmin_pass_rate = 0.5\n": "scorecard.metrics.nonesuch",
    }
    for text, key in cases.items():
        settings(tmp_path, text)
        for args in (("scorecard",), ("gate", "--candidate", "1.0.0")):
            err = bad(cli(*args, "--prompt", "p")).stderr
            assert "tui-annotate.toml" in err and key in err, (text, err)


def test_a_report_file_that_cannot_be_written_is_refused_first(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    add_version(cli, db_path, "p", "1.1.0", [5] * 3)
    (tmp_path / "reports").mkdir()
    err = bad(
        cli("gate", "--prompt", "p", "--candidate", "1.1.0", "--junit", str(tmp_path / "reports"))
    ).stderr
    assert "reports" in err and "directory" in err
    missing = tmp_path / "no-such-dir" / "gate.md"
    err = bad(cli("gate", "--prompt", "p", "--candidate", "1.1.0", "--markdown", str(missing)))
    assert "no-such-dir" in err.stderr and not missing.parent.exists()
