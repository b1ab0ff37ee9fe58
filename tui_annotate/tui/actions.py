"""Every action of every screen, defined once: bindings, help and palette are generated here.

One row per action (harlequin's `actions.py`): its id (the binding id, and
the name a user remaps in `[keymap]`), its default keys, the footer's word,
the palette's "Verb: object" title and help, and the help screen's line. A
screen's BINDINGS come from `bindings()`, the command palette from
`palette()`, the help screen from `help_rows()`; tests/tui/test_actions.py
checks that every action is reachable from all three. Rating keys are not
rows: they come from the rubric (`rating_bindings`).

No Textual import at module level beyond `Binding`: the `keys` command and
the keymap check read these tables without starting an app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType

from tui_annotate.core.models import Rubric

if TYPE_CHECKING:
    from textual.app import App, SystemCommand
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a person can do on a screen."""

    id: str
    #: Default keys, Textual key names, comma-separated; "" = the palette only.
    key: str
    #: The footer's word (and the binding's description).
    description: str
    #: The command palette's "Verb: object".
    title: str
    #: The palette's help line, also the footer's tooltip.
    tooltip: str
    #: The help screen's line; consecutive actions with the same line share one row.
    help: str = ""
    #: Shown in the footer.
    show: bool = True
    #: The Textual action it runs; default: the id's last part.
    action: str = ""
    #: Runs as the key arrives, before keys queued behind it (screens that open a dialog).
    priority: bool = False
    #: How the default key is written in the footer ("?" for question_mark).
    key_display: str | None = None

    @property
    def runs(self) -> str:
        return self.action or self.id.rpartition(".")[2]

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.runs,
            self.description,
            show=self.show,
            key_display=self.key_display,
            priority=self.priority,
            id=self.id,
            tooltip=self.tooltip,
        )


def _a(id: str, key: str, description: str, title: str, tooltip: str, **kw: Any) -> Action:
    return Action(id, key, description, title, tooltip, **kw)


#: The annotation screen, in footer (and palette) order after the rating keys.
ANNOTATE = (
    _a(
        "tags",
        "t",
        "tags",
        "Tags: pick",
        "Choose failure tags for this item",
        help="tags: pick failure tags (each tag has a key; Enter confirms)",
        priority=True,
    ),
    _a(
        "comment",
        "c",
        "comment",
        "Comment: edit",
        "Write a comment for this item",
        help="comment: write a comment for this item's label",
        priority=True,
    ),
    _a(
        "undo",
        "u",
        "undo",
        "Label: undo",
        "Retract the last label and go back to it",
        help="undo: go back to the last item you rated or skipped and retract that label",
    ),
    _a(
        "skip",
        "s",
        "skip",
        "Item: skip",
        "Park this item",
        help="skip: park this item (r on the all-done screen brings skipped items back)",
    ),
    _a(
        "flag",
        "f",
        "flag",
        "Item: flag",
        "Flag for expert review, or unflag",
        help="flag: mark the item for expert review (press again to unflag)",
    ),
    _a(
        "next",
        "n",
        "next",
        "Item: next",
        "Next item without rating",
        help="next / previous item without rating",
        show=False,
    ),
    _a(
        "previous",
        "p",
        "prev",
        "Item: previous",
        "Previous item",
        help="next / previous item without rating",
        show=False,
    ),
    _a(
        "examples",
        "e",
        "examples",
        "Examples: toggle",
        "Show or hide the few-shot examples",
        help="examples: show or hide the few-shot examples",
        show=False,
        action="toggle_examples",
    ),
    _a(
        "markdown",
        "m",
        "markdown",
        "Markdown: toggle",
        "Render the output as Markdown or raw",
        help="markdown: render the output as Markdown, or show it raw",
        show=False,
        action="toggle_markdown",
    ),
    _a(
        "help",
        "question_mark",
        "help",
        "Help: show",
        "All keys and the rubric's scale",
        help="this help",
        key_display="?",
        priority=True,
    ),
    _a(
        "show_results",
        "",
        "results",
        "Results: show",
        "Your last calibration round's agreement",
        action="app.show_results",
        show=False,
    ),
    _a(
        "quit",
        "q",
        "quit",
        "App: quit",
        "Quit (every label is already saved)",
        help="quit: every label is already saved; reopen to resume",
    ),
)

#: The review screen (`calibrate review`), after the rubric's adjudication keys.
REVIEW = (
    _a("review.note", "c", "note", "Note: edit", "The note the golden label will carry"),
    _a("review.next", "n", "next", "Item: next", "Next item without adjudicating"),
    _a("review.previous", "p", "prev", "Item: previous", "Previous item"),
    _a("review.quit", "q", "quit", "App: quit", "Quit (every golden label is already saved)"),
)

#: A closed round's results (`calibrate show`, or over the annotation app).
RESULTS = (_a("results.quit", "q,escape", "quit", "App: quit", "Close the results"),)

#: Every table by the screen it belongs to: what `[keymap]` may name.
TABLES: Mapping[str, Sequence[Action]] = {
    "annotate": ANNOTATE,
    "review": REVIEW,
    "results": RESULTS,
}

#: Keys the app itself holds on every screen: no action may take them.
APP_KEYS = {"ctrl+p": "the command palette", "ctrl+q": "Textual's quit"}

#: The help screen's row for the palette, which is the App's key, not a screen's.
PALETTE_ROW = ("ctrl+p", "command palette: every action by name")


@dataclass(frozen=True, slots=True)
class RatingKeys:
    """How a screen turns the rubric's scale into keys: one action, one binding per point."""

    action: str
    id_prefix: str
    description: str
    verb: str
    tooltip: Callable[[int, str], str]
    help: Callable[[int, str, str], str]


RATE = RatingKeys(
    "rate",
    "rate.",
    "rate",
    "Rate",
    lambda v, label: f"{v} {label}",
    lambda v, label, description: description,
)
ADJUDICATE = RatingKeys(
    "adjudicate",
    "review.adjudicate.",
    "adjudicate",
    "Adjudicate",
    lambda v, label: f"Golden label {v} {label}",
    lambda v, label, description: f"Golden label {v} for this item, with the note",
)


def key_range(rubric: Rubric) -> str:
    """'1-5' for a run of digit keys, else the keys joined by '/': the footer's one entry."""
    keys = sorted(level.key for level in rubric.scale)
    if all(k.isdigit() for k in keys) and len(keys) > 2:
        return f"{keys[0]}-{keys[-1]}"
    return "/".join(keys)


def rating_bindings(rubric: Rubric, rating: RatingKeys) -> list[Binding]:
    """One binding per point of the scale; the first stands in the footer for all of them."""
    out = []
    for i, level in enumerate(rubric.scale):
        first = i == 0
        out.append(
            Binding(
                level.key,
                f"{rating.action}({level.value})",
                rating.description if first else "",
                show=first,
                key_display=key_range(rubric) if first else None,
                id=f"{rating.id_prefix}{level.value}",
                tooltip=rating.tooltip(level.value, level.label),
            )
        )
    return out


def bindings(table: Sequence[Action]) -> list[BindingType]:
    return [a.binding() for a in table if a.key]


@functools.cache
def _screen_for(cls: Any, rating: tuple[Binding, ...], table: tuple[Action, ...]) -> Any:
    # A subclass per scale: its class BINDINGS lead with the rubric's keys (the footer
    # shows them first), built by Textual's public path rather than edited afterwards.
    namespace = {"BINDINGS": [*rating, *bindings(table)], "__module__": cls.__module__}
    return type(cls.__name__, (cls,), namespace, inherit_bindings=False)


def with_rating_keys(
    cls: Any, rubric: Rubric, rating: RatingKeys, table: Sequence[Action]
) -> type[Any]:
    """CLS, as a subclass whose bindings are RUBRIC's rating keys and then TABLE's."""
    return _screen_for(cls, tuple(rating_bindings(rubric, rating)), tuple(table))


# -- the keys an app actually uses (after the user's [keymap]) ---------------------------


def keys_now(app: App[Any], action: Action) -> str:
    """The keys ACTION has in APP now, comma-separated Textual names ('' when it has none)."""
    keymap: Mapping[str, str] = getattr(app, "keymap", {})
    return keymap.get(action.id, action.key)


def display(keys: str, key_display: str | None = None) -> str:
    """Keys as a person reads them: 'question_mark' as '?', 'ctrl+z,u' as 'ctrl+z, u'."""
    from textual.keys import format_key

    if key_display is not None:
        return key_display
    return ", ".join(format_key(k.strip()) for k in keys.split(",") if k.strip())


def shown_keys(app: App[Any], action: Action) -> str:
    keys = keys_now(app, action)
    return display(keys, action.key_display if keys == action.key else None)


def help_rows(app: App[Any], table: Sequence[Action]) -> list[tuple[str, str]]:
    """(keys, line) for the help screen: actions sharing a line share a row; the palette's
    row just before help's own."""
    rows: list[tuple[str, str]] = []
    last = ""
    for action in table:
        if not action.help:
            continue
        if action.id == "help":
            rows.append(PALETTE_ROW)
        keys = shown_keys(app, action)
        if action.help == last:
            rows[-1] = (f"{rows[-1][0]} / {keys}", action.help)
        else:
            rows.append((keys, action.help))
        last = action.help
    return rows


def palette(
    app: App[Any],
    screen: Screen[Any],
    table: Sequence[Action],
    rubric: Rubric | None,
    rating: RatingKeys | None = None,
) -> Iterator[SystemCommand]:
    """The palette's commands for SCREEN: the scale's points, then every action it allows now."""
    from textual.app import SystemCommand

    def run(action: str) -> Callable[[], object]:
        return functools.partial(app.run_action, action, screen)

    if rubric is not None and rating is not None and screen.check_action(rating.action, ()):
        for level in rubric.scale:
            yield SystemCommand(
                f"{rating.verb}: {level.value} {level.label}",
                rating.help(level.value, level.label, level.description),
                run(f"{rating.action}({level.value})"),
            )
    for action in table:
        if screen.check_action(action.runs, ()) is False:
            continue
        keys = shown_keys(app, action)
        help_text = f"{action.tooltip} ({keys})" if keys else action.tooltip
        yield SystemCommand(action.title, help_text, run(action.runs))
