"""Adjudication: walk a closed round's disputed items and set each one's golden label."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_annotate.core.calibration import ReviewItem
from tui_annotate.core.models import GoldenLabel, Item, Round, Rubric
from tui_annotate.core.review import ReviewSession
from tui_annotate.core.textsafe import one_line, visible
from tui_annotate.errors import AnnotateError
from tui_annotate.render import plural
from tui_annotate.store.repository import Repository
from tui_annotate.tui.action_views import bindings, with_rating_keys
from tui_annotate.tui.actions import ADJUDICATE, REVIEW
from tui_annotate.tui.dialogs.note import NoteScreen
from tui_annotate.tui.widgets.adjudication_panel import AdjudicationPanel
from tui_annotate.tui.widgets.item_view import ItemView
from tui_annotate.tui.widgets.round_labels import RoundLabelsPanel

#: Below this width the item takes the width and the panels go underneath.
WIDE = 100


class ReviewScreen(Screen[None]):
    """One disputed item at a time; a scale key stores the golden label and moves on.

    Position len(items) is the end of the walk: the item gives way to a
    "review done" box, from which p goes back and q quits.
    """

    BINDINGS = bindings(REVIEW)

    @classmethod
    def for_rubric(cls, rubric: Rubric) -> type[ReviewScreen]:
        """This screen with RUBRIC's scale keys bound to adjudicate (they lead the footer)."""
        return with_rating_keys(cls, rubric, ADJUDICATE, REVIEW)

    def __init__(
        self,
        *,
        repo: Repository,
        round_: Round,
        rubric: Rubric,
        items: Sequence[ReviewItem],
        adjudicator: str,
    ) -> None:
        super().__init__()
        self.repo = repo
        self.round = round_
        self.rubric = rubric
        self.items = list(items)
        self.adjudicator = adjudicator
        #: The reads, the notes typed per item and what they carry go through the core's
        #: review session, not the store.
        self.session = ReviewSession(repo, round_, rubric, adjudicator, self.items)

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        with Horizontal(id="main"):
            yield ItemView(id="item")
            with Vertical(id="side"):
                yield RoundLabelsPanel(self.rubric, id="round-labels")
                yield AdjudicationPanel(self.rubric, id="adjudication")
        with Vertical(id="review-done"):
            yield Static(id="review-done-box")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_item()

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < WIDE
        if narrow != self.has_class("narrow"):
            self.set_class(narrow, "narrow")
            self._show_adjudication(self.golden())

    # -- state ----------------------------------------------------------------

    @property
    def pos(self) -> int:
        """Where the walk is: the core's review session keeps it."""
        return self.session.pos

    @property
    def done(self) -> bool:
        return self.session.done

    @property
    def current(self) -> ReviewItem | None:
        return self.session.current

    def golden(self) -> dict[int, GoldenLabel]:
        try:
            return self.session.golden()
        except AnnotateError as exc:
            self.notify(
                visible(str(exc)),
                markup=False,
                title="golden labels not read",
                severity="error",
                timeout=10,
            )
            return {}

    def _item(self, item_id: int) -> Item:
        """The item (cached by the session); an error is shown, and a placeholder drawn."""
        try:
            return self.session.item(item_id)
        except AnnotateError as exc:
            self.notify(
                visible(str(exc)),
                markup=False,
                title="item not loaded",
                severity="error",
                timeout=10,
            )
            return Item(id=item_id, external_id=f"#{item_id}", output="")

    # -- rendering ------------------------------------------------------------

    def refresh_item(self) -> None:
        """Draw the current item, or the end of the walk."""
        golden = self.golden()
        self.query_one("#main").display = not self.done
        self.query_one("#review-done").display = self.done
        self.refresh_bindings()
        current = self.current
        if current is None:
            self._header(golden, None)
            self._show_done(golden)
            return
        item = self._item(current.item_id)
        self._header(golden, item)
        self.query_one(ItemView).show_item(item)
        self.query_one(RoundLabelsPanel).show_labels(current.labels, current.spread)
        self._show_adjudication(golden)

    def _show_adjudication(self, golden: dict[int, GoldenLabel]) -> None:
        current = self.current
        if current is None:
            return
        label = golden.get(current.item_id)
        note, inherited = self.session.note_for(current.item_id, label)
        self.query_one(AdjudicationPanel).show_state(
            label, note, inherited=inherited, compact=self.has_class("narrow")
        )

    def _header(self, golden: dict[int, GoldenLabel], item: Item | None) -> None:
        total = len(self.items)
        where = "done" if item is None else f"item {self.session.pos + 1} / {total}"
        parts: list[Content | str] = [
            Content.styled(" review", "bold"),
            " │ ",
            Content.styled(where, "bold"),
            f" · round {self.round.id} · {self.rubric.name} {self.round.rubric_version}",
        ]
        if item is not None:
            parts.append(f" │ {one_line(item.external_id, 24)}")
        settled = sum(1 for r in self.items if r.item_id in golden)
        parts.append(f" │ {settled} of {total} adjudicated")
        self.query_one("#header", Static).update(Content.assemble(*parts))

    def _show_done(self, golden: dict[int, GoldenLabel]) -> None:
        total = len(self.items)
        settled = sum(1 for r in self.items if r.item_id in golden)
        lines = [
            Content.styled(f"review done: {settled} of {total} adjudicated", "bold $success"),
            Content(f"{plural(len(self.session.adjudicated), 'golden label')} set in this session"),
            Content(""),
            Content.styled("Every golden label is saved. p goes back, q quits.", "dim"),
        ]
        self.query_one("#review-done-box", Static).update(Content("\n").join(lines))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # At the end of the walk only going back and quitting make sense.
        return not (self.done and action in ("adjudicate", "note", "next"))

    # -- actions --------------------------------------------------------------

    def action_adjudicate(self, value: int) -> None:
        try:
            item_id = self.session.adjudicate(value)  # committed, then the walk moves on
        except AnnotateError as exc:
            self.notify(
                visible(str(exc)),
                markup=False,
                title="golden label not saved",
                severity="error",
                timeout=10,
            )
            return
        if item_id is None:
            return
        level = self.rubric.level_for(value)
        self.notify(
            f"{one_line(self._item(item_id).external_id, 24)} = {value} "
            f"{level.label if level else ''}".rstrip(),
            title="golden label saved",
            timeout=3,
            markup=False,  # an item id is the user's data
        )
        self.refresh_item()

    def action_note(self) -> None:
        current = self.current
        if current is None:
            return
        item_id = current.item_id

        def kept(text: str | None) -> None:
            if text is not None:
                self.session.notes[item_id] = text
                if self.current is not None and self.current.item_id == item_id:
                    self._show_adjudication(self.golden())

        note, _ = self.session.note_for(item_id, self.golden().get(item_id))
        self.app.push_screen(NoteScreen(note), kept)

    def action_next(self) -> None:
        self.session.next()
        self.refresh_item()

    def action_previous(self) -> None:
        self.session.previous()
        self.refresh_item()

    async def action_quit(self) -> None:
        self.app.exit()
