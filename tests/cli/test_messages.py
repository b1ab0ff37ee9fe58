"""Messages that say what is true: counts in the singular, who labelled what, whole names."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from tests.cli.conftest import Run, bad, ok, write_jsonl
from tests.conftest import SAMPLE, load_shipped
from tui_annotate.cli import main
from tui_annotate.core import snapshot
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository

ONE = {"id": "only", "input": "q", "output": "a"}


def test_one_item_is_one_item(cli: Run, tmp_path: Path) -> None:
    result = ok(cli("import", str(write_jsonl(tmp_path / "one.jsonl", [ONE]))))
    assert "imported 1 item into" in result.stdout, result.stdout
    again = ok(cli("import", str(tmp_path / "one.jsonl")))
    assert "the only item is already in" in again.stdout, again.stdout
    text = ok(cli("status")).stdout
    assert re.search(r": 1 item\b", text) and "1 items" not in text, text


def test_one_label_and_one_annotator(cli: Run, tmp_path: Path) -> None:
    ok(
        cli(
            "import",
            str(write_jsonl(tmp_path / "two.jsonl", [ONE, {**ONE, "id": "b", "output": "b"}])),
        )
    )
    labels = write_jsonl(tmp_path / "l.jsonl", [{"item_id": "only", "annotator": "x", "score": 4}])
    result = ok(cli("import-labels", str(labels), "--rubric", "faithfulness"))
    assert "imported 1 label into" in result.stdout, result.stdout
    text = ok(cli("agreement", "--rubric", "faithfulness", "--bootstrap", "0")).stdout
    assert "1 annotator" in text and "1 annotators" not in text, text
    assert "0 pairable units" in text, text


def test_export_of_one_item(cli: Run, tmp_path: Path) -> None:
    ok(cli("import", str(write_jsonl(tmp_path / "one.jsonl", [ONE]))))
    labels = write_jsonl(tmp_path / "l.jsonl", [{"item_id": "only", "annotator": "x", "score": 4}])
    ok(cli("import-labels", str(labels), "--rubric", "faithfulness"))
    result = ok(cli("export", "--rubric", "faithfulness", "-o", str(tmp_path / "out.csv")))
    assert "exported 1 item to" in result.stderr, result.stderr


def test_calibrate_start_with_nothing_to_sample_says_who_labelled_what(
    cli: Run, db_path: Path
) -> None:
    ok(cli("import", str(SAMPLE)))
    rubric = load_shipped("faithfulness")
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        ana = AnnotationSession(repo, rubric, "ana", overlap=2)
        ana.start()
        while not ana.done:
            ana.rate(4)
        bob = AnnotationSession(repo, rubric, "bob", overlap=2)
        bob.start()
        for _ in range(3):
            bob.rate(2)
    result = bad(cli("calibrate", "start", "--rubric", "faithfulness", "--annotators", "ana,bob"))
    message = " ".join(result.stderr.split())
    assert "of the 40 items" in message, message
    assert "ana has labelled 40, bob has labelled 3" in message, message
    assert "none of its annotators has labelled" in message, message


def test_calibrate_start_on_an_empty_project(cli: Run, tmp_path: Path, db_path: Path) -> None:
    with Repository.open(db_path):
        pass
    result = bad(cli("calibrate", "start", "--rubric", "faithfulness", "--annotators", "a,b"))
    assert "has no items yet" in result.stderr, result.stderr


LONG = "annotator-with-a-name-much-longer-than-any-terminal-column-" + "x" * 60


def test_status_piped_prints_whole_names(db_path: Path) -> None:
    """Piped, there is no terminal width to fit: a long name is printed whole, on one line."""
    rubric = load_shipped("faithfulness")
    runner = CliRunner(env={"COLUMNS": "60", "NO_COLOR": "1"})
    ok(runner.invoke(main, ["--db", str(db_path), "import", str(SAMPLE)]))
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        session = AnnotationSession(repo, rubric, LONG)
        session.start()
        session.rate(3)
    text = ok(runner.invoke(main, ["--db", str(db_path), "status"])).stdout
    row = [line for line in text.splitlines() if LONG in line]
    assert len(row) == 1, text
    assert "…" not in text, text
    assert re.findall(r"\d+", row[0].split(LONG, 1)[1])[:1] == ["1"], row  # rated 1
    before = json.loads(ok(runner.invoke(main, ["--db", str(db_path), "status", "--json"])).stdout)
    assert LONG in before["rubrics"]["faithfulness"]["annotators"]


def test_rubric_list_keeps_columns_aligned_with_a_long_name(tmp_path: Path) -> None:
    folder = tmp_path / "rubrics"
    folder.mkdir()
    long_name = "a-rubric-whose-name-is-far-longer-than-sixteen"
    source = (Path(load_shipped("safety").path)).read_text("utf-8")
    text = source.replace('name = "safety"', f'name = "{long_name}"', 1)
    (folder / f"{long_name}.toml").write_text(text, encoding="utf-8")
    runner = CliRunner(env={"COLUMNS": "60", "NO_COLOR": "1"})
    out = ok(runner.invoke(main, ["--rubrics", str(folder), "rubric", "list"])).stdout
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert set(rows) >= {long_name, "faithfulness", "safety"}, out
    columns = {name: line.index(" 1.0.0 ") for name, line in rows.items()}
    assert len(set(columns.values())) == 1, out  # every version starts in the same column
    assert all(line.rstrip().endswith(".toml)") for line in rows.values()), out


def test_the_readme_quickstart_points_at_the_sample_as_a_template(cli: Run) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    sample = "tui_annotate/data/sample_items.jsonl"
    assert f"tui-annotate import {sample}" in quickstart
    assert "template" in quickstart
    assert (Path(__file__).resolve().parents[2] / sample).resolve() == SAMPLE.resolve()
    assert "imported 40 items" in ok(cli("import", str(SAMPLE))).stdout


def test_json_output_escapes_c1_controls_and_keeps_the_value(cli: Run, db_path: Path) -> None:
    """JSON leaves U+009B (a one-character CSI) raw; --json writes it as \\u009b: same data."""
    name = "eve\x9b31m\u202e"
    ok(cli("import", str(SAMPLE)))
    rubric = load_shipped("faithfulness")
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        session = AnnotationSession(repo, rubric, name)
        session.start()
        session.rate(3)
    out = ok(cli("status", "--json")).stdout
    assert "\x9b" not in out and "\u202e" not in out
    assert "eve\\u009b31m\\u202e" in out
    assert name in json.loads(out)["rubrics"]["faithfulness"]["annotators"]
