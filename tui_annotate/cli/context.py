"""What every command shares: the settings context, error handling, the lead check, common options.

Command modules import this, never the group module (`cli.group`), so the
commands and the group that registers them form no import cycle.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tui_annotate import access, config
from tui_annotate.cli.output import say
from tui_annotate.core import names
from tui_annotate.core import rubric as rubrics
from tui_annotate.core.models import Rubric
from tui_annotate.errors import AnnotateError, InputError

if TYPE_CHECKING:
    from tui_annotate.core.results.thresholds import Thresholds
    from tui_annotate.store.repository import Repository

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What every command needs: settings (read when first needed, so --help always works)."""

    def __init__(self, db: str | None, rubrics_dir: str | None) -> None:
        self._db = db
        self._rubrics_dir = rubrics_dir
        self._settings: config.Settings | None = None

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            self._settings = config.load()
        return self._settings

    @property
    def db_path(self) -> Path:
        return Path(self._db or self.settings.db)

    @property
    def rubrics_dir(self) -> Path | None:
        chosen = self._rubrics_dir or self.settings.rubrics
        return Path(chosen) if chosen else None

    def require_db(self, hint: str = "") -> None:
        """Refuse (exit 2) when the database is missing, rather than create an empty one."""
        if not self.db_path.exists():
            raise InputError(f"no database at {self.db_path}{hint}")

    def rubric_dirs(self) -> list[Path]:
        return rubrics.search_path(self.rubrics_dir)

    def rubric(self, name: str) -> Rubric:
        return rubrics.find_rubric(name, self.rubric_dirs())

    @contextmanager
    def repo(self, *, readonly: bool = False) -> Iterator[Repository]:
        from tui_annotate.store.repository import Repository

        repo = Repository.open(self.db_path, readonly=readonly)
        try:
            yield repo
        finally:
            repo.close()


def fail(message: str, code: int = 2) -> NoReturn:
    # Messages quote the user's files (field names, ids): never let them drive the terminal.
    say(f"error: {message}", err=True)
    sys.exit(code)


def errors_to_exit(fn: F) -> F:
    """Turn AnnotateErrors into a message and the exit code the command contract names."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            if args and isinstance(args[0], Context):
                args[0].settings  # a broken config file is reported by every command  # noqa: B018
            return fn(*args, **kwargs)
        except AnnotateError as exc:
            fail(str(exc), exc.exit_code)

    return wrapper  # type: ignore[return-value]


def lead_only(command: str) -> Callable[[F], F]:
    """Refuse COMMAND to logins the project's tui-annotate.toml doesn't name as leads.

    Goes under @errors_to_exit, so the refusal is a message and exit 2.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(obj: Context, *args: Any, **kwargs: Any) -> Any:
            access.require_lead(command, obj.settings)
            return fn(obj, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def thresholds(obj: Context) -> Thresholds:
    """The project's alpha thresholds (calibrate close, agreement), checked for order."""
    from tui_annotate.core.results.thresholds import Thresholds

    s = obj.settings
    if s.tentative_alpha > s.pass_alpha:
        raise InputError("tentative_alpha must not exceed pass_alpha", field="tentative_alpha")
    return Thresholds(pass_at=s.pass_alpha, tentative_at=s.tentative_alpha)


def split_names(given: str | None, option: str = "--annotators") -> list[str] | None:
    """The names in a comma-separated OPTION, each held to the one annotator-name rule."""
    if given is None:
        return None
    return [names.check(n.strip(), field=option) for n in given.split(",") if n.strip()]


#: `annotate` and `serve` take the same overlap.
OVERLAP = click.option(
    "--overlap",
    type=click.IntRange(min=1),
    default=None,
    help="At most this many annotators per item [default: 1].",
)
