"""`tui-annotate rubric check|list|show`: validation with pointed errors, and where rubrics are found."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.cli.conftest import bad, ok
from tests.conftest import ROOT, load_shipped

SHIPPED = sorted((ROOT / "rubrics").glob("*.toml"))
FAITHFULNESS = (ROOT / "rubrics" / "faithfulness.toml").read_text(encoding="utf-8")
QUESTION_LINE = re.search(r"^question = .*\n", FAITHFULNESS, re.M).group(0)  # type: ignore[union-attr]


def flat(text: str) -> str:
    """Collapse the line wrapping Rich does, so sentences can be searched for whole."""
    return " ".join(text.split())


def variant(
    folder: Path, *, name: str = "faithfulness", version: str = "1.0.0", question: str | None = None
) -> Path:
    """A copy of the shipped faithfulness rubric under another name, version or question."""
    text = FAITHFULNESS.replace('name = "faithfulness"', f'name = "{name}"', 1)
    text = text.replace('version = "1.0.0"', f'version = "{version}"', 1)
    if question is not None:
        text = re.sub(r'^question = ".*"$', f'question = "{question}"', text, count=1, flags=re.M)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_three_shipped_rubrics_exist() -> None:
    assert {p.stem for p in SHIPPED} >= {"faithfulness", "helpfulness", "safety"}


# -- check --------------------------------------------------------------------


def test_check_accepts_the_shipped_rubrics(cli) -> None:
    result = ok(cli("rubric", "check", *map(str, SHIPPED)))
    ok_lines = [line for line in result.stdout.splitlines() if line.startswith("ok:")]
    assert len(ok_lines) == len(SHIPPED)
    for path in SHIPPED:
        assert any(str(path) in line for line in ok_lines), path
    assert result.stderr == ""


BROKEN = {
    # case: (edit applied to the faithfulness TOML, field named, words of the reason)
    "threshold-off-scale": (
        ("pass_threshold = 4", "pass_threshold = 9"),
        "pass_threshold",
        "scale",
    ),
    "bad-version": (('version = "1.0.0"', 'version = "one"'), "version", "semantic"),
    "unknown-key": (('title = "Faithfulness"', 'title = "F"\ncolour = "red"'), "colour", "unknown"),
    "example-score-off-scale": (("score = 5\nrationale", "score = 7\nrationale"), "score", "scale"),
    "example-unknown-tag": (('tags = ["ignores-data"]', 'tags = ["made-up"]'), "tags", "made-up"),
    "reserved-key": (("value = 5\n", 'value = 5\nkey = "q"\n'), "key", "used by the app"),
    "missing-question": ((QUESTION_LINE, ""), "question", "required"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_check_names_file_field_and_reason(case: str, cli, tmp_path: Path) -> None:
    (old, new), field, reason = BROKEN[case]
    assert old in FAITHFULNESS
    path = tmp_path / "broken.toml"
    path.write_text(FAITHFULNESS.replace(old, new, 1), encoding="utf-8")
    result = bad(cli("rubric", "check", str(path)))
    assert str(path) in result.stderr or "broken.toml" in result.stderr
    assert field in result.stderr
    if reason is not None:
        assert reason in result.stderr.lower()
    assert "ok:" not in result.stdout


def test_check_reports_invalid_toml_with_its_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\nversion = \n', encoding="utf-8")
    result = bad(cli("rubric", "check", str(path)))
    assert re.search(r"broken\.toml:2\b|line 2\b", result.stderr), result.stderr


def test_check_a_missing_file(cli) -> None:
    result = bad(cli("rubric", "check", "nowhere.toml"))
    assert "nowhere.toml" in result.stderr


def test_check_mixed_good_and_bad_still_reports_the_good(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        FAITHFULNESS.replace("pass_threshold = 4", "pass_threshold = 9"), encoding="utf-8"
    )
    safety = ROOT / "rubrics" / "safety.toml"
    helpfulness = ROOT / "rubrics" / "helpfulness.toml"
    result = bad(cli("rubric", "check", str(safety), str(broken), str(helpfulness)))
    assert re.search(rf"^ok: {re.escape(str(safety))}", result.stdout, re.M), result.stdout
    assert re.search(rf"^ok: {re.escape(str(helpfulness))}", result.stdout, re.M), result.stdout
    assert "broken.toml" in result.stderr and "pass_threshold" in result.stderr
    assert "broken.toml" not in result.stdout


# -- list ---------------------------------------------------------------------


def shipped_versions() -> dict[str, str]:
    return {p.stem: tomllib.loads(p.read_text("utf-8"))["version"] for p in SHIPPED}


def test_list_shows_the_shipped_rubrics_with_versions(cli) -> None:
    result = ok(cli("rubric", "list"))
    for name, version in shipped_versions().items():
        assert re.search(rf"^{name}\s+{re.escape(version)}\b", result.stdout, re.M), (
            name,
            result.stdout,
        )


def test_list_json(cli) -> None:
    entries = json.loads(ok(cli("rubric", "list", "--json")).stdout)
    by_name = {e["name"]: e for e in entries}
    for name, version in shipped_versions().items():
        assert by_name[name]["version"] == version
        assert by_name[name]["error"] is None
    assert by_name["safety"]["points"] == 2
    assert by_name["faithfulness"]["points"] == 5


def test_list_marks_an_invalid_rubric_without_failing(cli, tmp_path: Path) -> None:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "wonky.toml").write_text('name = "wonky"\n', encoding="utf-8")
    entries = {e["name"]: e for e in json.loads(ok(cli("rubric", "list", "--json")).stdout)}
    assert entries["wonky"]["error"]
    assert entries["faithfulness"]["error"] is None


# -- show ---------------------------------------------------------------------


def test_show_prints_question_anchors_and_example_rationales(cli) -> None:
    rubric = load_shipped("faithfulness")
    out = flat(ok(cli("rubric", "show", "faithfulness")).stdout)
    assert flat(rubric.question) in out
    for level in rubric.scale:
        assert level.label in out, level
    for example in rubric.examples:
        assert flat(example.rationale) in out, example.rationale
    for tag in rubric.tags:
        assert tag.name in out
    assert str(rubric.pass_threshold) in out


def test_show_json(cli) -> None:
    data = json.loads(ok(cli("rubric", "show", "safety", "--json")).stdout)
    assert data["name"] == "safety"
    assert len(data["scale"]) == 2


def test_show_unknown_rubric_names_the_known_ones(cli) -> None:
    result = bad(cli("rubric", "show", "nope"))
    assert "nope" in result.stderr
    for name in ("faithfulness", "helpfulness", "safety"):
        assert name in result.stderr


def test_show_prints_rubric_text_literally(cli, tmp_path: Path) -> None:
    """Rubric text is data: square brackets are shown, not taken for Rich markup."""
    variant(tmp_path / "rubrics", question="Is it [bold]true[/bold] and [red]safe[/]?")
    out = ok(cli("rubric", "show", "faithfulness")).stdout
    assert "Is it [bold]true[/bold] and [red]safe[/]?" in flat(out)


# -- where rubrics are found --------------------------------------------------


def test_a_rubric_in_cwd_rubrics_is_found(cli, tmp_path: Path) -> None:
    variant(tmp_path / "rubrics", name="tone", question="Is the tone right for support?")
    names = {e["name"] for e in json.loads(ok(cli("rubric", "list", "--json")).stdout)}
    assert names >= {"tone", "faithfulness", "helpfulness", "safety"}
    assert "Is the tone right for support?" in flat(ok(cli("rubric", "show", "tone")).stdout)


def test_a_rubric_in_rubrics_dir_is_found(cli, tmp_path: Path) -> None:
    variant(tmp_path / "elsewhere", name="brevity", question="Is it short enough?")
    names = {
        e["name"]
        for e in json.loads(ok(cli("--rubrics", "elsewhere", "rubric", "list", "--json")).stdout)
    }
    assert names >= {"brevity", "faithfulness"}
    assert "Is it short enough?" in flat(
        ok(cli("--rubrics", "elsewhere", "rubric", "show", "brevity")).stdout
    )
    bad(cli("rubric", "show", "brevity"))  # not found without --rubrics


def shown_version(cli, *flags: str) -> str:
    data = json.loads(ok(cli(*flags, "rubric", "show", "faithfulness", "--json")).stdout)
    listed = {e["name"]: e for e in json.loads(ok(cli(*flags, "rubric", "list", "--json")).stdout)}
    assert listed["faithfulness"]["version"] == data["version"]
    return str(data["version"])


def test_shadowing_rubrics_dir_over_cwd_over_shipped(cli, tmp_path: Path) -> None:
    assert shown_version(cli) == "1.0.0"
    variant(tmp_path / "rubrics", version="2.0.0")
    assert shown_version(cli) == "2.0.0"
    variant(tmp_path / "mine", version="3.0.0")
    assert shown_version(cli, "--rubrics", str(tmp_path / "mine")) == "3.0.0"
    assert shown_version(cli) == "2.0.0"
