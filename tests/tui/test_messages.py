"""The app's own notices say what is true: how to close help, why a screenshot failed."""

from __future__ import annotations

import time
from pathlib import Path

from tests.tui.helpers import SIZE, MakeApp, screen_lines, settle
from tests.tui.test_calibration_screens import (  # the round under review, shared
    disputed_round,  # noqa: F401
    review_app,
    review_screen,
)
from tui_annotate.core.models import Round, Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.dialogs.help import HelpScreen


async def test_help_says_esc_closes_it(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("?")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert any("Esc closes this help" in line for line in screen_lines(app))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_a_failed_screenshot_says_why_and_where(make_app: MakeApp, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir[/]"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.deliver_screenshot(filename="shot.svg", path=str(missing))
        deadline = time.monotonic() + 10
        while not app._notifications and time.monotonic() < deadline:
            await pilot.pause(0.02)  # the file is written on a thread; poll for its notice
        messages = [n.message for n in app._notifications]
        assert len(messages) == 1, messages
        assert "not saved: No such file or directory" in messages[0], messages
        assert str(missing / "shot.svg") in messages[0], messages


async def test_a_saved_screenshot_names_its_path_literally(
    make_app: MakeApp, tmp_path: Path
) -> None:
    folder = tmp_path / "shots[/]"
    folder.mkdir(parents=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.deliver_screenshot(filename="shot.svg", path=str(folder))
        deadline = time.monotonic() + 10
        while not app._notifications and time.monotonic() < deadline:
            await pilot.pause(0.02)
        messages = [n.message for n in app._notifications]
        assert messages == [f"Saved the screenshot to {folder / 'shot.svg'}"], messages
        assert (folder / "shot.svg").is_file()


def test_the_results_screen_counts_one_as_one() -> None:
    from tui_annotate.core.results.round import RoundResult
    from tui_annotate.tui.screens.results import header, sample_line

    one = {
        "round": 1,
        "units": 1,
        "items": 1,
        "annotators": ["a"],
        "rubric": "r",
        "bootstrap": {"replicates": 1, "seed": 0, "undefined": 0},
    }
    line = sample_line(RoundResult.from_json(one))
    assert line.startswith("1 pairable unit of 1 item · 1 annotator · bootstrap 1 replicate,"), line
    assert "1 annotator · 1 item" in header(RoundResult.from_json(one)).plain
    many = sample_line(
        RoundResult.from_json({**one, "units": 2, "items": 3, "annotators": ["a", "b"]})
    )
    assert many.startswith("2 pairable units of 3 items · 2 annotators"), many


async def test_review_done_counts_one_golden_label_as_one(
    sample_repo: Repository,
    faithfulness: Rubric,
    disputed_round: Round,  # noqa: F811
) -> None:
    app = review_app(sample_repo, faithfulness, disputed_round)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = review_screen(app)
        await pilot.press("4", *["n"] * (len(screen.items) - 1))
        await pilot.pause()
        assert screen.done
        text = "\n".join(screen_lines(app))
        assert "1 golden label set in this session" in text, text
