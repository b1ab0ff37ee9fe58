"""The pairwise screen's keys, against the store: votes by version, undo, skip, tags, comment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pairwise_data import PROMPT, make_project
from tests.tui.helpers import screen_lines
from tui_annotate.config import Settings
from tui_annotate.core.pairwise import tasks
from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
from tui_annotate.store.repository import Repository
from tui_annotate.tui.pairwise_app import PairwiseApp, make_pairwise_app


def app_for(db: Path, *, rubric: str | None = None, items: Path | None = None) -> PairwiseApp:
    if items is None:
        make_project(db, 4)
    repo = Repository.open(db)
    if items is not None:
        from tui_annotate.core import ingest

        ingest.import_items(repo, items)
    task_id, _ = tasks.start(repo, prompt=PROMPT, versions=["1.0.0", "1.1.0"], seed=2)
    loaded = find_rubric(rubric, [shipped_rubrics_dir()]) if rubric else None
    task = tasks.find(repo, task_id)
    return make_pairwise_app(Settings(), repo=repo, task=task, annotator="ana", rubric=loaded)


def votes(db: Path) -> list[tuple[str, str | None, str, str]]:
    with Repository.open(db, readonly=True) as repo:
        return [
            (str(r[0]), r[1], str(r[2]), str(r[3]))
            for r in repo.conn.execute(
                "SELECT kind, choice, left, tags FROM pairwise_votes ORDER BY id"
            )
        ]


async def test_keys_append_votes_relative_to_the_versions(db_path: Path) -> None:
    app = app_for(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        sides = []
        for key in ("1", "2", "0", "b"):
            assert app.session.pair is not None
            sides.append(app.session.pair[1])
            await pilot.press(key)
            await pilot.pause()
        assert app.session.done
        assert any("All done" in line for line in screen_lines(app))
    logged = votes(db_path)
    other = {"a": "b", "b": "a"}
    assert [c for _, c, _, _ in logged] == [sides[0], other[sides[1]], "tie", "both_bad"]
    assert [left for _, _, left, _ in logged] == sides


async def test_undo_and_skip(db_path: Path) -> None:
    app = app_for(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.session.pair is not None
        first = app.session.pair[0]
        await pilot.press("1")
        await pilot.press("u")
        await pilot.pause()
        assert app.session.pair is not None and app.session.pair[0] == first
        await pilot.press("s")
        await pilot.pause()
        assert app.session.pair is not None and app.session.pair[0] != first
    assert [k for k, _, _, _ in votes(db_path)] == ["vote", "undo", "skip"]


async def test_tags_and_comment_go_with_the_vote(db_path: Path) -> None:
    app = app_for(db_path, rubric="faithfulness")
    tag = app.rubric.tags[0] if app.rubric else None
    assert tag is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("t", tag.key, "enter")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("o", "k", "ctrl+s")
        await pilot.pause()
        assert app.session.comment == "ok"
        await pilot.press("2")
        await pilot.pause()
    [(kind, _, _, tags)] = votes(db_path)
    assert kind == "vote" and json.loads(tags) == [tag.name]
    with Repository.open(db_path, readonly=True) as repo:
        assert repo.conn.execute("SELECT comment FROM pairwise_votes").fetchone()[0] == "ok"


async def test_model_text_is_shown_literally(db_path: Path, tmp_path: Path) -> None:
    evil = "[bold]x[/bold] \x1b[2J done"
    items = tmp_path / "evil.jsonl"
    items.write_text(
        "".join(
            json.dumps(
                {"input": "q?", "output": f"{evil} {v}", "prompt": PROMPT, "prompt_version": v}
            )
            + "\n"
            for v in ("1.0.0", "1.1.0")
        )
    )
    app = app_for(db_path, items=items)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "[bold]x[/bold]" in text
        assert "\x1b" not in text and "␛[2J" in text


@pytest.mark.parametrize("width, narrow", [(80, True), (120, False)])
async def test_stacked_below_100_columns(db_path: Path, width: int, narrow: bool) -> None:
    app = app_for(db_path)
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        one, two = app.screen.query_one("#pw-r1-box"), app.screen.query_one("#pw-r2-box")
        assert app.screen.has_class("narrow") is narrow
        assert (one.region.y < two.region.y) is narrow
        assert (one.region.x < two.region.x) is not narrow


async def test_results_view_shows_bars_ranking_and_the_bias_warning() -> None:
    from tui_annotate.core.pairwise.models import Task, VoteRow
    from tui_annotate.core.pairwise.report import report
    from tui_annotate.tui.pairwise_app import PairwiseResultsApp

    rows = [VoteRow(i, "lefty", "1.0.0", "1.1.0", "b", "b") for i in range(12)]
    app = PairwiseResultsApp(report(Task(1, PROMPT, ("1.0.0", "1.1.0"), 0), rows, bootstrap=50))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "1.0.0 vs 1.1.0" in text and "●" in text
        assert "1. 1.1.0" in text
        assert "POSITION BIAS" in text


async def test_tags_and_comment_typed_before_the_vote_are_a_draft_on_disk(db_path: Path) -> None:
    app = app_for(db_path, rubric="faithfulness")
    tag = app.rubric.tags[0] if app.rubric else None
    assert tag is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.session.pair is not None
        pair_id = app.session.pair[0]
        await pilot.press("t", tag.key, "enter")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("o", "k", "ctrl+s")
        await pilot.pause()
        # On disk before any vote: what a kill -9 now would leave.
        with Repository.open(db_path, readonly=True) as other:
            draft = other.pairwise.draft(pair_id, "ana")
        assert draft is not None and draft.comment == "ok" and draft.tags == (tag.name,)
    repo = Repository.open(db_path)
    task = tasks.find(repo, 1)
    again = make_pairwise_app(Settings(), repo=repo, task=task, annotator="ana", rubric=app.rubric)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.session.pair is not None and again.session.pair[0] == pair_id
        assert again.session.comment == "ok" and again.session.tags == (tag.name,)
        await pilot.press("1")
        await pilot.pause()
        assert again.session.repo.pairwise.draft(pair_id, "ana") is None
    [(kind, _, _, tags)] = votes(db_path)
    assert kind == "vote" and json.loads(tags) == [tag.name]


@pytest.mark.parametrize("asked", ["", "Which reply is kinder?"])
async def test_the_rubrics_pairwise_question_else_its_question_is_asked(
    db_path: Path, asked: str
) -> None:
    import dataclasses

    app = app_for(db_path, rubric="faithfulness")
    assert app.rubric is not None
    app.rubric = dataclasses.replace(app.rubric, pairwise_question=asked)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert (asked or app.rubric.question)[:40] in text  # a long question wraps
