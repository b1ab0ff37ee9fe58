"""calibrate start/status/close/show/adjudicate, agreement, import-labels and the gate, end to end."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, describe, ok, write_jsonl
from tests.conftest import SAMPLE, load_shipped
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository

TEAM = "ana,ben,cy"


@pytest.fixture
def project(cli: Run) -> None:
    ok(cli("import", str(SAMPLE)))


def rate_round(db: Path, names: list[str], score_of) -> None:  # type: ignore[no-untyped-def]
    rubric = load_shipped("faithfulness")
    with Repository.open(db) as repo:
        for name in names:
            session = AnnotationSession(repo, rubric, name, calibration_only=True)
            session.start()
            while not session.done:
                assert session.current_id is not None
                session.rate(score_of(name, session.current_id))


def agree(name: str, item: int) -> int:
    return item % 5 + 1


def cy_disagrees(name: str, item: int) -> int:
    return 6 - (item % 5 + 1) if name == "cy" else item % 5 + 1


def start(cli: Run, items: int = 8, seed: int = 1, team: str = TEAM) -> int:
    result = ok(
        cli(
            "calibrate",
            "start",
            "--rubric",
            "faithfulness",
            "--annotators",
            team,
            "--items",
            str(items),
            "--seed",
            str(seed),
        )
    )
    return int(result.stdout.strip())


def test_start_prints_the_round_id_and_status_shows_progress(cli: Run, project, db_path) -> None:
    round_id = start(cli)
    assert round_id == 1
    status = json.loads(ok(cli("calibrate", "status", "--json")).stdout)
    assert status["round"] == 1 and status["items"] == 8 and status["status"] == "open"
    assert status["annotators"] == {n: {"done": 0, "of": 8} for n in ("ana", "ben", "cy")}
    rate_round(db_path, ["ana"], agree)
    text = ok(cli("calibrate", "status", "1")).stdout
    assert "ana" in text and "8 / 8" in text and "0 / 8" in text


def test_close_passes_with_exit_0_and_json_keys(cli: Run, project, db_path) -> None:
    round_id = start(cli)
    rate_round(db_path, ["ana", "ben", "cy"], agree)
    data = json.loads(ok(cli("calibrate", "close", "--json", "--bootstrap", "200")).stdout)
    for key in (
        "round",
        "alpha",
        "ci",
        "verdict",
        "per_annotator",
        "disputed",
        "p_below_threshold",
        "bootstrap",
        "units",
    ):
        assert key in data
    assert data["round"] == round_id and data["verdict"] == "pass"
    assert data["alpha"] == pytest.approx(1.0)
    # shown again later, as text and JSON
    assert json.loads(ok(cli("calibrate", "show", str(round_id), "--json")).stdout) == data
    text = ok(cli("calibrate", "show", str(round_id), "--text")).stdout
    assert "alpha = 1.000" in text and "PASS" in text and "0.800" in text


def test_close_fails_with_exit_1_and_names_the_disputes(cli: Run, project, db_path) -> None:
    start(cli, items=10)
    rate_round(db_path, ["ana", "ben", "cy"], cy_disagrees)
    result = cli("calibrate", "close", "--bootstrap", "200")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "most disputed" in result.stdout and "cy" in result.stdout
    assert "FAIL" in result.stdout or "TENTATIVE" in result.stdout
    status = json.loads(ok(cli("calibrate", "status", "1", "--json")).stdout)
    assert status["status"] == "closed" and status["verdict"] in ("fail", "tentative")


def test_configurable_thresholds(cli: Run, project, db_path, tmp_path: Path) -> None:
    (tmp_path / "tui-annotate.toml").write_text("pass_alpha = 0.2\ntentative_alpha = 0.1\n")
    start(cli, items=10)
    rate_round(db_path, ["ana", "ben", "cy"], cy_disagrees)
    data = json.loads(cli("calibrate", "close", "--json", "--bootstrap", "0").stdout)
    assert data["thresholds"] == {"pass": 0.2, "tentative": 0.1}
    assert data["verdict"] == (
        "pass" if data["alpha"] >= 0.2 else "tentative" if data["alpha"] >= 0.1 else "fail"
    )


def test_blind_while_open(cli: Run, project, db_path) -> None:
    round_id = start(cli)
    rate_round(db_path, ["ana", "ben"], agree)
    assert ok(cli("export", "--rubric", "faithfulness")).stdout.count("\n") == 1  # header only
    bad(cli("agreement", "--round", str(round_id)))
    bad(cli("calibrate", "show", str(round_id)))
    bad(cli("calibrate", "adjudicate", str(round_id), "nw-001", "3"))
    assert "still open" in cli("agreement", "--round", str(round_id)).stderr


def test_agreement_over_the_database(cli: Run, project, db_path) -> None:
    start(cli, items=10)
    rate_round(db_path, ["ana", "ben", "cy"], cy_disagrees)
    cli("calibrate", "close", "--bootstrap", "0")
    data = json.loads(
        ok(
            cli(
                "agreement",
                "--rubric",
                "faithfulness",
                "--json",
                "--seed",
                "3",
                "--bootstrap",
                "300",
            )
        ).stdout
    )
    for key in (
        "alpha",
        "level",
        "units",
        "annotators",
        "ci",
        "bootstrap",
        "reason",
        "per_annotator",
    ):
        assert key in data
    assert data["level"] == "ordinal" and data["units"] == 10
    assert data["annotators"] == ["ana", "ben", "cy"]
    assert data["bootstrap"]["replicates"] == 300 and data["bootstrap"]["seed"] == 3
    pair = json.loads(
        ok(
            cli(
                "agreement",
                "--rubric",
                "faithfulness",
                "--annotators",
                "ana,ben",
                "--json",
                "--bootstrap",
                "0",
            )
        ).stdout
    )
    assert pair["alpha"] == pytest.approx(1.0) and pair["ci"] is None
    by_round = json.loads(ok(cli("agreement", "--round", "1", "--json")).stdout)
    assert by_round["alpha"] == pytest.approx(data["alpha"])
    nominal = json.loads(
        ok(cli("agreement", "--round", "1", "--level", "nominal", "--json")).stdout
    )
    assert nominal["level"] == "nominal"
    table = ok(cli("agreement", "--rubric", "faithfulness")).stdout
    assert "alpha = " in table and "per annotator" in table


def test_agreement_undefined_is_null_with_a_reason(cli: Run, project, db_path) -> None:
    start(cli, items=4, team="ana,ben")
    rate_round(db_path, ["ana", "ben"], lambda name, item: 4)
    result = cli("calibrate", "close", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (
        data["alpha"] is None and data["verdict"] == "undefined" and "variation" in data["reason"]
    )
    text = cli("agreement", "--round", "1").stdout
    assert "undefined" in text


def test_agreement_from_a_file(cli: Run, tmp_path: Path) -> None:
    rows = []
    k2011 = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    for name, values in k2011.items():
        rows += [
            {"item_id": f"u{u}", "annotator": name, "score": v}
            for u, v in enumerate(values)
            if v is not None
        ]
    path = write_jsonl(tmp_path / "labels.jsonl", rows)
    for level, expected in (
        ("nominal", 0.743),
        ("ordinal", 0.815),
        ("interval", 0.849),
        ("ratio", 0.797),
    ):
        data = json.loads(
            ok(
                cli(
                    "agreement", "--file", str(path), "--level", level, "--json", "--bootstrap", "0"
                )
            ).stdout
        )
        assert data["alpha"] == pytest.approx(expected, abs=0.0005)
        assert data["units"] == 11
    csv_path = tmp_path / "labels.csv"
    csv_path.write_text(
        "item_id,annotator,score\n1,a,PASS\n1,b,PASS\n2,a,FAIL\n2,b,PASS\n3,a,FAIL\n3,b,FAIL\n"
    )
    nominal = json.loads(ok(cli("agreement", "--file", str(csv_path), "--json")).stdout)
    assert nominal["level"] == "nominal" and nominal["alpha"] == pytest.approx(0.4444, abs=0.001)
    refused = bad(cli("agreement", "--file", str(csv_path), "--level", "ordinal"))
    assert "--rubric" in refused.stderr
    broken = tmp_path / "broken.csv"
    broken.write_text("item_id,annotator,points\n1,a,3\n")
    assert "points" in bad(cli("agreement", "--file", str(broken))).stderr


def test_import_labels(cli: Run, project, db_path, tmp_path: Path) -> None:
    rows = [
        {
            "item_id": "nw-001",
            "annotator": "ext1",
            "score": 5,
            "tags": ["wrong-number"],
            "comment": "fine",
        },
        {"item_id": "nw-001", "annotator": "ext2", "score": 4},
        {"item_id": "nw-002", "annotator": "ext1", "score": 2, "rubric": "faithfulness"},
    ]
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    ok(cli("import-labels", str(path), "--rubric", "faithfulness"))
    with Repository.open(db_path) as repo:
        labels = repo.current_labels("faithfulness")
        assert {(label.annotator, label.score) for label in labels} == {
            ("ext1", 5),
            ("ext2", 4),
            ("ext1", 2),
        }
    exported = ok(cli("export", "--rubric", "faithfulness", "--format", "jsonl")).stdout
    first = json.loads(exported.splitlines()[0])
    assert first["n_labels"] == 2


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ([{"item_id": "nope", "annotator": "a", "score": 3}], ["nope", "unknown item"]),
        ([{"item_id": "nw-001", "annotator": "a", "score": 9}], ["l.jsonl:1", "score", "scale"]),
        ([{"item_id": "nw-001", "annotator": "a"}], ["score", "required"]),
        ([{"item_id": "nw-001", "annotator": "a", "score": 3, "tags": ["zzz"]}], ["zzz"]),
        ([{"item_id": "nw-001", "annotator": "a", "score": 3, "rubric": "nope"}], ["nope"]),
    ],
)
def test_import_labels_errors_import_nothing(
    cli: Run, project, db_path, tmp_path, rows, words
) -> None:
    good = {"item_id": "nw-002", "annotator": "z", "score": 3}
    path = write_jsonl(tmp_path / "l.jsonl", [*rows, good])
    message = bad(cli("import-labels", str(path), "--rubric", "faithfulness")).stderr
    for word in words:
        assert word in message
    with Repository.open(db_path) as repo:
        assert repo.events() == []


# -- the gate through the CLI -----------------------------------------------------


class AppOpened(Exception):
    pass


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Replace only the Textual app; record how the CLI would have opened it."""
    calls: list[dict[str, object]] = []

    class AnnotateApp:
        def __init__(self, **kwargs: object) -> None:
            calls.append(kwargs)

        def run(self) -> None:
            pass

    fake = types.ModuleType("tui_annotate.tui.annotate_app")
    fake.AnnotateApp = AnnotateApp  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_annotate.tui.annotate_app", fake)
    return calls


def test_gate_refuses_with_exit_1_and_lets_the_right_people_through(
    cli: Run, project, db_path, opened
) -> None:
    ok(cli("annotate", "--rubric", "faithfulness", "--annotator", "solo"))  # no rounds: open
    assert opened[-1]["calibration_only"] is False and opened[-1]["drift_permille"] == 0
    start(cli)
    refused = bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "dan"), code=1)
    assert "faithfulness" in refused.stderr and "calibrate start" in refused.stderr
    ok(cli("annotate", "--rubric", "faithfulness", "--annotator", "ana"))
    assert opened[-1]["calibration_only"] is True
    rate_round(db_path, ["ana", "ben", "cy"], agree)
    ok(cli("calibrate", "close"))
    ok(cli("annotate", "--rubric", "faithfulness", "--annotator", "ana"))
    assert opened[-1]["calibration_only"] is False and opened[-1]["drift_permille"] == 100
    bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "dan"), code=1)
    ok(cli("annotate", "--rubric", "faithfulness", "--annotator", "dan", "--allow-uncalibrated"))
    assert opened[-1]["uncalibrated"] is True
    # other rubrics are not gated
    ok(cli("annotate", "--rubric", "helpfulness", "--annotator", "dan"))


def test_project_can_require_calibration(cli: Run, project, opened, tmp_path: Path) -> None:
    (tmp_path / "tui-annotate.toml").write_text("require_calibration = true\n")
    refused = bad(cli("annotate", "--rubric", "safety", "--annotator", "solo"), code=1)
    assert "requires calibration" in refused.stderr


def test_adjudicate_and_round_from_golden(cli: Run, project, db_path) -> None:
    start(cli, items=10)
    rate_round(db_path, ["ana", "ben", "cy"], cy_disagrees)
    cli("calibrate", "close", "--bootstrap", "0")
    with Repository.open(db_path) as repo:
        item = repo.get_item(repo.rounds.item_ids(1)[0]).external_id
    ok(cli("calibrate", "adjudicate", "1", item, "4", "--note", "consensus"))
    golden = [
        json.loads(line)
        for line in ok(
            cli("export", "--rubric", "faithfulness", "--golden", "--format", "jsonl")
        ).stdout.splitlines()
    ]
    assert [(g["item_id"], g["score"], g["verdict"]) for g in golden] == [(item, 4, "PASS")]
    assert golden[0]["comments"] and "consensus" in golden[0]["comments"][0]
    bad(cli("calibrate", "adjudicate", "1", "nw-does-not-exist", "4"))
    bad(cli("calibrate", "adjudicate", "1", item, "9"))
    second = ok(
        cli(
            "calibrate",
            "start",
            "--rubric",
            "faithfulness",
            "--annotators",
            "dan,eve",
            "--from-golden",
        )
    )
    assert second.stdout.strip() == "2"
    status = json.loads(ok(cli("calibrate", "status", "2", "--json")).stdout)
    assert status["items"] == 1 and status["source"] == "golden"


def test_agreement_live_leaves_out_calibration_labels(cli: Run, project, db_path, tmp_path) -> None:
    start(cli, items=6)
    rate_round(db_path, ["ana", "ben", "cy"], cy_disagrees)
    cli("calibrate", "close", "--bootstrap", "0")
    rows = [
        {"item_id": f"nw-0{n}", "annotator": who, "score": 5 if n % 2 else 1}
        for n in range(30, 40)
        for who in ("ana", "ben")
    ]
    with Repository.open(db_path) as repo:
        in_round = {repo.get_item(i).external_id for i in repo.rounds.item_ids(1)}
    rows = [r for r in rows if r["item_id"] not in in_round]
    ok(
        cli(
            "import-labels",
            str(write_jsonl(tmp_path / "live.jsonl", rows)),
            "--rubric",
            "faithfulness",
        )
    )
    live = json.loads(ok(cli("agreement", "--rubric", "faithfulness", "--live", "--json")).stdout)
    everything = json.loads(ok(cli("agreement", "--rubric", "faithfulness", "--json")).stdout)
    assert live["live"] is True
    assert live["units"] == len({r["item_id"] for r in rows})
    assert live["alpha"] == pytest.approx(1.0)
    assert everything["units"] == live["units"] + 6


# -- nothing dropped silently (issue 11) ---------------------------------------------------------


def label_everything(cli: Run, tmp_path: Path, names: tuple[str, ...] = ("zed", "yan")) -> None:
    """NAMES label all 40 sample items, zed and yan disagreeing on every fifth."""
    rows = [
        {
            "item_id": f"nw-{n:03d}",
            "annotator": who,
            "score": (n % 5 + 1) if who != "yan" or n % 5 else 5 - n % 5,
        }
        for n in range(1, 41)
        for who in names
    ]
    ok(
        cli(
            "import-labels",
            str(write_jsonl(tmp_path / "before.jsonl", rows)),
            "--rubric",
            "faithfulness",
        )
    )


def test_an_open_round_hides_only_its_own_labels_and_says_so(
    cli: Run, project, db_path, tmp_path: Path
) -> None:
    label_everything(cli, tmp_path)
    args = ("agreement", "--rubric", "faithfulness", "--json", "--bootstrap", "50")
    before = json.loads(ok(cli(*args)).stdout)
    assert before["units"] == 40
    assert before["left_out"] == {"labels": 0, "rounds": [], "reason": None}
    round_id = start(cli, items=8, team="ana,ben")
    rate_round(db_path, ["ana", "ben"], agree)
    during = cli(*args)
    ok(during)
    data = json.loads(during.stdout)
    # zed's and yan's labels on the round's items still count: only ana's and ben's are blind
    assert data["units"] == 40 and data["annotators"] == ["yan", "zed"]
    assert data["left_out"] == {
        "labels": 16,
        "rounds": [round_id],
        "reason": f"made in open calibration round {round_id}: blind until closed "
        f"(tui-annotate calibrate close {round_id})",
    }
    # every other key is exactly what it was before the round opened
    assert {k: v for k, v in data.items() if k != "left_out"} == {
        k: v for k, v in before.items() if k != "left_out"
    }
    notice = (
        f"agreement: left out 16 labels made in open calibration round {round_id}: "
        f"blind until closed (tui-annotate calibrate close {round_id})\n"
    )
    assert during.stderr == notice
    assert ok(cli("agreement", "--rubric", "faithfulness", "--bootstrap", "0")).stderr == notice
    # the round's own result still comes from the round's labels alone
    ok(cli("calibrate", "close", "--bootstrap", "0"))
    closed = json.loads(ok(cli("calibrate", "show", str(round_id), "--json")).stdout)
    assert closed["annotators"] == ["ana", "ben"] and closed["units"] == 8
    after = cli(*args)
    assert after.stderr == ""
    data = json.loads(after.stdout)
    assert data["annotators"] == ["ana", "ben", "yan", "zed"]
    assert data["left_out"] == {"labels": 0, "rounds": [], "reason": None}


def test_agreement_names_annotators_with_no_labels(cli: Run, project, db_path, tmp_path) -> None:
    label_everything(cli, tmp_path, ("zed", "yan", "xi"))
    three = json.loads(
        ok(
            cli(
                "agreement",
                "--rubric",
                "faithfulness",
                "--annotators",
                "zed,yan",
                "--json",
                "--bootstrap",
                "0",
            )
        ).stdout
    )
    assert three["without_labels"] == []
    result = cli(
        "agreement",
        "--rubric",
        "faithfulness",
        "--annotators",
        "zed,nobody,yan",
        "--json",
        "--bootstrap",
        "0",
    )
    ok(result)
    data = json.loads(result.stdout)
    assert data["without_labels"] == ["nobody"]
    assert data["annotators"] == ["yan", "zed"]
    assert data["alpha"] == pytest.approx(three["alpha"]) and data["alpha"] is not None
    assert result.stderr == "agreement: no labels on faithfulness from nobody\n"
    alone = cli("agreement", "--rubric", "faithfulness", "--annotators", "ana,zed", "--json")
    ok(alone)
    data = json.loads(alone.stdout)
    assert data["alpha"] is None and data["without_labels"] == ["ana"]
    assert data["reason"] == (
        "no labels on faithfulness from ana; agreement needs two annotators with labels "
        "and only zed has any"
    )
    assert alone.stderr == "agreement: no labels on faithfulness from ana\n"
    text = ok(cli("agreement", "--rubric", "faithfulness", "--annotators", "ana,zed")).stdout
    assert "undefined: no labels on faithfulness from ana" in text


def test_agreement_from_a_file_names_annotators_with_no_labels(cli: Run, tmp_path: Path) -> None:
    rows = [
        {"item_id": f"i{n}", "annotator": who, "score": n % 3}
        for n in range(6)
        for who in ("a", "b")
    ]
    path = write_jsonl(tmp_path / "labels.jsonl", rows)
    result = cli("agreement", "--file", str(path), "--annotators", "a,c", "--json")
    ok(result)
    data = json.loads(result.stdout)
    assert data["without_labels"] == ["c"] and data["alpha"] is None
    assert data["reason"].startswith(f"no labels in {path} from c;")
    assert result.stderr == "agreement: no labels from c\n"


def test_close_refuses_a_round_nobody_labelled_unless_forced(cli: Run, project, db_path) -> None:
    round_id = start(cli, items=8)
    refused = bad(cli("calibrate", "close"))
    assert refused.stderr == (
        f"error: round {round_id} has no labels yet: none of ana, ben and cy has labelled any "
        "of its 8 items. Closing it now would spend it; close it once they have (or now, with "
        "--force)\n"
    )
    status = json.loads(ok(cli("calibrate", "status", str(round_id), "--json")).stdout)
    assert status["status"] == "open"  # not spent
    forced = cli("calibrate", "close", "--force", "--json", "--bootstrap", "0")
    assert forced.exit_code == 1, describe(forced)  # undefined: not a pass
    assert json.loads(forced.stdout)["verdict"] == "undefined"
    assert (
        json.loads(ok(cli("calibrate", "status", str(round_id), "--json")).stdout)["status"]
        == "closed"
    )


def test_close_takes_a_round_with_any_label(cli: Run, project, db_path) -> None:
    start(cli, items=4, team="ana,ben")
    rate_round(db_path, ["ana"], agree)
    result = cli("calibrate", "close", "--json", "--bootstrap", "0")
    assert result.exit_code == 1 and json.loads(result.stdout)["verdict"] == "undefined"


# -- checks that say what is true (issue 11) -----------------------------------------------------


@pytest.fixture
def results_shown(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Replace only the results app; record each round result the CLI showed with it."""
    shown: list[dict[str, object]] = []

    class ResultsApp:
        #: The keymap each one was opened with (the user's [keymap], checked).
        keymaps: list[Mapping[str, str] | None] = []

        def __init__(
            self, result: dict[str, object], *, keymap: Mapping[str, str] | None = None
        ) -> None:
            self.result = result
            self.keymaps.append(keymap)

        def run(self) -> None:
            shown.append(self.result)

    fake = types.ModuleType("tui_annotate.tui.results_app")
    fake.ResultsApp = ResultsApp  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_annotate.tui.results_app", fake)
    return shown


def test_the_gate_tells_a_lead_who_labelled_everything_what_is_true(
    cli: Run, project, db_path, tmp_path: Path, opened
) -> None:
    label_everything(cli, tmp_path, ("lead",))
    start(cli, items=8, team="ana,ben")
    refused = bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "lead"), code=1)
    assert refused.stderr == (
        "error: live annotation on faithfulness needs a passed calibration round on version "
        "1.x, and lead has taken part in none. Round 1 is open (ana, ben). As a lead you can "
        "let yourself through with --allow-uncalibrated (recorded on your labels), or join the "
        "next round once round 1 is closed (tui-annotate calibrate start --rubric faithfulness "
        "--annotators lead,…).\n"
    )
    assert "is calibrated" not in refused.stderr
    ok(cli("annotate", "--rubric", "faithfulness", "--annotator", "lead", "--allow-uncalibrated"))
    assert opened[-1]["uncalibrated"] is True


def test_the_results_before_a_refusal_have_the_users_keys(
    cli: Run, project, db_path, tmp_path: Path, opened, results_shown
) -> None:
    start(cli, items=10)
    rate_round(db_path, ["ana", "ben", "cy"], cy_disagrees)
    result = json.loads(cli("calibrate", "close", "--json", "--bootstrap", "0").stdout)
    (tmp_path / "tui-annotate.toml").write_text('[keymap]\nresults.quit = "x"\n')
    bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "cy"), code=1)
    assert results_shown == [result]
    fake = sys.modules["tui_annotate.tui.results_app"]
    assert fake.ResultsApp.keymaps == [{"results.quit": "x"}]  # type: ignore[attr-defined]


def test_the_gate_names_a_failed_round_and_the_way_in(
    cli: Run, project, db_path, tmp_path: Path, opened, results_shown
) -> None:
    start(cli, items=10)
    rate_round(db_path, ["ana", "ben", "cy"], cy_disagrees)
    closed = cli("calibrate", "close", "--json", "--bootstrap", "0")
    assert closed.exit_code == 1
    alpha = json.loads(closed.stdout)["alpha"]
    assert json.loads(closed.stdout)["verdict"] == "fail"
    (tmp_path / "tui-annotate.toml").write_text('leads = ["someone-else"]\n')
    refused = bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "dan"), code=1)
    assert refused.stderr == (
        "error: live annotation on faithfulness needs a passed calibration round on version "
        f"1.x, and dan has taken part in none. Round 1 failed (alpha {alpha:.3f}; ana, ben, cy). "
        "Ask a lead to add you to a round (tui-annotate calibrate start --rubric faithfulness "
        "--annotators dan,…) or to let you through with --allow-uncalibrated.\n"
    )
    assert results_shown == []  # dan was not in the round: nothing to see
    assert opened == []


def test_members_of_a_failed_round_see_its_results_before_the_refusal(
    cli: Run, project, db_path, opened, results_shown
) -> None:
    start(cli, items=10)
    rate_round(db_path, ["ana", "ben", "cy"], cy_disagrees)
    result = json.loads(cli("calibrate", "close", "--json", "--bootstrap", "0").stdout)
    refused = bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "cy"), code=1)
    assert results_shown == [result]
    assert "Round 1 failed" in refused.stderr and opened == []
    # once: the next refusal goes straight to the message, as the app shows results once
    bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "cy"), code=1)
    assert results_shown == [result]
    bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "ana"), code=1)
    assert results_shown == [result, result]
