"""Settings, lowest to highest precedence: defaults < ./tui-annotate.toml < TUI_ANNOTATE_* env < flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from tui_annotate.core.results.thresholds import PASS_ALPHA, TENTATIVE_ALPHA
from tui_annotate.errors import InputError

CONFIG_FILE = "tui-annotate.toml"
#: Who may do what is the project's, set by the lead in the file: an annotator's
#: environment variable must not turn the guard off (see tui_annotate.access).
FILE_ONLY = frozenset({"annotators_from_login", "leads"})


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


def load(cwd: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the project file and environment; flags are applied by the CLI on top."""
    settings = Settings()
    names = {f.name for f in fields(Settings)}
    path = (cwd or Path.cwd()) / CONFIG_FILE
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"not valid TOML: {exc}", file=str(path)) from None
        for key, value in data.items():
            if key not in names:
                raise InputError(f"unknown setting (known: {', '.join(sorted(names))})",
                                 file=str(path), field=key)  # fmt: skip
            settings = replace(settings, **{key: _coerce(key, value, str(path))})
    environ = os.environ if env is None else env
    for name in names - FILE_ONLY:
        value = environ.get(f"TUI_ANNOTATE_{name.upper()}")
        if value is not None and value != "":
            settings = replace(
                settings, **{name: _coerce(name, value, f"TUI_ANNOTATE_{name.upper()}")}
            )
    return settings
