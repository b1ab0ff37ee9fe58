"""Start-up stays lean: the command line loads one command's module, the app only what its
first screen needs, and `--help` still lists every command with its own help.

Start-up time itself is a benchmark (bench/startup.py prints it against a bare
Textual app); these tests pin down what keeps it low, in fresh interpreters.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.ptyapp import PtyApp
from tests.tui.helpers import open_app, settle
from tests.tui.test_round_pilot import annotate_round
from tui_annotate.cli.group import COMMANDS, load
from tui_annotate.core import calibration
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

#: Never needed to show the first item: the judge's client and maths, the agreement and
#: deciding statistics, Markdown and syntax highlighting (the output's Markdown view
#: loads on first use), the editor and tables of other screens.
HEAVY = (
    "numpy",
    "scipy",
    "openai",
    "krippendorff",
    "pygments",
    "markdown_it",
    "rich.markdown",
    "rich.syntax",
    "textual.widgets._markdown",
    "textual.widgets._text_area",
    "textual.widgets._data_table",
    "tui_annotate.core.judge",
    "tui_annotate.core.agreement",
    "tui_annotate.core.decide",
    "tui_annotate.core.export",
    "tui_annotate.core.ingest",
    "tui_annotate.tui.screens.results",
    "tui_annotate.tui.dialogs",
)


#: The [scorecard] settings (tui-annotate.toml is read at start): plain dataclasses, no maths.
SETTINGS_ONLY = {"tui_annotate.core.decide", "tui_annotate.core.decide.config"}


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    modules = modules - SETTINGS_ONLY
    return sorted(p for p in prefixes if any(m == p or m.startswith(p + ".") for m in modules))


def test_help_lists_every_command_with_its_own_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui_annotate", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    listing = done.stdout.split("Commands:", 1)[1]
    for name in COMMANDS:
        first_words = " ".join(load(name).get_short_help_str(limit=200).split()[:4])
        line = re.search(rf"^\s+{re.escape(name)}\s+(.*)$", listing, re.MULTILINE)
        assert line is not None, f"{name} is not listed"
        assert line.group(1).startswith(first_words), f"{name}: {line.group(1)!r}"


def test_a_command_loads_its_own_module_and_no_other() -> None:
    code = (
        "import json, sys\n"
        "from tui_annotate.cli import main\n"
        "try:\n    main(['keys', '--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('tui_annotate.cli.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    commands = {f"tui_annotate.cli.{target.partition(':')[0]}" for target in COMMANDS.values()}
    assert set(json.loads(done.stdout.splitlines()[-1])) & commands == {"tui_annotate.cli.keys"}


def test_the_app_reaches_its_first_item_without_heavy_modules(
    sample_repo: Repository, tmp_path: Path
) -> None:
    sample_repo.close()  # the app opens the file itself
    modules_out = tmp_path / "modules.json"
    argv = [
        sys.executable,
        str(ROOT / "bench" / "_app_probe.py"),  # lists sys.modules when the process ends
        str(modules_out),
        str(tmp_path / "stderr.log"),
        "--db",
        str(sample_repo.path),
        "annotate",
        "--annotator",
        "probe",
        "--rubric",
        "faithfulness",
    ]
    with PtyApp(argv, cols=120, rows=40) as app:
        app.wait_for_item(60)
        app.send("q")
        assert app.wait_exit(60) == 0
    modules = set(json.loads(modules_out.read_text("utf-8")))
    # Not vacuous: the app did run, and the watch list can see a module that is there.
    assert {"textual.app", "tui_annotate.tui.annotate_app"} <= modules
    assert loaded(modules, ("textual.widgets._footer",)) == ["textual.widgets._footer"]
    assert loaded(modules, HEAVY) == []
    cli = {m for m in modules if m.startswith("tui_annotate.cli.")}
    commands = {f"tui_annotate.cli.{target.partition(':')[0]}" for target in COMMANDS.values()}
    assert cli & commands == {"tui_annotate.cli.annotate"}


def run_python(code: str) -> list[object]:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_the_first_command_freezes_start_up_once_and_leaves_the_collector_on() -> None:
    code = (
        "import gc, json\n"
        "from tui_annotate.cli import main\n"
        "def run():\n"
        "    main(['keys', '--help'], standalone_mode=False)\n"
        "    return [gc.isenabled(), gc.get_freeze_count()]\n"
        "before = gc.get_freeze_count()\n"
        "first = run()\n"
        "junk = [[] for _ in range(1000)]\n"
        "second = run()\n"
        "print(json.dumps([before, *first, *second]))"
    )
    before, on_after_first, frozen_first, on_after_second, frozen_second = run_python(code)
    assert on_after_first and on_after_second
    assert frozen_first > before  # start-up's objects frozen out of the collector's sight...
    assert frozen_second == frozen_first  # ...once: a second command in the process freezes none


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    code = (
        "import gc, json\n"
        "from tui_annotate.cli import main\n"
        "gc.disable()\n"
        "main(['keys', '--help'], standalone_mode=False)\n"
        "print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))"
    )
    assert run_python(code) == [False, 0]


async def test_the_first_frame_hook_runs_once_after_the_first_paint(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    app = open_app(sample_repo, faithfulness)
    calls: list[bool] = []
    # What it sees when called: the item's id on the screen already.
    app.after_first_frame = lambda: calls.append(app.session.current_item() is not None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert calls == [True]
        await pilot.pause(0.1)
    assert calls == [True]


async def test_the_first_frame_hook_runs_when_round_results_open_first(
    sample_repo: Repository, faithfulness: Rubric
) -> None:
    from tui_annotate.tui.screens.results import ResultsScreen

    round_ = calibration.start_round(
        sample_repo, faithfulness, ["ana", "ben"], items=3, seed=4, created_by="lead"
    )
    for name in ("ana", "ben"):
        await annotate_round(sample_repo, faithfulness, name, lambda _n, item: str(item % 5 + 1))
    calibration.close_round(sample_repo, round_, faithfulness, bootstrap=0)
    app = open_app(sample_repo, faithfulness, "ana")
    calls: list[str] = []
    app.after_first_frame = lambda: calls.append(type(app.screen).__name__)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen)
        assert calls == ["ResultsScreen"]
