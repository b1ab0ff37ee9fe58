"""`--json` output stays byte for byte what it was: scripts read these keys, in this order.

Every command with `--json` runs on one deterministic project (the sample items, a closed
calibration round, people's labels, a judge served by a fake endpoint on 127.0.0.1) and its
output is compared with a golden file in tests/cli/golden/. Paths of the temp directory and of the
checkout, and the judge's timings (the only values that differ from run to run) are normalised first.
Regenerate the golden files, after a deliberate change, with GOLDEN_WRITE=1.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run, write_jsonl
from tests.cli.test_calibrate import agree, cy_disagrees, rate_round, start
from tests.conftest import SAMPLE, load_shipped
from tests.openai_server import FakeOpenAI
from tests.unit.test_routing import MODEL, add_humans, answer_by_position, judge_score
from tui_annotate.store.repository import Repository

GOLDEN = Path(__file__).parent / "golden"
#: The checkout the tests run from: rubric and sample paths start with it, wherever it is.
ROOT = str(Path(__file__).resolve().parents[2])
#: The judge summary's wall-clock figures: their values vary, their keys and places do not.
_TIMINGS = re.compile(r'("(?:seconds|requests_per_second)": )[0-9.enul]+')


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-golden")
    with FakeOpenAI() as s:
        yield s


def outputs(cli: Run, db: Path, tmp: Path, server: FakeOpenAI) -> dict[str, str]:
    """Each command's --json stdout, by a name for its golden file."""
    got: dict[str, str] = {}

    def run(name: str, *args: str, code: int = 0) -> None:
        result = cli(*args)
        assert result.exit_code == code, f"{name}: exit {result.exit_code}\n{result.stderr}"
        assert json.loads(result.stdout) is not None, name
        text = result.stdout.replace(str(tmp), "<TMP>").replace(ROOT, "<ROOT>")
        got[name] = _TIMINGS.sub(r"\1<time>", text)

    run("import", "import", str(SAMPLE), "--json")
    run("rubric_list", "rubric", "list", "--json")
    run("rubric_show", "rubric", "show", "faithfulness", "--json")
    run(
        "calibrate_start",
        "calibrate",
        "start",
        "--rubric",
        "faithfulness",
        "--annotators",
        "ana,ben,cy",
        "--items",
        "8",
        "--seed",
        "1",
        "--json",
    )
    rate_round(db, ["ana", "ben"], agree)
    run("calibrate_status_open", "calibrate", "status", "--json")
    rate_round(db, ["cy"], cy_disagrees)
    run("calibrate_close", "calibrate", "close", "--bootstrap", "200", "--json", code=1)
    run("calibrate_show", "calibrate", "show", "1", "--json")
    run("calibrate_status_all", "calibrate", "status", "--json")
    run("agreement_round", "agreement", "--round", "1", "--bootstrap", "100", "--json")
    run("agreement_db", "agreement", "--rubric", "faithfulness", "--bootstrap", "100", "--json")
    rows = [
        {"item_id": f"i{k}", "annotator": a, "score": (k * (2 + n)) % 5 + 1}
        for k in range(12)
        for n, a in enumerate(("x", "y", "z"))
    ]
    labels = write_jsonl(tmp / "labels.jsonl", rows)
    run("agreement_file", "agreement", "--file", str(labels), "--bootstrap", "100", "--json")
    start(cli, items=6, seed=3, team="dee,eve")
    rate_round(db, ["dee"], agree)
    run(
        "agreement_open_round",
        "agreement",
        "--rubric",
        "faithfulness",
        "--bootstrap",
        "0",
        "--json",
    )
    run(
        "agreement_missing",
        "agreement",
        "--rubric",
        "faithfulness",
        "--annotators",
        "ana,zed",
        "--bootstrap",
        "0",
        "--json",
    )
    rubric = load_shipped("faithfulness")
    with Repository.open(db) as repo:
        add_humans(repo, rubric)
        server.answer = answer_by_position(repo, judge_score, lambda k: 0.5 if k % 4 else 0.9)
    run(
        "judge",
        "judge",
        "--rubric",
        "faithfulness",
        "--model",
        MODEL,
        "--base-url",
        server.url,
        "--items",
        "all",
        "--concurrency",
        "1",
        "--json",
    )
    run(
        "agreement_judge",
        "agreement",
        "--rubric",
        "faithfulness",
        "--judge",
        MODEL,
        "--bootstrap",
        "100",
        "--json",
        code=1,
    )
    run("route", "route", "--rubric", "faithfulness", "--json")
    run("status", "status", "--json")
    return got


def test_every_json_output_is_byte_identical_to_its_golden_file(
    cli: Run, db_path: Path, tmp_path: Path, server: FakeOpenAI
) -> None:
    got = outputs(cli, db_path, tmp_path, server)
    if os.environ.get("GOLDEN_WRITE"):
        GOLDEN.mkdir(exist_ok=True)
        for name, text in got.items():
            (GOLDEN / f"{name}.json").write_text(text, encoding="utf-8")
    for name, text in got.items():
        golden = (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
        assert text == golden, f"{name}: --json output differs from tests/cli/golden/{name}.json"


def decide_outputs(cli: Run, db: Path, tmp: Path) -> dict[str, str]:
    """The deciding commands' --json on two versions over 40 cases (issue 13's keys)."""
    from tests.cli.test_decide_commands import add_version, label, settings

    settings(
        tmp,
        "[scorecard]\nmin_n = 20\n[scorecard.metrics.faithfulness]\nmin_pass_rate = 0.7\n"
        "weight = 2\n[scorecard.metrics.safety]\nzero_tolerance = true\n",
    )
    add_version(cli, db, "support", "1.0.0", [5, 4, 3, 5] * 10)
    ids = add_version(
        cli,
        db,
        "support",
        "1.1.0",
        [5, 2, 3, 4] * 10,
        tags=lambda k, s: ["wrong-number"] if s < 4 and k % 3 else [],
        comment=lambda k, s: "off by one" if s == 2 else "",
    )
    label(db, ids, [1] * 39 + [0], rubric="safety", tags=lambda k, s: [] if s else ["pii-leak"])
    got: dict[str, str] = {}

    def run(name: str, *args: str, code: int = 0) -> None:
        result = cli(*args, "--json")
        assert result.exit_code == code, f"{name}: exit {result.exit_code}\n{result.stderr}"
        assert json.loads(result.stdout) is not None, name
        got[name] = result.stdout

    run("decide_scorecard", "scorecard", "--prompt", "support", "--bootstrap", "200")
    run("decide_compare", "compare", "1.0.0", "1.1.0", "--prompt", "support", "--bootstrap", "200")
    gate = ("gate", "--prompt", "support", "--candidate", "1.1.0", "--baseline", "1.0.0")
    run("decide_gate", *gate, "--bootstrap", "200", code=1)
    run("decide_tags", "tags", "--prompt", "support")
    run("decide_trend", "trend", "--prompt", "support")
    return got


def test_deciding_json_is_byte_identical_to_its_golden_file(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    got = decide_outputs(cli, db_path, tmp_path)
    if os.environ.get("GOLDEN_WRITE"):
        for name, text in got.items():
            (GOLDEN / f"{name}.json").write_text(text, encoding="utf-8")
    for name, text in got.items():
        golden = (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
        assert text == golden, f"{name}: --json output differs from tests/cli/golden/{name}.json"
