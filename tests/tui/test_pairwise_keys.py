"""The pairwise screen's keys are action-table rows: bound, in help and palette, remappable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pairwise_data import PROMPT, make_project
from tests.tui.helpers import plain, screen_lines
from tests.tui.test_actions import bound_ids, check_keys_and_palette
from tui_annotate.config import KeyChoice, Settings
from tui_annotate.core.pairwise import tasks
from tui_annotate.errors import InputError
from tui_annotate.store.repository import Repository
from tui_annotate.tui.actions import PAIRWISE, TABLES
from tui_annotate.tui.pairwise_app import PairwiseApp, make_pairwise_app
from tui_annotate.tui.screens.pairwise import PairwiseHelp


def app_for(db: Path, settings: Settings) -> PairwiseApp:
    make_project(db, 4)
    repo = Repository.open(db)
    task_id, _ = tasks.start(repo, prompt=PROMPT, versions=["1.0.0", "1.1.0"], seed=2)
    task = tasks.find(repo, task_id)
    return make_pairwise_app(settings, repo=repo, task=task, annotator="ana", rubric=None)


def keymap(**pairs: str) -> Settings:
    return Settings(
        keymap=tuple(
            KeyChoice(f"pairwise.{a}", k, "tui-annotate.toml", "project") for a, k in pairs.items()
        )
    )


def test_the_pairwise_table_is_one_of_the_keymaps_tables() -> None:
    assert TABLES["pairwise"] is PAIRWISE
    assert [a.key for a in PAIRWISE] == [
        "1",
        "2",
        "0",
        "b",
        "c",
        "t",
        "u",
        "s",
        "question_mark",
        "q",
    ]


async def test_every_pairwise_action_has_its_key_and_a_palette_entry(db_path: Path) -> None:
    app = app_for(db_path, Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        check_keys_and_palette(app, PAIRWISE)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, PairwiseHelp)
        text = plain(app.screen.query_one("#pw-help"))
        for action in PAIRWISE:
            assert action.help in text, action.id


async def test_a_remapped_vote_key_votes_and_shows_everywhere(db_path: Path) -> None:
    app = app_for(db_path, keymap(tie="x", quit="ctrl+x"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert bound_ids(app)["pairwise.tie"] == {"x"}
        assert any("x: tie" in line for line in screen_lines(app))
        await pilot.press("0")  # the old key does nothing now
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = plain(app.screen.query_one("#pw-help"))
        assert "x" in text.split("A tie")[0].splitlines()[-1]
    with Repository.open(db_path, readonly=True) as repo:
        rows = repo.conn.execute("SELECT kind, choice FROM pairwise_votes").fetchall()
    assert [tuple(r) for r in rows] == [("vote", "tie")]


def test_a_clashing_pairwise_keymap_is_refused_before_the_app_opens(db_path: Path) -> None:
    with pytest.raises(InputError) as err:
        app_for(db_path, keymap(tie="b"))
    assert "pairwise.tie" in str(err.value) and "pairwise.both_bad" in str(err.value)
