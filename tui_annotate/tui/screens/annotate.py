"""The annotation screen: one item, the rubric, the examples, and a key for every action."""

from __future__ import annotations

import contextlib
import sqlite3

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import get_current_worker

from tui_annotate.core.models import Rubric
from tui_annotate.core.session import AnnotationSession
from tui_annotate.core.textsafe import visible
from tui_annotate.errors import AnnotateError
from tui_annotate.store.repository import Repository
from tui_annotate.tui.action_views import bindings, help_rows, with_rating_keys
from tui_annotate.tui.actions import ANNOTATE, RATE
from tui_annotate.tui.screens.done import AllDoneScreen
from tui_annotate.tui.widgets.examples_panel import ExamplesPanel
from tui_annotate.tui.widgets.item_view import ItemView
from tui_annotate.tui.widgets.progress_header import ProgressHeader
from tui_annotate.tui.widgets.rubric_panel import RubricPanel
from tui_annotate.tui.widgets.size_notice import SizeNotice

#: Below this width the rubric panel is compact and the examples start hidden.
WIDE = 100
#: Below this height the examples start hidden.
TALL = 30
#: The smallest terminal the item, its output and every anchor fit in (tests/tui/test_sizes.py).
MIN_SIZE = (80, 24)
#: How often to look for newly imported items (one max(id) lookup).
ITEMS_CHECK_SECONDS = 5.0


class AnnotateScreen(Screen[None]):
    """Renders an AnnotationSession; every key calls one session method, then refreshes."""

    # The keys that open another screen are priority bindings (tui/actions.py): the App runs
    # them as the key arrives, so keys typed right behind them (one burst over SSH) reach the
    # new screen, not this one, where they could rate the item. The rubric's rating keys lead:
    # an app opens `AnnotateScreen.for_rubric(rubric)`, a subclass whose bindings start with them.
    BINDINGS = bindings(ANNOTATE)

    @classmethod
    def for_rubric(cls, rubric: Rubric) -> type[AnnotateScreen]:
        """This screen with RUBRIC's rating keys bound (one footer entry stands for them all)."""
        return with_rating_keys(cls, rubric, RATE, ANNOTATE)

    def __init__(self, session: AnnotationSession, *, show_prompt_version: bool = False) -> None:
        super().__init__()
        self.session = session
        self.show_prompt_version = show_prompt_version
        self.examples_wanted: bool | None = None  # None: decided by the terminal's size

    def compose(self) -> ComposeResult:
        yield ProgressHeader(id="header")
        yield SizeNotice(id="too-small")
        with Horizontal(id="main"):
            yield ItemView(id="item")
            with Vertical(id="side"):
                yield RubricPanel(self.session.rubric, id="rubric")
                yield ExamplesPanel(self.session.rubric, id="examples")
        yield Footer()

    def on_mount(self) -> None:
        #: The workers' connections while they count, so leaving can stop them (interrupt()).
        self._counters: set[Repository] = set()
        self._leaving = False
        self._items_mark = self.session.repo.items_mark()
        self.refresh_item()
        self.set_interval(1.0, self._tick)
        self.set_interval(ITEMS_CHECK_SECONDS, self._check_new_items)
        # After the first frame: the count is a second connection and a scan of the queue,
        # and the annotator wants the item first (until it lands the header shows "counting…").
        self.call_after_refresh(self.count_progress)

    def on_unmount(self) -> None:
        # A count of a million items takes seconds: quitting must not wait for it.
        # (Flag first, then look: the worker sets its connection, then checks the flag.)
        self._leaving = True
        for counter in list(self._counters):
            counter.interrupt()

    def _check_new_items(self) -> None:
        """An import added items: count the queue again (off this thread, as at start)."""
        with contextlib.suppress(AnnotateError, sqlite3.Error):
            mark = self.session.repo.items_mark()
            if mark != self._items_mark:
                self._items_mark = mark
                self.count_progress()

    def on_resize(self, event: Resize) -> None:
        self._layout(event.size.width, event.size.height)

    def on_screen_resume(self) -> None:
        self._layout(self.size.width, self.size.height)

    # -- rendering ------------------------------------------------------------

    def _layout(self, width: int, height: int) -> None:
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(small, "too-small")
        self.query_one("#main").display = not small
        notice = self.query_one(SizeNotice)
        notice.display = small
        if small:
            notice.show_size(width, height, MIN_SIZE)
        narrow = width < WIDE
        self.set_class(narrow, "narrow")
        wanted = self.examples_wanted
        show = wanted if wanted is not None else (not narrow and height >= TALL)
        self.query_one(ExamplesPanel).display = show
        self._show_rubric()

    def _show_rubric(self) -> None:
        label = self.session.current_label()
        self.query_one(RubricPanel).show_state(
            label.score if label else None, self.session.draft, compact=self.has_class("narrow")
        )

    def refresh_item(self) -> None:
        """Show the session's current item, or the all-done screen."""
        if self.session.done:
            self._header()
            self._show_done()
            return
        item = self.session.current_item()
        assert item is not None
        self.query_one(ItemView).show_item(item)
        self._show_rubric()
        self._header()

    def _header(self) -> None:
        self.query_one(ProgressHeader).show_session(
            self.session, show_prompt_version=self.show_prompt_version
        )

    def _tick(self) -> None:
        if self.app.screen is self:
            self._header()

    def _show_done(self) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "revisit":
                self.session.revisit_skipped()
            elif choice == "back":
                self.session.previous()
            else:
                self.app.exit()
                return
            self.refresh_item()

        self.session.recount_done()
        self.app.push_screen(
            AllDoneScreen(self.session.progress, self.session.rubric.name, self.session.annotator),
            chosen,
        )

    @work(thread=True, exclusive=True, group="progress")
    def count_progress(self) -> None:
        """Count the whole queue off the UI thread, on a connection of its own.

        The header says "counting…" until the first count lands. Leaving the
        screen interrupts the connection, so the app never waits on a count.
        """
        try:
            with Repository.open(self.session.repo.path, readonly=True) as repo:
                self._counters.add(repo)
                try:
                    if self._leaving:
                        return
                    remaining, moves = self.session.count_remaining(repo)
                finally:
                    self._counters.discard(repo)
        except AnnotateError:
            return  # interrupted on the way out, or the file went away: nothing to show
        if get_current_worker().is_cancelled:
            return  # a newer count (new items arrived) replaced this one
        self.app.call_from_thread(self._counted, remaining, moves)

    def _counted(self, remaining: int, moves: int) -> None:
        self.session.apply_count(remaining, moves)
        self._header()

    def _run(self, step: str, fn: object, *args: object) -> bool:
        """Run a session step; a store failure leaves the screen (and what was typed) as it was."""
        try:
            fn(*args)  # type: ignore[operator]
        except AnnotateError as exc:
            self.notify(
                visible(str(exc)),
                markup=False,
                title=f"{step} not saved",
                severity="error",
                timeout=10,
            )
            return False
        return True

    # -- actions --------------------------------------------------------------

    def _fits(self, what: str) -> bool:
        """False, saying so, while the terminal is too small to see what would be rated."""
        if not self.has_class("too-small"):
            return True
        need = f"{MIN_SIZE[0]}×{MIN_SIZE[1]}"
        message = f"{what} ignored: terminal too small (needs {need}); nothing saved"
        # In the notice itself: at this size a toast would cover the notice it refers to.
        self.query_one(SizeNotice).show_size(self.size.width, self.size.height, MIN_SIZE, message)
        return False

    def action_rate(self, value: int) -> None:
        if not self._fits("rating"):
            return
        if self.session.done:
            return
        if self._run("rating", self.session.rate, value):
            self.refresh_item()

    def action_skip(self) -> None:
        if not self._fits("skip"):
            return
        if not self.session.done and self._run("skip", self.session.skip):
            self.refresh_item()

    def action_undo(self) -> None:
        if not self._fits("undo"):
            return
        if not self.session.actions:
            self.notify("nothing to undo", timeout=2)
            return
        if self._run("undo", self.session.undo):
            self.refresh_item()

    def action_next(self) -> None:
        if not self._fits("next"):
            return
        self.session.next()
        self.refresh_item()

    def action_previous(self) -> None:
        if not self._fits("previous"):
            return
        self.session.previous()
        self.refresh_item()

    def action_flag(self) -> None:
        if not self._fits("flag"):
            return
        if not self.session.done and self._run("flag", self.session.toggle_flag):
            self._header()

    def action_tags(self) -> None:
        if not self._fits("tags"):
            return
        rubric = self.session.rubric
        if self.session.done or not rubric.tags:
            if not rubric.tags:
                self.notify(f"{rubric.name} has no failure tags", timeout=3)
            return

        def chosen(tags: tuple[str, ...] | None) -> None:
            if tags is not None:
                # Shown even when the save failed: the session keeps them for the rating key.
                self._run("tags", self.session.set_tags, tags)
                self._show_rubric()

        from tui_annotate.tui.dialogs.tags import TagPickerScreen  # dialogs load when first used

        self.app.push_screen(TagPickerScreen(rubric.tags, self.session.draft.tags), chosen)

    def action_comment(self) -> None:
        if not self._fits("comment"):
            return
        if self.session.done:
            return

        def saved(text: str | None) -> None:
            if text is not None and text != self.session.draft.comment:
                # Shown even when the save failed: the session keeps it for the rating key.
                self._run("comment", self.session.set_comment, text)
                self._show_rubric()

        from tui_annotate.tui.dialogs.comment import CommentScreen  # not before the first frame

        self.app.push_screen(CommentScreen(self.session.draft.comment), saved)

    def action_toggle_examples(self) -> None:
        panel = self.query_one(ExamplesPanel)
        self.examples_wanted = not panel.display
        panel.display = self.examples_wanted

    def action_toggle_markdown(self) -> None:
        on = self.query_one(ItemView).toggle_markdown()
        self.notify("output rendered as Markdown" if on else "output shown raw", timeout=2)

    def action_help(self) -> None:
        from tui_annotate.tui.dialogs.help import HelpScreen

        self.app.push_screen(HelpScreen(self.session.rubric, help_rows(self.app, ANNOTATE)))

    async def action_quit(self) -> None:
        self.app.exit()
