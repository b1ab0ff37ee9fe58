"""One rubric validation: a `name` that differs from the file name fails check, list, show and annotate alike.

Before, `rubric check` and `rubric list` passed such a file, and `show` and
`annotate` refused it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, ok
from tests.cli.test_errors import _no_app  # noqa: F401 (autouse: a regression can't open the app)
from tests.cli.test_rubric_cmd import FAITHFULNESS
from tests.conftest import SAMPLE

MESSAGE = "field 'name': is 'faithfulness' but the file is named tone.toml; they must match"


@pytest.fixture
def misnamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """./rubrics/tone.toml holding the faithfulness rubric, name and all."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "rubrics"
    folder.mkdir()
    path = folder / "tone.toml"
    path.write_text(FAITHFULNESS, encoding="utf-8")
    return path


def where(path: Path) -> str:
    """FILE:LINE of the name field in PATH."""
    line = next(
        n
        for n, text in enumerate(path.read_text("utf-8").splitlines(), 1)
        if text.startswith("name =")
    )
    return f"{path}:{line}: "


def test_check_refuses_it(cli: Run, misnamed: Path) -> None:
    message = bad(cli("rubric", "check", str(misnamed))).stderr
    assert where(misnamed) + MESSAGE in message, message


def test_list_marks_it_invalid(cli: Run, misnamed: Path) -> None:
    entries = {e["name"]: e for e in json.loads(ok(cli("rubric", "list", "--json")).stdout)}
    assert MESSAGE in (entries["tone"]["error"] or ""), entries["tone"]
    assert entries["faithfulness"]["error"] is None  # the shipped one is still found


def test_show_refuses_it_with_the_same_message(cli: Run, misnamed: Path) -> None:
    message = bad(cli("rubric", "show", "tone")).stderr
    assert where(misnamed) + MESSAGE in message, message


def test_annotate_refuses_it_with_the_same_message(cli: Run, misnamed: Path) -> None:
    ok(cli("import", str(SAMPLE)))
    message = bad(cli("annotate", "--rubric", "tone", "--annotator", "ana")).stderr
    assert where(misnamed) + MESSAGE in message, message


def test_check_by_path_with_a_matching_name_passes(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "faithfulness.toml"
    path.write_text(FAITHFULNESS, encoding="utf-8")
    assert f"ok: {path}" in ok(cli("rubric", "check", str(path))).stdout
