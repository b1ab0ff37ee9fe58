"""A pairwise task's results on screen: the win-rate bars, the ranking and the bias warning.

The same lines `pairwise results` prints (core/pairwise/draw.py), so the two
can never differ; the position-bias warning is in the theme's error colour.
Opened by `pairwise results --view`, for the lead: annotators still voting
should not see which version is winning.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_annotate.core.pairwise.draw import lines
from tui_annotate.core.results.pairwise import PairwiseReport
from tui_annotate.core.textsafe import visible
from tui_annotate.tui.action_views import bindings
from tui_annotate.tui.actions import PAIRWISE_RESULTS


class PairwiseResultsScreen(Screen[None]):
    BINDINGS = bindings(PAIRWISE_RESULTS)

    def __init__(self, report: PairwiseReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        shown = [
            Content.styled(visible(line), "bold $error")
            if "POSITION BIAS" in line
            else Content(visible(line))
            for line in lines(self.report)
        ]
        with VerticalScroll(id="pw-results"):
            yield Static(Content("\n").join(shown))
        yield Footer()

    async def action_quit(self) -> None:
        self.app.exit()
