"""On a narrow terminal, `status` and `rubric list` fold long names onto more lines, never cut them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.conftest import SAMPLE, load_shipped
from tests.e2e.conftest import TIMEOUT
from tests.e2e.ptyapp import PtyApp
from tui_annotate.core import ingest, snapshot
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository

LONG = "annotator-with-a-rather-long-name-" + "y" * 30
STYLE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen_text(argv: list[str], cols: int) -> str:
    with PtyApp([sys.executable, "-m", "tui_annotate", *argv], cols=cols, rows=40) as app:
        assert app.wait_exit(TIMEOUT) == 0, app.text()
        return STYLE.sub("", app.text())


def column(text: str, index: int) -> str:
    """The cells of table column INDEX (1-based between the │ rules), joined top to bottom."""
    cells = [line.split("│") for line in text.splitlines()]
    return "".join(parts[index].strip() for parts in cells if len(parts) > index + 1)


def test_status_at_80_columns_folds_a_long_name(tmp_path: Path) -> None:
    db = tmp_path / "annotations.db"
    rubric = load_shipped("faithfulness")
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
        snapshot.register(repo, rubric)
        session = AnnotationSession(repo, rubric, LONG)
        session.start()
        session.rate(3)
    text = screen_text(["--db", str(db), "status"], 80)
    assert "…" not in text, text
    assert LONG in column(text, 2), text  # whole, over several lines
    assert "faithfulness" in column(text, 1), text  # a rubric name is never split
    assert max(len(line) for line in text.splitlines()) <= 80, text


def test_rubric_list_at_60_columns_keeps_names_whole_and_aligned(tmp_path: Path) -> None:
    folder = tmp_path / "rubrics"
    folder.mkdir()
    name = "a-rubric-named-at-length"
    source = Path(load_shipped("safety").path).read_text("utf-8")
    text = source.replace('name = "safety"', f'name = "{name}"', 1)
    (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    text = screen_text(["--rubrics", str(folder), "rubric", "list"], 60)
    assert "…" not in text, text
    starts = {}
    for rubric in (name, "faithfulness", "helpfulness", "safety"):
        found = re.search(rf"^{rubric}\s+1\.0\.0\s", text, re.M)
        assert found, text
        starts[rubric] = found.group().index("1.0.0")
    assert len(set(starts.values())) == 1, text  # one version column
