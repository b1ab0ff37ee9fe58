"""The Decide screen with Pilot: tabs, version picks, a regressed case opened, help and quit.

The numbers come from the real core (scorecard, compare, trend, tags) over a
`PromptTable` built in the test: three versions over the same 40 cases, where
one case goes PASS → FAIL from 1.1.0 to 1.2.0 with a comment and an output
that try to restyle the terminal. The screen must show the core's numbers,
never compute on the UI thread, and show data literally.
"""

from __future__ import annotations

import threading
from typing import Any

from textual.widgets import OptionList, TabbedContent

from tests.tui.helpers import screen_lines
from tests.unit.decide_tables import column, infos, table
from tests.unit.test_headless import imported_after
from tui_annotate.core.decide.compare import compare
from tui_annotate.core.decide.scorecard import scorecard
from tui_annotate.core.decide.table import PromptTable
from tui_annotate.core.models import Item
from tui_annotate.errors import AnnotateError
from tui_annotate.tui.actions import DECIDE
from tui_annotate.tui.decide_app import DecideApp
from tui_annotate.tui.screens.decide_case import DecideCaseScreen
from tui_annotate.tui.screens.decide_data import DecideData
from tui_annotate.tui.screens.decide_help import DecideHelpScreen
from tui_annotate.tui.screens.decide_tabs import COMPUTING, DecideScreen
from tui_annotate.tui.widgets.interval_rows import IntervalRows

VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
CASES = 40
#: The case that regresses from 1.1.0 to 1.2.0, and what its item and label carry.
REGRESSED = "case-03 [b]bold?[/b]"
HOSTILE_COMMENT = "[bold red]made up[/] \x1b[2J the refund"
HOSTILE_OUTPUT = "Refund: [link=http://x]click[/link] \x1b]52;c;SGVsbG8=\x07 done"
SIZE = (120, 40)


def faith_score(v: int, c: int) -> float:
    """Faithfulness of version V on case C: later versions pass more, but case 3 regresses."""
    if c == 3:
        return (4.0, 5.0, 2.0)[v]
    return 5.0 if (c * 7 + v * 11) % 10 < 6 + v else 2.0


def decide_table() -> tuple[PromptTable, dict[int, Item]]:
    """3 versions × 40 cases, faithfulness (higher) and toxicity (lower), and each row's item."""
    versions: list[str] = []
    cases: list[str] = []
    faith: list[float | None] = []
    tox: list[float | None] = []
    tags: dict[int, tuple[str, ...]] = {}
    comments: dict[int, tuple[str, ...]] = {}
    for v, version in enumerate(VERSIONS):
        for c in range(CASES):
            row = len(versions)
            versions.append(version)
            cases.append(REGRESSED if c == 3 else f"case-{c:02d}")
            score = faith_score(v, c)
            faith.append(score)
            tox.append(0.0 if (c + v) % 13 else 3.0)
            if score < 4:
                tags[row] = ("hallucination",) if c % 2 else ("incomplete",)
            if c == 3 and v == 2:
                tags[row] = ("hallucination", "wrong amount")
                comments[row] = (HOSTILE_COMMENT,)
    n = len(versions)
    t = table(
        versions,
        cases,
        [
            column("faithfulness", n, human=faith, human_tags=tags, comments=comments),
            column("toxicity", n, human=tox, direction="lower", threshold=1),
        ],
    )
    items = {
        int(t.item_ids[r]): Item(
            id=int(t.item_ids[r]),
            external_id=t.external_ids[r],
            input=f"question of {cases[r]}",
            output=HOSTILE_OUTPUT if cases[r] == REGRESSED else f"answer {r}",
            prompt="support-answer",
            prompt_version=versions[r],
        )
        for r in range(n)
    }
    return t, items


def decide_data(gate: threading.Event | None = None) -> DecideData:
    """DecideData over the test table; with GATE, loading the table waits until it is set."""
    t, items = decide_table()

    def load_table(notes: bool) -> PromptTable:
        if gate is not None:
            assert gate.wait(30), "the test never let the table load"
        return t

    return DecideData(
        prompt="support-answer",
        versions=VERSIONS,
        infos=infos(t, min_pass_rate={"faithfulness": 0.7}, weight={"faithfulness": 2}),
        load_table=load_table,
        load_item=items.__getitem__,
        bootstrap=200,
    )


def text(app: DecideApp) -> str:
    return "\n".join(screen_lines(app))


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_first_tab_says_computing_until_the_worker_has_the_numbers() -> None:
    gate = threading.Event()
    app = DecideApp(decide_data(gate))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DecideScreen)
        # The table is still loading on the worker: the screen is up and says so.
        assert COMPUTING in text(app)
        assert "scorecard" not in screen.ready
        gate.set()
        await settle(pilot)
        assert "scorecard" in screen.ready
        assert COMPUTING not in text(app)
        # Tabs nobody opened were never computed.
        assert screen.started == {"scorecard"}


async def test_scorecard_shows_the_cores_numbers_with_n_and_interval() -> None:
    data = decide_data()
    card = scorecard(data.table(), data.infos, bootstrap=200)
    app = DecideApp(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = text(app)
        for version in card.versions:
            m = version.metrics["faithfulness"]
            assert m.ci is not None and m.pass_rate is not None
            expected = f"{m.pass_rate:.3f} [{m.ci[0]:.3f}, {m.ci[1]:.3f}] {m.passed}/{m.n}"
            assert expected in shown
        assert "faithfulness 1.0.0 · PASS at 4+ · min pass rate 0.7 · weight 2" in shown
        assert "toxicity 1.0.0 · PASS at 1 or less" in shown


async def test_number_keys_switch_tabs_and_compute_each_once() -> None:
    app = DecideApp(decide_data())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DecideScreen)
        tabs = screen.query_one(TabbedContent)
        for key, tab in (("3", "trend"), ("4", "tags"), ("2", "compare")):
            await pilot.press(key)
            await settle(pilot)
            assert tabs.active == tab
            assert tab in screen.ready
            assert COMPUTING not in text(app)
            assert screen.query(f"#{tab}-body .decide-section")
        await pilot.press("1")
        await settle(pilot)
        assert tabs.active == "scorecard"
        assert screen.started == {"scorecard", "trend", "tags", "compare"}


async def test_picking_versions_recomputes_the_comparison() -> None:
    data = decide_data()
    app = DecideApp(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DecideScreen)
        # The newest two by default.
        assert (screen.baseline, screen.candidate) == ("1.1.0", "1.2.0")
        await pilot.press("2")
        await settle(pilot)
        assert screen.comparison is not None
        assert (screen.comparison.baseline, screen.comparison.candidate) == ("1.1.0", "1.2.0")
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.baseline == "1.0.0"
        await pilot.press("left_curly_bracket")
        await settle(pilot)
        assert screen.candidate == "1.1.0"
        assert screen.comparison is not None
        assert (screen.comparison.baseline, screen.comparison.candidate) == ("1.0.0", "1.1.0")
        expected = compare(
            data.table(), data.infos, baseline="1.0.0", candidate="1.1.0", bootstrap=200
        )
        r = expected.rubrics["faithfulness"]
        assert f"{r.n_pairs} pairs · PASS→FAIL {r.pass_to_fail} · FAIL→PASS {r.fail_to_pass}" in (
            text(app)
        )
        # The golden labels come before every version; the picks stop at the ends.
        for _ in range(3):
            await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.baseline == "golden"
        for _ in range(4):
            await pilot.press("right_curly_bracket")
        await settle(pilot)
        assert screen.candidate == "1.2.0"


async def test_a_regressed_case_opens_with_its_item_and_labels_shown_literally() -> None:
    app = DecideApp(decide_data())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DecideScreen)
        cases = [case.case for _, case in screen.regressed]
        assert REGRESSED in cases
        listed = screen.query_one("#regressed", OptionList)
        listed.highlighted = cases.index(REGRESSED)
        listed.focus()
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DecideCaseScreen)
        assert dialog.detail is not None
        shown = text(app)
        # Markup shows as typed and escape sequences as visible pictures, never obeyed.
        assert "[bold red]made up[/] ␛[2J the refund" in shown
        assert "Refund: [link=http://x]click[/link] ␛]52;c;SGVsbG8=␇ done" in shown
        assert "\x1b" not in shown
        assert "faithfulness" in shown and "FAIL" in shown
        assert "hallucination, wrong amount" in shown
        # The case (data) in the dialog's title, as typed.
        assert f"case {REGRESSED} · 1.2.0" in shown
        # The baseline's item of the same case, which passed: what changed reads below.
        assert dialog.detail.baseline == "1.1.0" and dialog.detail.baseline_item is not None
        assert dialog.detail.baseline_item.prompt_version == "1.1.0"
        assert dialog.detail.baseline_labels[0].verdict == "PASS"  # faithfulness
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DecideScreen)


async def test_help_lists_the_keys_and_q_quits() -> None:
    app = DecideApp(decide_data())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, DecideHelpScreen)
        shown = text(app)
        assert "the baseline: one version back or on (golden first)" in shown
        assert "[ / ]" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DecideScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


def test_opening_the_decide_app_loads_neither_scipy_nor_numpy() -> None:
    """The numbers are computed on a worker, which imports them; the app's import must not."""
    watch = ("scipy", "numpy", "textual")
    statement = "import tui_annotate.tui.decide_app, tui_annotate.cli.decide, tui_annotate.cli"
    # textual is the guard against a vacuous pass: the app's import does load it.
    assert imported_after(statement, watch) == ["textual"]


async def test_every_decide_action_has_its_key_its_help_line_and_its_palette_entry() -> None:
    app = DecideApp(decide_data(), keymap={"decide.quit": "x"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DecideScreen)
        bound = {b.binding.id: key for key, b in screen.active_bindings.items()}
        palette = {c.title for c in app.get_system_commands(screen)}
        helped = {line for _, line in screen.help_rows()}
        for action in DECIDE:
            if action.id == "decide.open_case":
                continue  # only live on the Compare tab with a regressed case listed
            assert action.id in bound, action.id
            assert action.title in palette, action.title
            assert action.help in helped, action.help
        # A user's [keymap] moves the key: q no longer quits, x does.
        assert bound["decide.quit"] == "x"
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running
        await pilot.press("x")
        await pilot.pause()
    assert not app.is_running


async def test_a_failure_on_the_worker_is_told_on_the_tab_and_the_app_stays_up() -> None:
    def gone(notes: bool) -> PromptTable:
        raise AnnotateError("no database at /nowhere/annotations.db")

    # What the worker would meet if the database vanished after the command checked it.
    t, items = decide_table()
    data = DecideData(
        prompt="support-answer",
        versions=VERSIONS,
        infos=infos(t),
        load_table=gone,
        load_item=items.__getitem__,
    )
    app = DecideApp(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "could not compute: no database at /nowhere/annotations.db" in text(app)
        await pilot.press("4")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, DecideScreen)


async def test_w_shows_the_trend_per_iso_week_and_back() -> None:
    app = DecideApp(decide_data())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DecideScreen)
        await pilot.press("3")
        await settle(pilot)
        assert "1.2.0" in plain_trend(screen)
        await pilot.press("w")
        await settle(pilot)
        # Every item of the test table is from 2026-11-30: ISO week 49, all 120 items.
        assert screen.trend_by == "week"
        assert "2026-W49" in plain_trend(screen) and "1.2.0" not in plain_trend(screen)
        await pilot.press("w")
        await settle(pilot)
        assert screen.trend_by == "version" and "1.2.0" in plain_trend(screen)


def plain_trend(screen: DecideScreen) -> str:
    """The Trend tab's rows as text (the forest plot's labels and numbers)."""
    plots = screen.query("#trend-body IntervalRows").results(IntervalRows)
    return "\n".join(f"{r.label} {r.text}" for plot in plots for r in plot.rows)


async def test_with_source_ppi_the_scorecard_shows_judge_only_both_and_the_judge_rate() -> None:
    n = 40
    human = [5.0 if k % 3 else 2.0 for k in range(10)] + [None] * (n - 10)
    judge = [5.0 if k % 4 else 2.0 for k in range(n)]
    t = table(
        ["1.0.0"] * n,
        [f"c{k}" for k in range(n)],
        [column("faithfulness", n, human=human, judge=judge)],
    )
    data = DecideData(
        prompt="support-answer",
        versions=("1.0.0",),
        infos=infos(t),
        load_table=lambda notes: t,
        load_item=lambda item_id: Item(id=item_id, external_id=f"it-{item_id}", output=""),
        source="ppi",
        bootstrap=200,
    )
    m = scorecard(t, data.infos, source="ppi", bootstrap=200).versions[0].metrics["faithfulness"]
    assert m.judge_pass_rate is not None and (m.n_judge_only, m.n_both) == (30, 10)
    app = DecideApp(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = text(app)
        assert "source ppi" in shown
        assert f"N=30 n=10 judge {m.judge_pass_rate:.3f}" in shown
