"""The header's queue count: "counting…" until it is known, then the right numbers, and a
new count when an import adds items; leaving the screen stops a count under way."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.tui.helpers import SIZE, MakeApp, annotate_screen, import_jsonl, plain, settle
from tui_annotate.core.session import AnnotationSession
from tui_annotate.store.repository import Repository
from tui_annotate.tui.widgets.progress_header import ProgressHeader


def header_text(app: Any) -> str:
    return plain(annotate_screen(app).query_one(ProgressHeader))


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Hold every full count until the test lets it go (the real count then runs)."""
    gate = threading.Event()
    real = AnnotationSession.count_remaining

    def held(self: AnnotationSession, repo: Repository) -> tuple[int, int]:
        assert gate.wait(30), "the test never let the count go"
        return real(self, repo)

    monkeypatch.setattr(AnnotationSession, "count_remaining", held)
    return gate


async def test_header_says_counting_then_shows_the_count_and_recounts_after_an_import(
    make_app: MakeApp, sample_repo: Repository, gated: threading.Event, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = header_text(app)
        assert "counting…" in header
        assert "done /" not in header  # no "0 done / 0" while nothing is known
        assert app.session.current_id is not None  # the item is on screen meanwhile

        gated.set()
        await settle(pilot)
        assert "0 done / 40" in header_text(app)
        assert "counting…" not in header_text(app)

        await pilot.press("4")
        await settle(pilot)
        assert "1 done / 40" in header_text(app)

        import_jsonl(
            sample_repo,
            tmp_path / "more.jsonl",
            [
                {"id": "new-1", "input": "q1", "output": "a brand new answer"},
                {"id": "new-2", "input": "q2", "output": "another new answer"},
            ],
        )
        annotate_screen(app)._check_new_items()  # what the timer does every few seconds
        await settle(pilot)
        assert "1 done / 42" in header_text(app)


async def test_nothing_new_means_no_recount(
    make_app: MakeApp, sample_repo: Repository, gated: threading.Event
) -> None:
    gated.set()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = annotate_screen(app)
        counts: list[int] = []
        real = screen.count_progress
        screen.count_progress = lambda: counts.append(1) or real()  # type: ignore[method-assign]
        screen._check_new_items()
        await settle(pilot)
        assert counts == []
        assert "0 done / 40" in header_text(app)


def test_interrupt_stops_a_count_under_way(sample_repo: Repository, db_path: Path) -> None:
    """The real count, on its own connection, stopped from another thread mid-query."""
    from tui_annotate.errors import StoreError

    counter = Repository.open(db_path, readonly=True)
    running = threading.Event()
    release = threading.Event()

    def in_query() -> int:
        # Called by SQLite every few hundred steps while a statement runs.
        running.set()
        release.wait(5)
        return 0

    counter.conn.set_progress_handler(in_query, 100)
    outcome: list[object] = []

    def count() -> None:
        try:
            outcome.append(counter.progress("faithfulness", "ana", 1))
        except StoreError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=count)
    worker.start()
    assert running.wait(10)
    counter.interrupt()
    release.set()
    worker.join(10)
    assert not worker.is_alive()
    counter.close()
    assert len(outcome) == 1 and isinstance(outcome[0], StoreError)
    assert "interrupt" in str(outcome[0])


async def test_quitting_mid_count_does_not_wait_for_it(
    make_app: MakeApp, sample_repo: Repository, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaving the screen interrupts the count's connection: the worker ends at once."""
    release = threading.Event()
    started = threading.Event()
    real_open = Repository.open

    def slow_open(path: Path | str, *, readonly: bool = False) -> Repository:
        repo = real_open(path, readonly=readonly)
        if readonly:

            def in_query() -> int:
                started.set()
                release.wait(0.05)  # a count that would take minutes
                return 0

            repo.conn.set_progress_handler(in_query, 1)
        return repo

    monkeypatch.setattr(Repository, "open", staticmethod(slow_open))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        deadline = time.monotonic() + 10
        while not started.is_set() and time.monotonic() < deadline:
            await pilot.pause(0.01)
        assert started.is_set()
        assert "counting…" in header_text(app)
        began = time.monotonic()
        await app.action_quit()
        await pilot.pause()
    await asyncio.wait_for(app.workers.wait_for_complete(), 10)
    took = time.monotonic() - began
    release.set()
    assert took < 5, f"quitting waited {took:.1f} s for the count"
