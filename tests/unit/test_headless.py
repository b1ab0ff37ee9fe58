"""The core and the store never pull in UI, network or maths libraries at import time."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("textual", "rich", "openai", "numpy", "krippendorff")


def imported_after(statement: str, watch: tuple[str, ...]) -> list[str]:
    """Run STATEMENT in a fresh interpreter and return which of WATCH ended up in sys.modules."""
    code = (
        f"{statement}\n"
        "import json, sys\n"
        f"print(json.dumps(sorted(m for m in {watch!r} if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_watch_list_is_detectable() -> None:
    """Guard against a vacuous pass: importing rich in the child must show up."""
    assert imported_after("import rich", HEAVY) == ["rich"]


def test_core_alone_is_headless() -> None:
    statement = (
        "import tui_annotate.core.session, tui_annotate.core.ingest, tui_annotate.core.export,"
        " tui_annotate.core.rubric, tui_annotate.core.textsafe, tui_annotate.core.snapshot,"
        " tui_annotate.store.db, tui_annotate.config"
    )
    assert imported_after(statement, HEAVY) == []


def test_core_and_store_are_headless() -> None:
    statement = (
        "import tui_annotate.core.session, tui_annotate.core.ingest, tui_annotate.core.export,"
        " tui_annotate.core.rubric, tui_annotate.core.textsafe, tui_annotate.core.snapshot,"
        " tui_annotate.store.repository, tui_annotate.config"
    )
    assert imported_after(statement, HEAVY) == []


def test_cli_does_not_load_the_app_or_the_judge() -> None:
    watch = ("textual", "openai", "numpy", "krippendorff", "tui_annotate.tui.annotate_app")
    assert imported_after("import tui_annotate.cli", watch) == []
