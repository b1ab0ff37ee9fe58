"""Fixtures for pilot tests: the app built the way the CLI builds it, on the sample project."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.helpers import ANNOTATOR, MakeApp, open_app
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.annotate_app import AnnotateApp


@pytest.fixture
def make_app(sample_repo: Repository, faithfulness: Rubric) -> MakeApp:
    """The app on the sample project for "ana", built by the factory (repo=… for another connection)."""

    def make(repo: Repository | None = None, **kwargs: Any) -> AnnotateApp:
        kwargs.setdefault("rubric", faithfulness)
        kwargs.setdefault("annotator", ANNOTATOR)
        return open_app(repo or sample_repo, **kwargs)

    return make
