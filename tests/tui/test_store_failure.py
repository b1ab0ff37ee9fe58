"""A database that stops taking writes: the app says so, stays on the item, and recovers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets._toast import Toast

from tests.conftest import SAMPLE
from tests.tui.helpers import ANNOTATOR, RUBRIC, SIZE, MakeApp, annotate_screen, plain, settle
from tui_annotate.core import ingest, snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository
from tui_annotate.tui.dialogs.tags import TagPickerScreen
from tui_annotate.tui.widgets.rubric_panel import RubricPanel


@contextmanager
def read_only(repo: Repository) -> Iterator[None]:
    """The app's own connection refuses every write while inside."""
    repo.conn.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        repo.conn.execute("PRAGMA query_only = OFF")


def rubric_text(app: App[Any]) -> str:
    return plain(annotate_screen(app).query_one(RubricPanel))


def error_notifications(app: App[Any]) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == "error"]


async def test_rating_on_a_read_only_database_warns_and_stays(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        assert item is not None
        with read_only(sample_repo):
            await pilot.press("4")
            await pilot.pause()
            assert app.is_running
            annotate_screen(app)
            assert app.session.current_id == item
            errors = error_notifications(app)
            assert errors, "no error was shown"
            assert "not saved" in errors[-1]
            assert "read-only" in errors[-1]
            assert sample_repo.events() == []
            assert sample_repo.current_label(item, RUBRIC, ANNOTATOR) is None
            # Skip and flag fail the same way, and nothing moves.
            await pilot.press("s", "f")
            await pilot.pause()
            assert app.session.current_id == item
            assert len(error_notifications(app)) == 3
            assert sample_repo.events() == []

        await pilot.press("4")
        await pilot.pause()
        label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)
        assert label is not None and label.score == 4
        assert app.session.current_id != item


async def test_tags_chosen_while_read_only_show_what_the_rating_will_carry(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    """A failed draft save warns; afterwards the screen and the next rating agree on the tags."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.session.current_id
        assert item is not None
        with read_only(sample_repo):
            await pilot.press("t", "h", "enter")
            await pilot.pause()
            assert app.is_running
            assert not isinstance(app.screen, TagPickerScreen)
            assert error_notifications(app)
            assert sample_repo.get_draft(item, RUBRIC, ANNOTATOR) is None
        shown = "tags: hallucinated-fact" in rubric_text(app)
        pending = "hallucinated-fact" in app.session.draft.tags
        assert shown == pending, (
            f"the rubric panel {'shows' if shown else 'does not show'} the tag, but the next "
            f"rating {'will' if pending else 'will not'} carry it"
        )
        await pilot.press("2")
        await pilot.pause()
        label = sample_repo.current_label(item, RUBRIC, ANNOTATOR)
        assert label is not None
        assert ("hallucinated-fact" in label.tags) == shown


async def test_undo_on_a_read_only_database_warns_and_keeps_the_label(
    make_app: MakeApp, sample_repo: Repository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.session.current_id
        assert first is not None
        await pilot.press("5")
        await pilot.pause()
        second = app.session.current_id
        with read_only(sample_repo):
            await pilot.press("u")
            await pilot.pause()
            assert app.is_running
            assert error_notifications(app)
            label = sample_repo.current_label(first, RUBRIC, ANNOTATOR)
            assert label is not None and label.score == 5
            # The screen still shows the item it was on, not the one whose undo failed.
            assert app.session.current_id == second
        # The undo was not used up by the failure: it still works.
        await pilot.press("u")
        await pilot.pause()
        assert app.session.current_id == first
        assert sample_repo.current_label(first, RUBRIC, ANNOTATOR) is None


async def test_an_error_quoting_a_path_shows_it_literally(
    make_app: MakeApp, faithfulness: Rubric, tmp_path: Path
) -> None:
    """Store errors quote the database path; a path that looks like markup is shown as typed."""
    folder = tmp_path / "odd [" / "] [bold]dir"  # the path holds "[/]": a closing tag
    folder.mkdir(parents=True)
    with Repository.open(folder / "annotations.db") as repo:
        ingest.import_items(repo, SAMPLE)
        snapshot.register(repo, faithfulness)
        app = make_app(repo=repo)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            with read_only(repo):
                await pilot.press("4")
                await pilot.pause()
                assert app.is_running
                errors = [n for n in app._notifications if n.severity == "error"]
                assert errors, "no error was shown"
                assert str(folder) in errors[-1].message
                await pilot.pause(0.2)
                shown = " ".join(toast.render().plain for toast in app.screen.query(Toast))
                assert "odd [/] [bold]dir" in " ".join(shown.split()), shown
