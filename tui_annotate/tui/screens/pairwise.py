"""The pairwise A/B screen: the case's input and context, two responses, the question, one key.

Blind: the screen gets a `ShownPair` (the responses in the order this
annotator sees them) and never a version. Each response scrolls on its own
(Tab moves between them); below 100 columns they are stacked, Response 1 on
top. Every text from the items goes through the literal widgets the
annotation screen uses (ItemSection: the visible-text filter, no markup).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.events import Resize
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from tui_annotate.core.models import Rubric
from tui_annotate.core.pairwise.session import PairwiseSession
from tui_annotate.core.textsafe import readable_json, visible
from tui_annotate.errors import AnnotateError
from tui_annotate.tui.action_views import bindings, help_rows, shown_keys
from tui_annotate.tui.actions import HELP, PAIRWISE
from tui_annotate.tui.widgets.item_view import ItemSection, SectionBox

#: Below this width the two responses are stacked.
WIDE = 100
#: The question when the task has no rubric.
DEFAULT_QUESTION = "Which response is better?"


class PairwiseHelp(ModalScreen[None]):
    """Every key of the pairwise screen (as the user's keymap has it); help.close closes it."""

    ACTIONS = HELP
    BINDINGS = bindings(ACTIONS)

    def compose(self) -> ComposeResult:
        lines = [Content.styled("Pairwise keys", "bold")]
        for keys, what in help_rows(self.app, PAIRWISE):
            lines.append(Content.assemble(Content.styled(f"  {keys:<4}", "bold $accent"), what))
        lines.append(Content.styled("Versions are never shown; sides are shuffled.", "dim"))
        yield Static(Content("\n").join(lines), id="pw-help")

    def action_close(self) -> None:
        self.dismiss(None)


class PairwiseScreen(Screen[None]):
    """Renders a PairwiseSession; every key calls one session method, then redraws."""

    BINDINGS = bindings(PAIRWISE)

    def __init__(self, session: PairwiseSession, rubric: Rubric | None) -> None:
        super().__init__()
        self.session = session
        self.rubric = rubric

    def compose(self) -> ComposeResult:
        yield Static(id="pw-header")
        with SectionBox(id="pw-input-box", classes="section"):
            yield ItemSection(id="pw-input")
        with SectionBox(id="pw-context-box", classes="section"):
            yield ItemSection(id="pw-context")
        with Horizontal(id="pw-responses"):
            with SectionBox(id="pw-r1-box", classes="section response"):
                yield ItemSection(id="pw-r1")
            with SectionBox(id="pw-r2-box", classes="section response"):
                yield ItemSection(id="pw-r2")
        yield Static(id="pw-done")
        yield Static(id="pw-question")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pw-input-box").border_title = "input"
        self.query_one("#pw-context-box").border_title = "context"
        self.query_one("#pw-r1-box").border_title = "Response 1"
        self.query_one("#pw-r2-box").border_title = "Response 2"
        self._layout(self.size.width)
        self.redraw()

    def on_resize(self, event: Resize) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        self.set_class(width < WIDE, "narrow")

    def question(self) -> str:
        if self.rubric is None:
            return DEFAULT_QUESTION
        return self.rubric.pairwise_question or self.rubric.question

    def redraw(self) -> None:
        s = self.session
        voted, total = s.progress()
        shown = s.current()
        self.set_class(shown is None, "done")
        where = "all done" if shown is None else f"pair {shown.position + 1} of {total}"
        header = f" pairwise task {s.task.id} · {s.annotator} · {where} · {voted}/{total} voted"
        self.query_one("#pw-header", Static).update(Content(visible(header)))
        if shown is None:
            self.query_one("#pw-done", Static).update(
                Content(
                    "All done: every pair of this task has your vote (or was skipped).\n"
                    f"Every vote is saved. {self._keys('pairwise.undo')} goes back to the last "
                    f"one, {self._keys('pairwise.quit')} quits."
                )
            )
            self.query_one("#pw-question", Static).update(Content(""))
            return
        for name, text in (("input", shown.input), ("context", readable_json(shown.context))):
            box = self.query_one(f"#pw-{name}-box", SectionBox)
            box.display = bool(text.strip())
            self.query_one(f"#pw-{name}", ItemSection).show_text(text)
            box.scroll_home(animate=False)
        for name, text in (("r1", shown.response_1), ("r2", shown.response_2)):
            self.query_one(f"#pw-{name}", ItemSection).show_text(text)
            self.query_one(f"#pw-{name}-box", SectionBox).scroll_home(animate=False)
        if self.focused is None:
            self.query_one("#pw-r1-box").focus(scroll_visible=False)
        extra = []
        if shown.tags:
            extra.append("tags: " + ", ".join(shown.tags))
        if shown.comment:
            extra.append("comment saved with the vote")
        line = visible(self.question()) + self.key_hint()
        if extra:
            line += "   [" + visible("; ".join(extra)) + "]"
        self.query_one("#pw-question", Static).update(Content(line))

    def _keys(self, action_id: str) -> str:
        return shown_keys(self.app, next(a for a in PAIRWISE if a.id == action_id))

    def key_hint(self) -> str:
        """After the question, what the vote keys mean, as the user's keymap has them."""
        keys = [shown_keys(self.app, a) for a in PAIRWISE[:4]]
        words = ("Response 1", "Response 2", "tie", "both bad")
        return "  " + " · ".join(f"{k}: {w}" for k, w in zip(keys, words, strict=True))

    def _run(self, step: str, fn: object, *args: object) -> bool:
        """Run a session step; a store failure leaves the screen as it was, and says so."""
        try:
            fn(*args)  # type: ignore[operator]
        except AnnotateError as exc:
            self.notify(
                visible(str(exc)), markup=False, title=f"{step} not saved", severity="error"
            )
            return False
        return True

    # -- actions ----------------------------------------------------------------

    def action_vote(self, shown: str) -> None:
        if not self.session.done and self._run("vote", self.session.vote, shown):
            self.redraw()

    def action_skip(self) -> None:
        if not self.session.done and self._run("skip", self.session.skip):
            self.redraw()

    def action_undo(self) -> None:
        if not self.session.actions:
            self.notify("nothing to undo", timeout=2)
            return
        if self._run("undo", self.session.undo):
            self.redraw()

    def action_tags(self) -> None:
        if self.session.done:
            return
        if self.rubric is None or not self.rubric.tags:
            self.notify("this task's rubric has no failure tags", timeout=3)
            return

        def chosen(tags: tuple[str, ...] | None) -> None:
            if tags is not None and self._run("tags", self.session.set_tags, tags):
                self.redraw()

        from tui_annotate.tui.dialogs.tags import TagPickerScreen

        self.app.push_screen(TagPickerScreen(self.rubric.tags, self.session.tags), chosen)

    def action_comment(self) -> None:
        if self.session.done:
            return

        def saved(text: str | None) -> None:
            if text is not None and text != self.session.comment:
                self._run("comment", self.session.set_comment, text)
                self.redraw()

        from tui_annotate.tui.dialogs.comment import CommentScreen

        self.app.push_screen(CommentScreen(self.session.comment), saved)

    def action_help(self) -> None:
        self.app.push_screen(PairwiseHelp())

    async def action_quit(self) -> None:
        self.app.exit()
