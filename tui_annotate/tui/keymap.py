"""The keys a user remapped in `[keymap]`, checked against every screen's and dialog's actions.

A keymap is refused whole, at start, with every problem named (the file,
the keys, the actions), rather than found by an annotator mid-shift: an
unknown action id, a key name Textual does not know, a key the app keeps
for itself or the rubric rates or tags with, two actions of one screen (or
one dialog: only its keys are live while it is open) on one key, a key
that types text given to the comment editor.
What passes is handed to Textual's `App.set_keymap` by binding id, so the
footer shows it; the help screen and the palette read the same mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.keys import Keys, _character_to_key, key_to_character

from tui_annotate.config import KeyChoice
from tui_annotate.core.models import Rubric
from tui_annotate.errors import InputError
from tui_annotate.tui.actions import (
    ADJUDICATE,
    APP_KEYS,
    DIALOGS,
    RATE,
    TABLES,
    TYPING,
    Action,
    RatingKeys,
)

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
#: Key names Textual knows besides characters: escape, enter, f1, home, pageup…
NAMED_KEYS = frozenset(k.value.rpartition("+")[2] for k in Keys)
#: Which screens rate with the rubric's scale, and through which action.
RATING: Mapping[str, RatingKeys] = {"annotate": RATE, "review": ADJUDICATE}
#: Keys a text editor types or erases with besides the printable characters.
EDITING_KEYS = frozenset({"enter", "backspace", "delete"})
#: The tag picker's rows for the rubric's tags, each toggled by its key (not remappable).
TAG_PREFIX = "tags.toggle."


@dataclass(frozen=True, slots=True)
class Bound:
    """An action with the keys it has now and where they came from."""

    screen: str
    action: Action
    #: Textual key names, comma-separated.
    keys: str
    #: "default", "project", "user" or "rubric".
    origin: str
    file: str | None = None

    @property
    def where(self) -> str:
        return f"{self.origin} ({self.file})" if self.file else self.origin


def known_key(key: str) -> bool:
    """Whether Textual can deliver KEY: a character, a named key, with modifiers."""
    *mods, base = key.split("+")
    if not base or any(m not in MODIFIERS for m in mods):
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    return base in NAMED_KEYS or key_to_character(base) is not None


def types_text(key: str) -> bool:
    """Whether KEY (a Textual name) types into a text area: a printable character, shifted
    or not, space, Enter, Backspace or Delete."""
    *mods, base = key.split("+")
    if any(m != "shift" for m in mods):
        return False
    if base in EDITING_KEYS or len(base) == 1:
        return True
    character = key_to_character(base)
    return character is not None and character.isprintable()


def normalize(keys: str) -> list[str]:
    """'?, ctrl+z' -> ['question_mark', 'ctrl+z']: the names Textual matches key presses by."""
    # Textual's own spelling of a character key; App.set_keymap applies the same.
    return [
        _character_to_key(k) if len(k) == 1 else k for k in (p.strip() for p in keys.split(","))
    ]


def _line(choice: KeyChoice) -> str:
    return f'{choice.file}: [keymap] {choice.action} = "{choice.keys}"'


def resolve(choices: Sequence[KeyChoice], rubric: Rubric | None = None) -> list[Bound]:
    """Every action of every screen with its keys, after CHOICES; InputError names each clash.

    With RUBRIC, its rating keys are listed too (origin "rubric") and no action may take one.
    """
    ids = {a.id: screen for screen, table in TABLES.items() for a in table}
    problems: list[str] = []
    chosen: dict[str, KeyChoice] = {}
    for choice in choices:
        if choice.action not in ids:
            if choice.action.startswith(("rate.", "review.adjudicate.")):
                why = "rating keys stay the rubric's (set `key` on the scale in the rubric file)"
            elif choice.action.startswith(TAG_PREFIX):
                why = "tag keys stay the rubric's (set `key` on the tag in the rubric file)"
            else:
                why = f"no such action (`tui-annotate keys` lists them: {', '.join(ids)})"
            problems.append(f"{_line(choice)}: {why}")
            continue
        if not _default_keys(choice.action):
            problems.append(f"{_line(choice)}: this action has no key, only its palette entry")
            continue
        bad = [k for k in normalize(choice.keys) if not known_key(k)]
        if bad:
            names = ", ".join(f'"{k}"' for k in bad)
            problems.append(f"{_line(choice)}: Textual knows no key {names}")
            continue
        typing = [k for k in normalize(choice.keys) if types_text(k)]
        if ids[choice.action] in TYPING and typing:
            names = ", ".join(f'"{k}"' for k in typing)
            problems.append(
                f"{_line(choice)}: {names} types text in the {ids[choice.action]} editor; "
                "choose a key with ctrl or alt, or a function key"
            )
            continue
        chosen[choice.action] = choice

    bound: list[Bound] = []
    for screen, table in TABLES.items():
        on_screen = _rating_rows(screen, rubric) + _tag_rows(screen, rubric)
        for action in table:
            mine = chosen.get(action.id)
            if mine is None:
                on_screen.append(Bound(screen, action, action.key, "default"))
            else:
                keys = ",".join(normalize(mine.keys))
                on_screen.append(Bound(screen, action, keys, mine.origin, mine.file))
        problems += _clashes(on_screen, rubric, chosen)
        bound += on_screen
    if problems:
        raise InputError("the keymap is refused:\n  " + "\n  ".join(problems))
    return bound


def _default_keys(action_id: str) -> str:
    return next(a.key for table in TABLES.values() for a in table if a.id == action_id)


def _rating_rows(screen: str, rubric: Rubric | None) -> list[Bound]:
    rating = RATING.get(screen)
    if rubric is None or rating is None:
        return []
    rows = []
    for level in rubric.scale:
        action = Action(
            f"{rating.id_prefix}{level.value}",
            level.key,
            rating.description,
            f"{rating.verb}: {level.value} {level.label}",
            rating.tooltip(level.value, level.label),
        )
        rows.append(Bound(screen, action, level.key, "rubric", f"{rubric.name} {rubric.version}"))
    return rows


def _tag_rows(screen: str, rubric: Rubric | None) -> list[Bound]:
    if rubric is None or screen != "tags":
        return []
    source = f"{rubric.name} {rubric.version}"
    return [
        Bound(
            screen,
            Action(
                f"{TAG_PREFIX}{tag.name}",
                tag.key,
                "toggle",
                f"Tag: {tag.name}",
                "Tick or untick it",
            ),
            tag.key,
            "rubric",
            source,
        )
        for tag in rubric.tags
    ]


def _clashes(
    rows: Sequence[Bound], rubric: Rubric | None, chosen: Mapping[str, KeyChoice]
) -> list[str]:
    """Two actions of one screen on one key, where a user's choice is one of them."""
    holders: dict[str, list[Bound]] = {}
    for row in rows:
        for key in normalize(row.keys) if row.keys else []:
            holders.setdefault(key, []).append(row)
    problems = []
    for row in rows:
        choice = chosen.get(row.action.id)
        if choice is None:
            continue
        for key in normalize(row.keys):
            if key in APP_KEYS:
                problems.append(f"{_line(choice)}: {key} is {APP_KEYS[key]}'s, on every screen")
            others = [o for o in holders[key] if o is not row]
            for other in others:
                if other.origin == "rubric":
                    name = rubric.name if rubric is not None else "the rubric"
                    what = other.action.title.partition(": ")[2]
                    problems.append(
                        f"{_line(choice)}: {key} toggles the tag {what} on {name} (tag keys "
                        "stay the rubric's)"
                        if other.action.id.startswith(TAG_PREFIX)
                        else f"{_line(choice)}: {key} rates {what} on {name} (rating keys stay "
                        "the rubric's)"
                    )
                elif other.action.id < row.action.id or other.action.id not in chosen:
                    # Each pair once: from the side the user chose (or the first of two).
                    problems.append(
                        f"{_line(choice)}: {key} is also {other.action.id}'s key on the "
                        f"{row.screen} {'dialog' if row.screen in DIALOGS else 'screen'} "
                        f"(from {other.where})"
                    )
    return problems


def remapped(bound: Sequence[Bound]) -> dict[str, str]:
    """What App.set_keymap takes: binding id -> keys, for the actions a user moved."""
    return {b.action.id: b.keys for b in bound if b.origin in ("project", "user")}


def check(choices: Sequence[KeyChoice], rubric: Rubric | None) -> dict[str, str]:
    """The keymap an app starts with, or InputError (exit 2) before anything is drawn."""
    return remapped(resolve(choices, rubric))
