"""Fixtures for the end-to-end tests: the real CLI as a subprocess on a real pty."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.ptyapp import PtyApp

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("needs a POSIX pty", allow_module_level=True)

#: Generous: a loaded 2-core CI machine can take seconds to start Python and Textual.
TIMEOUT = 30.0

Spawn = Callable[..., PtyApp]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start `tui-annotate annotate` on a pty; every app started is killed and reaped at the end."""
    started: list[PtyApp] = []

    def start(db: Path, annotator: str, *extra: str, **kwargs: object) -> PtyApp:
        app = PtyApp.annotate(db, annotator, "faithfulness", *extra, **kwargs)
        started.append(app)
        return app

    yield start
    for app in started:
        app.close()
