"""Where a command's output file goes: replaced atomically when it is a file, written straight when not.

Writing a temporary file beside the target and renaming it over is right
for a regular file (a reader never sees half of it) and disastrous for
anything else: `export -o /dev/null` run as root once replaced the machine's
/dev/null with a regular file, and `-o /dev/stdout` would replace that link.
So every command that writes a file asks `target()` first:

- a new path, or a regular file (also through a symlink: the file it points
  at is replaced and the link kept) → temp file beside it, then rename;
- a character device, a FIFO or a terminal (also `/dev/stdout` and friends,
  whatever they point at) → opened and written straight, never renamed;
- `-` → standard output;
- a directory, a block device, a socket, a path whose directory is missing
  → refused (exit 2), nothing written.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from tui_annotate.errors import InputError

Kind = Literal["stdout", "replace", "stream"]

#: Files the kernel makes up on the fly: a rename can't go there, and their
#: links (/dev/stdout → /proc/self/fd/1 → pipe:[…]) must never be followed to a rename.
_VIRTUAL = ("/proc/", "/dev/fd/", "/dev/std")


@dataclass(frozen=True, slots=True)
class Target:
    """Where and how to write: KIND, and the PATH to rename over or open."""

    kind: Kind
    path: Path
    #: What the user named, for messages.
    given: str
    #: What is there now (for messages): "a new file", "a FIFO", …
    what: str


def target(given: Path | str) -> Target:
    """Decide how to write GIVEN; InputError (exit 2) for what can't be written."""
    name = str(given)
    if name == "-":
        return Target("stdout", Path("-"), name, "standard output")
    path = Path(given)
    virtual = _through_virtual(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(
                "it is a symlink to a missing file; write to the file itself", file=name
            ) from None
        if not path.parent.is_dir():
            raise InputError(f"the directory {path.parent} does not exist", file=name) from None
        return Target("replace", path, name, "a new file")
    except OSError as exc:
        raise InputError(f"can't write here: {exc.strerror or exc}", file=name) from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise InputError("it is a directory; name a file to write", file=name)
    if stat.S_ISREG(mode):
        if virtual:
            # /dev/stdout redirected to a file: write through it, as `>` would.
            return Target("stream", path, name, "standard output (a file)")
        return Target("replace", Path(os.path.realpath(path)), name, "a file")
    if stat.S_ISCHR(mode):
        return Target("stream", path, name, "a terminal" if _is_tty(path) else "a character device")
    if stat.S_ISFIFO(mode):
        return Target("stream", path, name, "a FIFO (named pipe)")
    if stat.S_ISBLK(mode):
        raise InputError("it is a block device (a disk); refusing to write over it", file=name)
    if stat.S_ISSOCK(mode):
        raise InputError("it is a socket, which can't be opened as a file", file=name)
    raise InputError("it is not a file, a device or a pipe", file=name)


def _through_virtual(path: Path) -> bool:
    """True if PATH, or any link on the way to what it names, is a kernel-made file."""
    hop = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on symlink hops
        if hop.startswith(_VIRTUAL):
            return True
        try:
            link = os.readlink(hop)
        except OSError:  # not a link (or gone): the end of the chain
            break
        hop = os.path.normpath(os.path.join(os.path.dirname(hop), link))
    return os.path.realpath(path).startswith(_VIRTUAL)


def _is_tty(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


@contextmanager
def open_text(given: Path | str | None) -> Iterator[TextIO]:
    """Open GIVEN (None or '-': stdout) for UTF-8 text; see the module docstring for how.

    A replaced file appears whole, with the old file's permissions (a new
    one's follow the umask), or not at all: if the block raises, the
    temporary file is removed and the target is untouched.
    """
    where = target("-" if given is None else given)
    if where.kind == "stdout":
        yield sys.stdout
        sys.stdout.flush()
        return
    if where.kind == "stream":
        try:
            out = open(where.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise InputError(
                f"can't open {where.what}: {exc.strerror or exc}", file=where.given
            ) from None
        with out:
            yield out
        return
    yield from _replace(where)


def _replace(where: Target) -> Iterator[TextIO]:
    final = where.path
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    except OSError as exc:
        raise InputError(
            f"can't create a temporary file in {final.parent}: {exc.strerror or exc}",
            file=where.given,
        ) from None
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, _mode_for(final))
        _keep_owner(fd, final)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(final)  # a reader never sees half a file
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _mode_for(final: Path) -> int:
    """The replaced file's permissions, or a new file's under the umask (mkstemp's are 0600)."""
    try:
        return stat.S_IMODE(final.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _keep_owner(fd: int, final: Path) -> None:
    """A file replaced by root keeps its owner and group (a lead's cron job, say)."""
    try:
        st = final.stat()
    except FileNotFoundError:
        return
    if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(PermissionError):  # only root may give a file away
            os.fchown(fd, st.st_uid, st.st_gid)


def refuse_unless_file(given: Path | str, why: str) -> Path:
    """For a writer that needs a real file (backup: SQLite writes pages, not a stream).

    Returns the path to write (a symlink's target); refuses devices, FIFOs,
    terminals and standard output with a message saying WHY.
    """
    where = target(given)
    if where.kind != "replace":
        raise InputError(f"it is {where.what}; {why}", file=where.given)
    return where.path
