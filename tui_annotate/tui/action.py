"""One action of a screen (a row of the tables in tui/actions.py) and the binding it becomes;
and how a screen turns the rubric's scale into keys.

Apart from the tables so that they stay one screen's worth each to read. No
Textual import beyond `Binding`: the `keys` command reads these without an app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding


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
    #: "{tags.confirm}" in it stands for that action's keys as the app has them now.
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


def row(id: str, key: str, description: str, title: str, tooltip: str, **kw: Any) -> Action:
    return Action(id, key, description, title, tooltip, **kw)


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
