"""`decide` on a real database: what it refuses before the screen opens, and that the screen
shows the numbers `scorecard --json` prints, read on the worker's own connection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from textual.widgets import OptionList

from tests.cli.conftest import WIDE, Run, bad, ok
from tests.cli.test_decide_commands import add_version, settings
from tests.tui.helpers import screen_lines
from tui_annotate.cli.context import Context
from tui_annotate.cli.decide import decide_app
from tui_annotate.tui.screens.decide_case import DecideCaseScreen
from tui_annotate.tui.screens.decide_tabs import DecideScreen


@pytest.fixture
def cli(db_path: Path) -> Run:
    """cli(args…): `tui-annotate --db <tmp db> args…` in-process (as tests/cli's fixture)."""
    runner = CliRunner(env=WIDE)

    def run(*args: str) -> Result:
        from tui_annotate.cli import main

        return runner.invoke(main, ["--db", str(db_path), *args])

    return run


HOSTILE = "[reverse]shouting[/reverse] \x1b[1;31mred\x1b[0m \u202eevil"


def project(cli: Run, db: Path) -> None:
    """Prompt "support" in 1.0.0 and 1.1.0 over 40 cases; case-5 regresses with a hostile comment."""
    add_version(cli, db, "support", "1.0.0", [5 if k % 4 else 2 for k in range(40)])
    add_version(
        cli,
        db,
        "support",
        "1.1.0",
        [2 if k == 5 else (5 if k % 3 else 2) for k in range(40)],
        tags=lambda k, s: ("hallucination",) if s < 4 else (),
        comment=lambda k, s: HOSTILE if k == 5 else "",
    )


def test_an_unknown_prompt_is_refused_naming_the_prompts(cli: Run, db_path: Path) -> None:
    project(cli, db_path)
    result = bad(cli("decide", "--prompt", "nope"))
    assert "no prompt 'nope'" in result.stderr and "'support'" in result.stderr


def test_an_unknown_rubric_is_refused_naming_the_rubrics(cli: Run, db_path: Path) -> None:
    project(cli, db_path)
    result = bad(cli("decide", "--prompt", "support", "--rubric", "nope"))
    assert "no rubric named 'nope'" in result.stderr and "faithfulness" in result.stderr


def test_decide_is_lead_only_like_export(cli: Run, db_path: Path, tmp_path: Path) -> None:
    project(cli, db_path)
    settings(tmp_path, 'leads = ["somebody-else"]\n')
    result = bad(cli("decide", "--prompt", "support"))
    assert "'decide' is for the project's leads" in result.stderr
    # export refuses the same way: one access rule.
    assert "is for the project's leads" in bad(cli("export", "--rubric", "faithfulness")).stderr


async def test_the_screen_shows_what_scorecard_prints(cli: Run, db_path: Path) -> None:
    project(cli, db_path)
    printed = json.loads(ok(cli("scorecard", "--prompt", "support", "--json")).stdout)
    app = decide_app(Context(str(db_path), None), db_path, "support")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = "\n".join(screen_lines(app))
        for version in printed["versions"]:
            m = version["metrics"]["faithfulness"]
            lo, hi = m["ci"]
            expected = f"{m['pass_rate']:.3f} [{lo:.3f}, {hi:.3f}] {m['pass']}/{m['n']}"
            assert expected in shown, expected
        # The regressed case, its comment shown literally (escape and bidi made visible).
        await pilot.press("2")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DecideScreen)
        cases = [c.case for _, c in screen.regressed]
        assert "case-5" in cases
        screen.query_one("#regressed", OptionList).highlighted = cases.index("case-5")
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DecideCaseScreen)
        shown = "\n".join(screen_lines(app))
        assert "[reverse]shouting[/reverse] ␛[1;31mred␛[0m <U+202E>evil" in shown
        assert "support 1.1.0: answer 5" in shown
