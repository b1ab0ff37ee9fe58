"""Team projects: the login is the annotator, and only the named leads run the lead's commands.

The tests run as whoever runs them (root in CI): `access.login_name()` is
that account, read from the uid the way sshd's logins are, and the project
file names it, or names someone else, as a lead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, ok, write_jsonl
from tests.conftest import SAMPLE
from tui_annotate import access
from tui_annotate.config import CONFIG_FILE

ME = access.login_name()

#: Every lead-only command, with arguments that would otherwise get past click.
LEAD_COMMANDS: list[tuple[str, tuple[str, ...]]] = [
    ("import", ("import", str(SAMPLE))),
    ("import-labels", ("import-labels", "labels.jsonl", "--rubric", "faithfulness")),
    ("export", ("export", "--rubric", "faithfulness")),
    ("calibrate start", ("calibrate", "start", "--rubric", "faithfulness", "--annotators", "a,b")),
    ("calibrate close", ("calibrate", "close", "1")),
    ("calibrate review", ("calibrate", "review", "1")),
    ("calibrate adjudicate", ("calibrate", "adjudicate", "1", "x", "3")),
    ("judge", ("judge", "--rubric", "faithfulness", "--model", "m")),
    ("route", ("route", "--rubric", "faithfulness")),
    ("backup", ("backup", "copy.db")),
]


def project(tmp_path: Path, text: str) -> None:
    """Write the project file in the current directory (every test runs in its tmp_path)."""
    (tmp_path / CONFIG_FILE).write_text(text, "utf-8")


@pytest.mark.parametrize(("name", "args"), LEAD_COMMANDS, ids=[n for n, _ in LEAD_COMMANDS])
def test_lead_commands_refuse_others(
    name: str, args: tuple[str, ...], cli: Run, tmp_path: Path
) -> None:
    ok(cli("import", str(SAMPLE)))  # no leads named yet: anyone may
    project(tmp_path, 'leads = ["ana", "bo"]\n')
    before = (tmp_path / "annotations.db").read_bytes()
    result = bad(cli(*args))
    message = result.stderr
    assert f"'{name}' is for the project's leads (ana, bo" in message
    assert CONFIG_FILE in message
    assert f"you are logged in as {ME!r}" in message
    assert (tmp_path / "annotations.db").read_bytes() == before


def test_a_named_lead_runs_them(cli: Run, tmp_path: Path) -> None:
    project(tmp_path, f'leads = ["ana", "{ME}"]\n')
    ok(cli("import", str(SAMPLE)))
    out = ok(cli("export", "--rubric", "faithfulness")).stdout
    assert out.startswith("item_id,")


def test_everyone_else_still_annotates_and_reads(cli: Run, tmp_path: Path) -> None:
    ok(cli("import", str(SAMPLE)))
    project(tmp_path, 'leads = ["ana"]\n')
    assert '"items": 40' in ok(cli("status", "--json")).stdout
    ok(cli("rubric", "list"))


def test_an_environment_variable_cannot_make_a_lead(cli: Run, tmp_path: Path) -> None:
    project(tmp_path, 'leads = ["ana"]\n')
    bad(cli("import", str(SAMPLE), env={"TUI_ANNOTATE_LEADS": ME}))


def test_annotators_from_login_refuses_another_name(cli: Run, tmp_path: Path) -> None:
    ok(cli("import", str(SAMPLE)))
    project(tmp_path, "annotators_from_login = true\n")
    result = bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "someone-else"))
    assert "--annotator is turned off in this project" in result.stderr
    assert f"you work as your login, {ME!r}" in result.stderr
    # The environment can't turn it back on either.
    env = {"TUI_ANNOTATE_ANNOTATORS_FROM_LOGIN": "false"}
    bad(cli("annotate", "--rubric", "faithfulness", "--annotator", "someone-else", env=env))


def test_annotators_from_login_also_names_the_adjudicator(cli: Run, tmp_path: Path) -> None:
    project(tmp_path, "annotators_from_login = true\n")
    write_jsonl(tmp_path / "x.jsonl", [{"id": "x", "output": "o"}])
    ok(cli("import", str(tmp_path / "x.jsonl")))
    result = bad(cli("calibrate", "adjudicate", "1", "x", "3", "--adjudicator", "someone-else"))
    assert "--adjudicator is turned off in this project" in result.stderr


def test_login_name_comes_from_the_uid_not_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("USER", "spoofed")
    monkeypatch.setenv("LOGNAME", "spoofed")
    assert access.login_name() == ME != "spoofed"
