"""Fixtures shared by every test: a fresh project database in a temp dir, the shipped rubrics."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_annotate.core import ingest, snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
from tui_annotate.store.repository import Repository

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tui_annotate" / "data" / "sample_items.jsonl"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own directory with no TUI_ANNOTATE_* settings leaking in,
    and no personal keymap (~/.config/tui-annotate/keymap.toml) either."""
    for key in list(os.environ):
        if key.startswith("TUI_ANNOTATE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "annotations.db"


@pytest.fixture
def repo(db_path: Path) -> Iterator[Repository]:
    r = Repository.open(db_path)
    yield r
    r.close()


def load_shipped(name: str) -> Rubric:
    return find_rubric(name, [shipped_rubrics_dir()])


@pytest.fixture
def faithfulness() -> Rubric:
    return load_shipped("faithfulness")


@pytest.fixture
def sample_repo(repo: Repository, faithfulness: Rubric) -> Repository:
    """The bundled 40 sample items, with the faithfulness rubric registered."""
    ingest.import_items(repo, SAMPLE)
    snapshot.register(repo, faithfulness)
    return repo
