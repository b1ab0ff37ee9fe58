"""One annotator-name rule at every door; `judge:` names are the LLM judge's alone.

`import-labels` accepted names `annotate` refused, among them `judge:evil`,
which then counted as a judge (and broke `route`), and names holding escape
sequences, which `status` printed raw.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, ok, write_jsonl
from tests.cli.test_crafted_input import dump_hash
from tests.cli.test_errors import _no_app  # noqa: F401 (autouse: a regression can't open the app)
from tests.conftest import SAMPLE
from tui_annotate.core import names

#: Names no door lets in, and a word the refusal must hold.
REFUSED = {
    "judge:evil": "judge:",
    "": "empty",
    "ana\x1b]0;PWNED\x07": "control",
    "ana,ben": "','",
    "ana;ben": "';'",
    " ana": "space",
    "ana  lopez": "space",
    "a" * 65: "65 characters",
    "ana\u202eevil": "U+202E",
    "ana:1": "':'",
    "-ana": "start with a letter or a digit",
}
ACCEPTED = ["ana", "ana.lopez", "ana-2", "ana_b", "ana@example.com", "Ana López", "अनु", "7"]


@pytest.mark.parametrize("name", ACCEPTED)
def test_the_rule_accepts_ordinary_names(name: str) -> None:
    assert names.problem(name) is None


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_rule_refuses_and_says_why(name: str) -> None:
    reason = names.problem(name)
    assert reason is not None and REFUSED[name] in reason, reason


@pytest.fixture
def project(cli: Run, db_path: Path) -> Path:
    ok(cli("import", str(SAMPLE)))
    return db_path


@pytest.mark.parametrize("name", ["judge:evil", "ana\x1b]0;PWNED\x07", "ana,ben"])
def test_import_labels_refuses_what_annotate_refuses(
    cli: Run, project: Path, tmp_path: Path, name: str
) -> None:
    rows = [
        {"item_id": "nw-001", "annotator": "ext1", "score": 4},
        {"item_id": "nw-002", "annotator": name, "score": 2},
    ]
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    before = dump_hash(project)
    message = bad(cli("import-labels", str(path), "--rubric", "faithfulness")).stderr
    assert "l.jsonl:2: field 'annotator'" in message, message
    assert names.RULE in message, message
    assert "\x1b" not in message
    assert dump_hash(project) == before
    refused_by_annotate = bad(cli("annotate", "--rubric", "faithfulness", "--annotator", name))
    assert names.RULE in refused_by_annotate.stderr


def test_import_labels_csv_names_line_and_field(cli: Run, project: Path, tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("item_id,annotator,score\nnw-001,ext1,4\nnw-002,judge:gpt,3\n", "utf-8")
    message = bad(cli("import-labels", str(path), "--rubric", "faithfulness")).stderr
    assert "l.csv:3: field 'annotator': annotator name 'judge:gpt' starts with 'judge:'" in message


def test_a_refused_judge_name_leaves_route_working(cli: Run, project: Path, tmp_path: Path) -> None:
    """Before, judge:evil became a judge with labels; route then counted it as one."""
    path = write_jsonl(
        tmp_path / "l.jsonl", [{"item_id": "nw-001", "annotator": "judge:evil", "score": 4}]
    )
    bad(cli("import-labels", str(path), "--rubric", "faithfulness"))
    message = bad(cli("route", "--rubric", "faithfulness", "--model", "evil")).stderr
    assert "judge:evil has no labels" in message, message


def test_calibrate_start_holds_annotators_to_the_rule(cli: Run, project: Path) -> None:
    before = dump_hash(project)
    message = bad(
        cli("calibrate", "start", "--rubric", "faithfulness", "--annotators", "ana,judge:gpt")
    ).stderr
    assert "field '--annotators'" in message and "judge:" in message, message
    assert dump_hash(project) == before


def test_agreement_annotators_holds_names_to_the_rule(cli: Run, project: Path) -> None:
    message = bad(
        cli("agreement", "--rubric", "faithfulness", "--annotators", "ana,b\x1b[31mad")
    ).stderr
    assert "field '--annotators'" in message and names.RULE in message, message
    assert "\x1b" not in message


def test_agreement_annotators_accepts_good_names(cli: Run, project: Path, tmp_path: Path) -> None:
    rows = [
        {"item_id": f"nw-00{n}", "annotator": who, "score": 4 if who == "ana" else 3}
        for n in (1, 2, 3)
        for who in ("ana", "ben.c")
    ]
    ok(
        cli(
            "import-labels",
            str(write_jsonl(tmp_path / "l.jsonl", rows)),
            "--rubric",
            "faithfulness",
        )
    )
    data = json.loads(
        ok(
            cli("agreement", "--rubric", "faithfulness", "--annotators", "ana,ben.c", "--json")
        ).stdout
    )
    assert sorted(data["annotators"]) == ["ana", "ben.c"]


def test_annotate_refuses_a_judge_name_before_opening_the_app(cli: Run, project: Path) -> None:
    message = bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "judge:x")).stderr
    assert "field '--annotator'" in message and "judge:" in message, message
