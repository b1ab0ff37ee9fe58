"""Settings, lowest to highest precedence: defaults < ./tui-annotate.toml < TUI_ANNOTATE_* env < flags.

The `[keymap]` table (action id = keys) is read from the user's
`$XDG_CONFIG_HOME/tui-annotate/keymap.toml` and then the project file, which
wins; only its shape is checked here: whether the ids and keys make sense
is the TUI's to say (tui/keymap.py), when an app starts or `keys` runs.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from tui_annotate.core.decide.config import ScorecardConfig, parse_scorecard
from tui_annotate.core.results.thresholds import PASS_ALPHA, TENTATIVE_ALPHA
from tui_annotate.errors import InputError

CONFIG_FILE = "tui-annotate.toml"
#: Who may do what is the project's, set by the lead in the file: an annotator's
#: environment variable must not turn the guard off (see tui_annotate.access).
FILE_ONLY = frozenset({"annotators_from_login", "leads"})
#: Tables, read from the file only: there is no sensible one-line environment form.
TABLES = frozenset({"keymap", "scorecard"})
#: A person's own key habits, under $XDG_CONFIG_HOME (default ~/.config).
USER_KEYMAP = Path("tui-annotate") / "keymap.toml"


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """One line of a [keymap] table: ACTION bound to KEYS (Textual names, comma-separated)."""

    action: str
    keys: str
    #: The file it was read from, and whether that is the "project" or the "user" file.
    file: str
    origin: str


@dataclass(frozen=True, slots=True)
class Settings:
    db: str = "annotations.db"
    rubrics: str = ""
    overlap: int = 1
    show_prompt_version: bool = False
    #: Gate live annotation on calibration even before a rubric's first round.
    require_calibration: bool = False
    #: Krippendorff's thresholds: alpha >= pass_alpha passes, >= tentative_alpha is tentative.
    pass_alpha: float = PASS_ALPHA
    tentative_alpha: float = TENTATIVE_ALPHA
    #: Share of live items given to one more annotator than the overlap, once a rubric is
    #: calibrated, so `agreement --live` can watch agreement drift.
    drift_share: float = 0.10
    #: `drift` alerts when the pass rate's drop lies wholly below -drift_margin, with at
    #: least drift_min_n labelled items in each window (flags --margin, --min-n).
    drift_margin: float = 0.05
    drift_min_n: int = 20
    #: A judge whose PASS/FAIL Cohen's kappa with people is below this is flagged untrustworthy.
    judge_min_kappa: float = 0.60
    #: A team host: the annotator is always the login (`--annotator` is refused).
    annotators_from_login: bool = False
    #: Logins allowed to run the lead's commands (import, rounds, judge, export…); empty = anyone.
    leads: tuple[str, ...] = ()
    #: An item held this long by someone who stopped answering (their app sends a heartbeat)
    #: goes to the next annotator who asks.
    lease_seconds: int = 600
    #: An item whose text (input, context and output) is larger than this many bytes is
    #: refused at import: a line that large is usually a mistake, and slow to read.
    max_item_bytes: int = 1_000_000
    #: Remapped keys, the user file's first and then the project file's (which win).
    keymap: tuple[KeyChoice, ...] = ()
    #: The `[scorecard]` table: what `gate` checks and how the composite weighs (file only).
    scorecard: ScorecardConfig = field(default_factory=ScorecardConfig)


def _coerce(name: str, value: Any, source: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "int":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise InputError(f"must be a whole number, not {value!r}", file=source, field=name)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InputError(
                f"must be a whole number, not {value!r}", file=source, field=name
            ) from None
        if number < 1:
            raise InputError("must be at least 1", file=source, field=name)
        return number
    if kind == "float":
        if isinstance(value, bool):
            raise InputError(f"must be a number, not {value!r}", file=source, field=name)
        try:
            share = float(value)
        except (TypeError, ValueError):
            raise InputError(f"must be a number, not {value!r}", file=source, field=name) from None
        if not 0.0 <= share <= 1.0:
            raise InputError(f"must be between 0 and 1, not {share}", file=source, field=name)
        return share
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise InputError(f"must be true or false, not {value!r}", file=source, field=name)
    if kind == "tuple[str, ...]":
        # A TOML array, or a comma-separated environment variable.
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(x, str) for x in items):
            raise InputError(f"must be a list of names, not {value!r}", file=source, field=name)
        return tuple(x.strip() for x in items if x.strip())
    return str(value)


def user_keymap_path(env: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """Where a person keeps their own keymap: $XDG_CONFIG_HOME/tui-annotate/keymap.toml."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_CONFIG_HOME") or ""
    if not base:
        base = str(Path(environ.get("HOME") or Path.home()) / ".config")
    return Path(base) / USER_KEYMAP


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None


def _keymap(table: Any, path: Path, origin: str, prefix: str = "") -> list[KeyChoice]:
    """ACTION = "KEYS" lines; `review.note = "x"` reads as a table in TOML, hence the prefix."""
    if not isinstance(table, dict):
        field = prefix.rstrip(".") or "keymap"
        raise InputError("must be a table of action = keys", file=str(path), field=field)
    out: list[KeyChoice] = []
    for name, value in table.items():
        if isinstance(value, dict):
            out += _keymap(value, path, origin, f"{prefix}{name}.")
            continue
        if not isinstance(value, str) or not value.strip():
            raise InputError(
                f'must be keys in quotes, like "x" or "ctrl+z,u", not {value!r}',
                file=str(path),
                field=f"keymap.{prefix}{name}",
            )
        out.append(KeyChoice(f"{prefix}{name}", value, str(path), origin))
    return out


def _merge_keymaps(user: list[KeyChoice], project: list[KeyChoice]) -> tuple[KeyChoice, ...]:
    mine = {c.action for c in project}
    return tuple([c for c in user if c.action not in mine] + project)


def load(cwd: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the project file and environment; flags are applied by the CLI on top."""
    settings = Settings()
    names = {f.name for f in fields(Settings)}
    path = (cwd or Path.cwd()) / CONFIG_FILE
    environ = os.environ if env is None else env
    user_path = user_keymap_path(environ)
    user: list[KeyChoice] = []
    if user_path.is_file():
        data = _read_toml(user_path)
        # The user file holds a [keymap] table, or the action = keys lines alone.
        table = data["keymap"] if list(data) == ["keymap"] else data
        user = _keymap(table, user_path, "user")
    project: list[KeyChoice] = []
    if path.is_file():
        data = _read_toml(path)
        for key, value in data.items():
            if key == "keymap":
                project = _keymap(value, path, "project")
                continue
            if key == "scorecard":
                settings = replace(settings, scorecard=parse_scorecard(value, str(path)))
                continue
            if key not in names:
                raise InputError(
                    f"unknown setting (known: {', '.join(sorted(names))})",
                    file=str(path),
                    field=key,
                )
            settings = replace(settings, **{key: _coerce(key, value, str(path))})
    settings = replace(settings, keymap=_merge_keymaps(user, project))
    for name in names - FILE_ONLY - TABLES:
        value = environ.get(f"TUI_ANNOTATE_{name.upper()}")
        if value is not None and value != "":
            settings = replace(
                settings, **{name: _coerce(name, value, f"TUI_ANNOTATE_{name.upper()}")}
            )
    return settings
