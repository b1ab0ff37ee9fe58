"""Refusals that protect the user's data or point at their mistake: newer databases, bad names, bad config."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import types
from pathlib import Path

import pytest

from tests.cli.conftest import bad, item_count, ok, write_jsonl
from tests.conftest import SAMPLE
from tui_annotate.store.repository import Repository


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def newer_db(db_path: Path) -> Path:
    """A migrated project database stamped by a future tui-annotate."""
    with Repository.open(db_path):
        pass
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    return db_path


class AppOpened(AssertionError):
    pass


@pytest.fixture(autouse=True)
def _no_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a refusal below regressed, the app must not try to take over the test's terminal.

    The stand-in module replaces only the Textual app: the CLI's own checks (rubric lookup,
    snapshot registration) before it still run for real.
    """

    class AnnotateApp:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AppOpened("the annotation app was opened")

    fake = types.ModuleType("tui_annotate.tui.annotate_app")
    fake.AnnotateApp = AnnotateApp  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_annotate.tui.annotate_app", fake)


NEWER_COMMANDS = {
    "status": ["status"],
    "status-json": ["status", "--json"],
    "import": ["import", str(SAMPLE)],
    "export": ["export", "--rubric", "faithfulness"],
    "export-to-file": ["export", "--rubric", "faithfulness", "-o", "out.csv"],
}


@pytest.mark.parametrize("case", list(NEWER_COMMANDS))
def test_a_newer_database_is_refused_and_left_untouched(
    case: str, cli, newer_db: Path, tmp_path: Path
) -> None:
    before = sha256(newer_db)
    result = bad(cli(*NEWER_COMMANDS[case]))
    assert "newer" in result.stderr.lower()
    assert str(newer_db) in result.stderr or newer_db.name in result.stderr
    assert sha256(newer_db) == before
    conn = sqlite3.connect(f"file:{newer_db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 999
    finally:
        conn.close()
    assert not (tmp_path / "out.csv").exists()


def test_annotate_without_a_database(cli, db_path: Path) -> None:
    result = bad(cli("annotate", "--annotator", "ana", "--rubric", "faithfulness"))
    assert db_path.name in result.stderr
    assert not db_path.exists(), "annotate must not create an empty project"


@pytest.mark.parametrize("name", ["judge:x", "judge:gpt-4o", "   "])
def test_annotate_refuses_judge_and_blank_names(cli, name: str) -> None:
    ok(cli("import", str(SAMPLE)))  # a real project, so only the name can be at fault
    result = bad(cli("annotate", "--annotator", name, "--rubric", "faithfulness"))
    assert "annotator" in result.stderr


def test_the_guard_sees_a_valid_annotate_reach_the_app(cli) -> None:
    """Proves the refusals above are real: the same command with good arguments gets to the app."""
    ok(cli("import", str(SAMPLE)))
    result = cli("annotate", "--annotator", "ana", "--rubric", "faithfulness")
    assert isinstance(result.exception, AppOpened), result.exception


def test_annotate_unknown_rubric(cli) -> None:
    ok(cli("import", str(SAMPLE)))
    result = bad(cli("annotate", "--annotator", "ana", "--rubric", "nope"))
    assert "nope" in result.stderr


def test_env_var_selects_the_database(cli, tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.db"
    env = {"TUI_ANNOTATE_DB": str(chosen)}
    ok(cli("import", str(SAMPLE), db=None, env=env))
    assert item_count(chosen) == 40
    assert not (tmp_path / "annotations.db").exists()
    result = ok(cli("status", "--json", db=None, env=env))
    assert '"items": 40' in result.stdout
    bad(cli("status", db=None))  # without it: the default ./annotations.db, which doesn't exist


def test_db_flag_beats_the_env_var(cli, tmp_path: Path) -> None:
    flag, env_db = tmp_path / "flag.db", tmp_path / "env.db"
    ok(cli("import", str(SAMPLE), db=flag, env={"TUI_ANNOTATE_DB": str(env_db)}))
    assert item_count(flag) == 40
    assert not env_db.exists()


def test_config_file_selects_the_database(cli, tmp_path: Path) -> None:
    (tmp_path / "tui-annotate.toml").write_text('db = "from-config.db"\n', encoding="utf-8")
    ok(cli("import", str(SAMPLE), db=None))
    assert item_count(tmp_path / "from-config.db") == 40


BAD_CONFIG = {
    # case: (file text, field named or None)
    "unknown-setting": ('colour = "blue"\n', "colour"),
    "overlap-not-a-number": ('overlap = "many"\n', "overlap"),
    "overlap-below-one": ("overlap = 0\n", "overlap"),
    "bool-not-a-bool": ('show_prompt_version = "perhaps"\n', "show_prompt_version"),
    "not-toml": ("db = \n", None),
}


@pytest.mark.parametrize("case", list(BAD_CONFIG))
def test_a_bad_config_file_is_named(case: str, cli, tmp_path: Path, db_path: Path) -> None:
    text, field = BAD_CONFIG[case]
    (tmp_path / "tui-annotate.toml").write_text(text, encoding="utf-8")
    write_jsonl(tmp_path / "items.jsonl", [{"output": "x"}])
    result = bad(cli("import", "items.jsonl"))
    assert "tui-annotate.toml" in result.stderr
    if field is not None:
        assert field in result.stderr
    assert item_count(db_path) == 0


def test_a_bad_env_setting_is_named(cli) -> None:
    result = bad(cli("status", env={"TUI_ANNOTATE_OVERLAP": "lots"}))
    assert "TUI_ANNOTATE_OVERLAP" in result.stderr


def test_db_in_a_missing_directory(cli, tmp_path: Path) -> None:
    result = bad(cli("import", str(SAMPLE), db=tmp_path / "no" / "such" / "x.db"))
    assert "x.db" in result.stderr or "no/such" in result.stderr


def test_db_that_is_not_a_database(cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all, just some text\n" * 200)
    before = sha256(junk)
    for args in (["status"], ["import", str(SAMPLE)], ["export", "--rubric", "faithfulness"]):
        result = bad(cli(*args, db=junk))
        assert "junk.db" in result.stderr
    assert sha256(junk) == before
