"""The Decide screen: Scorecard, Compare, Trend and Tags tabs over one prompt's labels.

Nothing is computed on the UI thread. Each tab shows "computing…" and asks
`DecideData` from a worker thread the first time it is shown (the first tab
at once, the others when opened), then draws the result; a million items
cost the wait of the numbers, never a frozen screen. Picking another
baseline or candidate recomputes only the Compare tab.
"""

from __future__ import annotations

from typing import Any, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from tui_annotate.core.results.decide import Comparison, RegressedCase
from tui_annotate.core.textsafe import one_line
from tui_annotate.tui.action_views import bindings, display, keys_now
from tui_annotate.tui.actions import DECIDE
from tui_annotate.tui.screens import decide_views as views
from tui_annotate.tui.screens.decide_data import GOLDEN, DecideData

TABS = ("scorecard", "compare", "trend", "tags")
TITLES = {"scorecard": "Scorecard", "compare": "Compare", "trend": "Trend", "tags": "Tags"}
COMPUTING = "computing…"


class DecideScreen(Screen[None]):
    """Read-only; q leaves. The two compared versions are picked with [ ] and { }."""

    BINDINGS = bindings(DECIDE)

    def __init__(self, data: DecideData) -> None:
        super().__init__()
        self.data = data
        versions = data.versions
        #: The baseline may also be the golden labels; by default the newest two versions.
        self.baselines = (GOLDEN, *versions)
        self.candidate = versions[-1] if versions else ""
        self.baseline = versions[-2] if len(versions) > 1 else GOLDEN
        #: Tabs whose numbers are drawn (or being computed): each is computed once.
        self.started: set[str] = set()
        self.ready: set[str] = set()
        #: The regressed cases listed on the Compare tab, in the list's order.
        self.regressed: list[tuple[str, RegressedCase]] = []
        self.comparison: Comparison | None = None
        #: The Trend tab's rows: one per version, or per ISO week of the items' time (w).
        self.trend_by: Literal["version", "week"] = "version"

    def compose(self) -> ComposeResult:
        yield Static(self._header(), id="decide-header")
        with TabbedContent(initial="scorecard", id="decide-tabs"):
            for tab in TABS:
                with TabPane(TITLES[tab], id=tab):
                    if tab == "compare":
                        yield Static(self._picked(), id="compare-picked")
                    with VerticalScroll(id=f"{tab}-body", classes="decide-body"):
                        yield Static(COMPUTING, classes="decide-pending")
                        if tab == "compare":
                            yield OptionList(id="regressed")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#regressed", OptionList).display = False
        self._start("scorecard")

    def _header(self) -> Content:
        d = self.data
        return Content.assemble(
            Content.styled(" decide", "bold"),
            " │ ",
            Content.styled(one_line(d.prompt, 40), "bold"),
            f" · source {d.source}",
            f" · {len(d.versions)} version{'s' if len(d.versions) != 1 else ''}",
            f" · {one_line(', '.join(d.infos), 50)}",
        )

    def _picked(self) -> Content:
        """The two versions compared, and the keys that move them (as the keymap has them)."""
        keys = {a.id: display(keys_now(self.app, a)) for a in DECIDE}
        base = f"{keys['decide.baseline_previous']} {keys['decide.baseline_next']}"
        cand = f"{keys['decide.candidate_previous']} {keys['decide.candidate_next']}"
        return Content.assemble(
            " baseline ",
            Content.styled(one_line(self.baseline, 20), "bold reverse"),
            "  →  candidate ",
            Content.styled(one_line(self.candidate, 20), "bold reverse"),
            Content.styled(
                f"   {base} baseline · {cand} candidate · {keys['decide.open_case']} opens a case",
                "dim",
            ),
        )

    # -- computing off the UI thread ---------------------------------------------------------

    def _start(self, tab: str) -> None:
        """Compute TAB's numbers on a worker (once; Compare again when the pick changes)."""
        if tab in self.started:
            return
        self.started.add(tab)
        self.ready.discard(tab)
        if tab == "compare":
            pick = (self.baseline, self.candidate)
            work: Any = lambda: self.data.comparison(*pick)  # noqa: E731
        elif tab == "trend":
            by = self.trend_by
            work = lambda: self.data.trend(by)  # noqa: E731
        else:
            work = getattr(self.data, tab)
        self.run_worker(
            lambda: self._compute(tab, work),
            thread=True,
            group=tab,
            exclusive=True,
            name=f"decide {tab}",
        )

    def _compute(self, tab: str, work: Any) -> None:
        # call_from_thread awaits a coroutine callback; its annotation can't say so (Any).
        back: Any = self.app.call_from_thread
        try:
            result = work()
        except Exception as exc:  # the screen says so rather than dying with the worker
            back(self._failed, tab, exc)
            return
        back(self._show, tab, result)

    async def _failed(self, tab: str, exc: Exception) -> None:
        await self._fill(tab, [views.note(f"could not compute: {exc}", classes="decide-error")])
        self.ready.add(tab)

    async def _show(self, tab: str, result: Any) -> None:
        if tab == "compare":
            if (result.baseline, result.candidate) != (self.baseline, self.candidate):
                return  # an earlier pick's numbers, overtaken by the newer pick
            self.comparison = result
            await self._fill(tab, views.compare_widgets(result, self.data.infos))
            self._list_regressed(result)
        elif tab == "scorecard":
            await self._fill(tab, views.scorecard_widgets(result))
        elif tab == "trend":
            if result.by != self.trend_by:
                return  # the other grouping's rows, overtaken by a toggle
            await self._fill(tab, views.trend_widgets(result))
        else:
            await self._fill(tab, views.tags_widgets(result))
        self.ready.add(tab)

    async def _fill(self, tab: str, widgets: list[Widget]) -> None:
        """Replace TAB's body with WIDGETS (the Compare tab keeps its list of regressed cases)."""
        body = self.query_one(f"#{tab}-body", VerticalScroll)
        await body.remove_children([c for c in body.children if c.id != "regressed"])
        if tab == "compare":
            await body.mount_all(widgets, before="#regressed")
        else:
            await body.mount_all(widgets)

    def _list_regressed(self, comparison: Comparison) -> None:
        options = self.query_one("#regressed", OptionList)
        options.clear_options()
        self.regressed = [
            (name, case) for name, r in comparison.rubrics.items() for case in r.regressed
        ]
        options.display = bool(self.regressed)
        options.border_title = Content(f"regressed cases (PASS → FAIL): {len(self.regressed)}")
        width = min(16, max((len(name) for name, _ in self.regressed), default=0))
        options.add_options(
            Option(views.regressed_prompt(name, c.case, c.tags, c.comment, width=width))
            for name, c in self.regressed
        )
        self.refresh_bindings()

    # -- tabs and picks --------------------------------------------------------------------

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id or ""
        if tab in TABS:
            self._start(tab)
        self.refresh_bindings()  # "open case" is live on the Compare tab only

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self._start(tab)

    async def action_pick(self, which: str, step: int) -> None:
        """Move the baseline (golden first, then the versions) or the candidate by STEP."""
        if not self.data.versions:
            return
        choices = self.baselines if which == "baseline" else self.data.versions
        current = self.baseline if which == "baseline" else self.candidate
        at = choices.index(current) if current in choices else 0
        chosen = choices[max(0, min(len(choices) - 1, at + step))]
        if chosen == current:
            return
        if which == "baseline":
            self.baseline = chosen
        else:
            self.candidate = chosen
        self.query_one("#compare-picked", Static).update(self._picked())
        self.started.discard("compare")
        self.ready.discard("compare")
        await self._fill("compare", [Static(COMPUTING, classes="decide-pending")])
        self.query_one("#regressed", OptionList).display = False
        self.regressed = []
        self.refresh_bindings()
        if self.query_one(TabbedContent).active != "compare":
            self.query_one(TabbedContent).active = "compare"
        self._start("compare")

    async def action_toggle_trend_by(self) -> None:
        """The Trend tab per ISO week instead of per version, or back."""
        self.trend_by = "week" if self.trend_by == "version" else "version"
        self.started.discard("trend")
        self.ready.discard("trend")
        await self._fill("trend", [Static(COMPUTING, classes="decide-pending")])
        self.query_one(TabbedContent).active = "trend"
        self._start("trend")

    # -- the regressed cases ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_case":
            return bool(self.regressed) and self.query_one(TabbedContent).active == "compare"
        return True

    @on(OptionList.OptionSelected, "#regressed")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(event.option_index)

    def action_open_case(self) -> None:
        index = self.query_one("#regressed", OptionList).highlighted
        self._open(0 if index is None else index)

    def _open(self, index: int) -> None:
        if not 0 <= index < len(self.regressed):
            return
        from tui_annotate.tui.screens.decide_case import DecideCaseScreen

        _, case = self.regressed[index]
        # The pick the list was computed for (a newer pick clears the list first).
        shown = self.comparison
        baseline = shown.baseline if shown is not None else self.baseline
        version = shown.candidate if shown is not None else self.candidate
        self.app.push_screen(DecideCaseScreen(self.data, case, version, baseline))

    def action_help(self) -> None:
        from tui_annotate.tui.screens.decide_help import DecideHelpScreen

        self.app.push_screen(DecideHelpScreen(self.help_rows()))

    def help_rows(self) -> list[tuple[str, str]]:
        """(keys, line) per help line: the keys of the actions sharing it, as the keymap has them
        (each key on its own, not the footer's shorthand such as "1-4")."""
        rows: list[tuple[str, str]] = []
        for action in DECIDE:
            keys = display(keys_now(self.app, action))
            if rows and rows[-1][1] == action.help:
                rows[-1] = (f"{rows[-1][0]} / {keys}", action.help)
            else:
                rows.append((keys, action.help))
        return rows

    def action_quit(self) -> None:
        self.app.exit()
