"""`pairwise annotate` follows annotate's rules (login, named annotators, the calibration
gate) and `pairwise start` is the lead's: each refusal before the app opens."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, ok
from tests.pairwise_data import PROMPT, make_project
from tui_annotate import access
from tui_annotate.config import CONFIG_FILE

ME = access.login_name()


class AppOpened(Exception):
    pass


@pytest.fixture(autouse=True)
def no_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app must not open in these tests: opening it is the failure."""

    def make_pairwise_app(*args: object, **kwargs: object) -> None:
        raise AppOpened("the pairwise app was opened")

    fake = types.ModuleType("tui_annotate.tui.pairwise_app")
    fake.make_pairwise_app = make_pairwise_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_annotate.tui.pairwise_app", fake)


def project(tmp_path: Path, text: str) -> None:
    (tmp_path / CONFIG_FILE).write_text(text, "utf-8")


def start(cli: Run, *more: str) -> None:
    ok(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0,1.1.0", *more))


def test_a_task_for_named_annotators_refuses_anyone_else(cli: Run, db_path: Path) -> None:
    make_project(db_path, 4)
    start(cli, "--annotators", "ana,ben")
    refused = bad(cli("pairwise", "annotate", "1", "--annotator", "cy"))
    assert "pairwise task 1 is for ana, ben; you are 'cy'" in refused.stderr


def test_annotators_from_login_refuses_another_name(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    make_project(db_path, 4)
    start(cli)
    project(tmp_path, "annotators_from_login = true\n")
    refused = bad(cli("pairwise", "annotate", "--annotator", "someone-else"))
    assert f"you work as your login, {ME!r}" in refused.stderr


def test_a_task_with_a_rubric_is_behind_its_calibration_gate(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    make_project(db_path, 4)
    start(cli, "--rubric", "faithfulness")
    project(tmp_path, "require_calibration = true\n")
    refused = bad(cli("pairwise", "annotate", "--annotator", "ana"), code=1)
    assert "faithfulness" in refused.stderr


def test_pairwise_start_is_for_the_leads(cli: Run, db_path: Path, tmp_path: Path) -> None:
    make_project(db_path, 4)
    project(tmp_path, 'leads = ["ana"]\n')
    refused = bad(cli("pairwise", "start", "--prompt", PROMPT, "--versions", "1.0.0,1.1.0"))
    assert "'pairwise start' is for the project's leads (ana" in refused.stderr
