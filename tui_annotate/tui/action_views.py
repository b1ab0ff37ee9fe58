"""What the action tables become: a screen's bindings, the help screen's rows, the palette.

Generated from tui/actions.py, with the keys the app has now (a user's
[keymap], applied by binding id) so footer, help and palette agree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType

from tui_annotate.core.models import Rubric
from tui_annotate.tui.actions import PALETTE_ROW, TABLES, Action, RatingKeys

if TYPE_CHECKING:
    from textual.app import App, SystemCommand
    from textual.screen import Screen


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


#: How a dialog's hint line names a key ("Esc", not "esc"): words in a sentence, not a footer.
_SPOKEN = {"escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Space"}


def spoken(key: str) -> str:
    """One key as a dialog's hint line writes it: 'ctrl+s' as 'Ctrl+S', 'escape' as 'Esc',
    'f2' as 'F2', 'question_mark' as '?'."""
    from textual.keys import format_key

    *mods, base = key.strip().split("+")
    name = _SPOKEN.get(base) or format_key(base)
    if base[:1] == "f" and base[1:].isdigit():
        name = base.upper()  # F2, as on the keyboard
    if not mods:
        return name
    return "+".join([*(m.capitalize() for m in mods), name.upper() if len(name) == 1 else name])


def spoken_keys(app: App[Any], action: Action) -> list[str]:
    """ACTION's keys in APP now (after the user's [keymap]), as a hint line writes them."""
    return [spoken(k) for k in keys_now(app, action).split(",") if k.strip()]


#: "{tags.confirm}" in a help line: another action's keys, named by its id.
_KEYS_OF = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")


def _action(action_id: str) -> Action:
    return next(a for table in TABLES.values() for a in table if a.id == action_id)


def help_line(app: App[Any], action: Action) -> str:
    """ACTION's help line with the keys it names as the app has them now: a remapped
    `tags.confirm` reads "Ctrl+S confirms", never the default's "Enter confirms"."""

    def keys(match: re.Match[str]) -> str:
        return " or ".join(spoken_keys(app, _action(match.group(1))))

    return _KEYS_OF.sub(keys, action.help)


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
            rows[-1] = (f"{rows[-1][0]} / {keys}", rows[-1][1])
        else:
            rows.append((keys, help_line(app, action)))
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
        # One entry per action: its own keys, never the footer's shorthand for a group ("1-4").
        keys = display(keys_now(app, action))
        help_text = f"{action.tooltip} ({keys})" if keys else action.tooltip
        yield SystemCommand(action.title, help_text, run(action.runs))


def dialog_palette(app: App[Any], screen: Screen[Any]) -> Iterator[SystemCommand]:
    """The palette's commands over a dialog: its ACTIONS table (tui/dialogs/), if it has one."""
    table: Sequence[Action] = getattr(screen, "ACTIONS", ())
    yield from palette(app, screen, table, None)
