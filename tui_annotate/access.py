"""Who is at the keyboard and what they may do: the login is the annotator, leads run the project.

On a team host annotators arrive over SSH, so the account sshd logged in is
the one identity nobody can type differently by accident. The lead's
commands (import, rounds, review, the judge, exports) change or take away the
whole project's data, so a project that names its leads keeps everyone else
to annotating. This is a guard against mistakes, not a security boundary:
anyone who can write the database file can change it; on a team host
ForceCommand is what keeps annotators to the app (README: "Running a team
host").
"""

from __future__ import annotations

import getpass
import os
import pwd
from pathlib import Path

from tui_annotate.config import CONFIG_FILE, Settings
from tui_annotate.core import names
from tui_annotate.errors import AnnotateError


class AccessError(AnnotateError):
    """A command this login may not run here (bad usage: exit 2, like the contract's refusals)."""


def login_name() -> str:
    """The account this process runs as: on a team host, the SSH login.

    From the real uid, not from $USER or $LOGNAME: sshd sets those to the
    login too, but anyone can export a different one; the uid is what sshd
    authenticated. A uid without a passwd entry (some containers) falls back
    to getpass, which reads the environment.
    """
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return getpass.getuser()


def annotator_name(flag: str | None, settings: Settings, option: str = "--annotator") -> str:
    """The name on this session's labels: the login, or OPTION's value where the project allows."""
    login = login_name()
    if flag is not None and settings.annotators_from_login and flag.strip() != login:
        raise AccessError(
            f"{option} is turned off in this project ({config_path()}: "
            f"annotators_from_login = true); you work as your login, {login!r}"
        )
    return names.check((flag if flag is not None else login).strip(), field=option)


def is_lead(settings: Settings, login: str | None = None) -> bool:
    """True when the project names no leads (one person's project) or names this login."""
    return not settings.leads or (login or login_name()) in settings.leads


def require_lead(command: str, settings: Settings) -> None:
    """Refuse COMMAND, with a message saying who may run it and where that is set."""
    login = login_name()
    if is_lead(settings, login):
        return
    raise AccessError(
        f"'{command}' is for the project's leads ({', '.join(settings.leads)}, named in "
        f"{config_path()}); you are logged in as {login!r}. Ask a lead to run it."
    )


def config_path() -> Path:
    """The project file the settings came from (the current directory's, see config.load)."""
    return Path.cwd() / CONFIG_FILE
