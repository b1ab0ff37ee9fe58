"""`tui-annotate status`: items, labels per rubric and annotator, and what is left unlabeled."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import bad, ok
from tests.conftest import SAMPLE, load_shipped
from tui_annotate.core import snapshot
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository


def status_json(cli, *flags: str) -> dict[str, Any]:
    return json.loads(ok(cli(*flags, "status", "--json")).stdout)


def row_numbers(stdout: str, *words: str) -> list[int]:
    """The numbers on the one status table row holding every word (rated, skipped, flagged, left)."""
    lines = [
        line
        for line in stdout.splitlines()
        if all(re.search(rf"(?<![\w:-]){re.escape(w)}(?![\w-])", line) for w in words)
    ]
    assert len(lines) == 1, (words, stdout)
    return [int(n) for n in re.findall(r"(?<![\w.:-])\d+(?![\w.-])", lines[0])]


@pytest.fixture
def labeled(cli, db_path: Path) -> None:
    """The sample imported through the CLI, then labels made as the app makes them.

    faithfulness: ana rates 3 (flagging one of them) and skips 1; bob rates 2 and undoes 1;
    a judge rates 1 more item. helpfulness: ana rates 1. safety: nobody.
    """
    ok(cli("import", str(SAMPLE)))
    faithfulness, helpfulness = load_shipped("faithfulness"), load_shipped("helpfulness")
    with Repository.open(db_path) as repo:
        snapshot.register(repo, faithfulness)
        snapshot.register(repo, helpfulness)
        ana = AnnotationSession(repo, faithfulness, "ana")
        ana.start()
        ana.rate(5)
        ana.rate(3)
        assert ana.toggle_flag()
        ana.rate(2)
        ana.skip()
        bob = AnnotationSession(repo, faithfulness, "bob")
        bob.start()
        bob.rate(4)
        bob.rate(1)
        assert bob.undo()
        judge = AnnotationSession(repo, faithfulness, "judge:m")
        judge.start()
        judge.rate(4)
        ana_help = AnnotationSession(repo, helpfulness, "ana")
        ana_help.start()
        ana_help.rate(1)


def test_status_after_import(cli) -> None:
    ok(cli("import", str(SAMPLE)))
    data = status_json(cli)
    assert data["items"] == 40
    assert set(data["rubrics"]) >= {"faithfulness", "helpfulness", "safety"}
    for entry in data["rubrics"].values():
        assert entry["annotators"] == {}
        assert entry["unlabeled_items"] == 40
    text = ok(cli("status")).stdout
    assert re.search(r"\b40 items\b", text), text
    assert "faithfulness" in text


@pytest.mark.usefixtures("labeled")
def test_status_json_counts_per_rubric_and_annotator(cli) -> None:
    data = status_json(cli)
    assert data["items"] == 40
    faith = data["rubrics"]["faithfulness"]
    # Held: each session's current item; bob's also the rating he undid (his to re-rate).
    assert faith["annotators"]["ana"] == {
        "rated": 3,
        "skipped": 1,
        "flagged": 1,
        "held": 1,
        "lapsed": 0,
    }
    assert faith["annotators"]["bob"] == {
        "rated": 1,
        "skipped": 0,
        "flagged": 0,
        "held": 2,
        "lapsed": 0,
    }
    assert faith["annotators"]["judge:m"]["rated"] == 1
    # Items left for people: ana's 3 and bob's 1 are labeled; the judge's and the skip are not.
    assert faith["unlabeled_items"] == 40 - 4
    helpful = data["rubrics"]["helpfulness"]
    assert helpful["annotators"] == {
        "ana": {"rated": 1, "skipped": 0, "flagged": 0, "held": 1, "lapsed": 0}
    }
    assert helpful["unlabeled_items"] == 39
    assert data["rubrics"]["safety"]["unlabeled_items"] == 40
    assert data["rubrics"]["safety"]["annotators"] == {}


@pytest.mark.usefixtures("labeled")
def test_status_table_shows_the_same_counts(cli) -> None:
    text = ok(cli("status")).stdout
    assert re.search(r"\b40 items\b", text)
    assert row_numbers(text, "faithfulness", "ana") == [3, 1, 1, 1, 0, 36]
    assert row_numbers(text, "bob") == [1, 0, 0, 2, 0]
    assert row_numbers(text, "helpfulness", "ana") == [1, 0, 0, 1, 0, 39]
    assert row_numbers(text, "safety") == [0, 0, 0, 0, 0, 40]


def test_status_follows_the_db_flag(cli, tmp_path: Path) -> None:
    ok(cli("import", str(SAMPLE), db=tmp_path / "elsewhere.db"))
    data = status_json(cli, "--db", str(tmp_path / "elsewhere.db"))
    assert data["items"] == 40


def test_status_on_a_missing_database(cli, db_path: Path) -> None:
    result = bad(cli("status"))
    assert str(db_path) in result.stderr or db_path.name in result.stderr
    assert not db_path.exists(), "status must not create a database"
    bad(cli("status", "--json"))
    assert not db_path.exists()


def test_status_shows_annotator_names_literally(cli, db_path: Path) -> None:
    """Names are data: Rich markup in an annotator name is printed, not applied (nor crashes status)."""
    ok(cli("import", str(SAMPLE)))
    rubric = load_shipped("faithfulness")
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        for name in ("[bold]eve[/]", "mal[/]"):
            session = AnnotationSession(repo, rubric, name)
            session.start()
            session.rate(4)
    result = ok(cli("status"))
    assert "[bold]eve[/]" in result.stdout
    assert "mal[/]" in result.stdout


@pytest.mark.parametrize("name", ["proj#1.db", "p%41.db", "what?.db"])
def test_status_and_export_with_uri_special_characters_in_the_path(
    cli, tmp_path: Path, name: str
) -> None:
    """The read-only open must treat the path as a path, not as part of a URI."""
    db = tmp_path / name
    ok(cli("import", str(SAMPLE), db=db))
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("status", "--json", db=db)
    ok(result)
    assert json.loads(result.stdout)["items"] == 40
    ok(cli("export", "--rubric", "faithfulness", db=db))
    after = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(name))
    assert after == [p for p in before if not p.startswith(name)], "a stray file was created"


def test_status_shows_lapsed_leases(cli, db_path: Path) -> None:
    """An item held by an annotator who vanished shows as lapsed until someone takes it."""
    ok(cli("import", str(SAMPLE)))
    faithfulness = load_shipped("faithfulness")
    with Repository.open(db_path) as gone, Repository.open(db_path) as here:
        snapshot.register(here, faithfulness)
        gone.lease_seconds = -1  # vanished the moment she took it
        AnnotationSession(gone, faithfulness, "ana").start()
        AnnotationSession(here, faithfulness, "bob").start()
    faith = status_json(cli)["rubrics"]["faithfulness"]["annotators"]
    assert (faith["ana"]["held"], faith["ana"]["lapsed"]) == (0, 1)
    assert (faith["bob"]["held"], faith["bob"]["lapsed"]) == (1, 0)
    text = ok(cli("status")).stdout
    assert row_numbers(text, "ana") == [0, 0, 0, 0, 1, 40]
    assert "lapsed: held by an annotator whose app stopped answering" in text
