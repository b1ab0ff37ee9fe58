"""Open an input file once, whatever it is: a regular file, a FIFO, `<(cmd)`, or `-` for stdin.

A pipe can be read only once: checking a FIFO's first bytes and then opening
it again for the reader hung on a FIFO with a writer, and `<(cmd)` read as
empty the second time. So the readers open their source here, exactly once,
and every check on its content (empty? binary?) looks at the bytes they read.
Checks that need no reading (missing, a directory, a symlink loop) come from
stat, and each says what the path is.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from tui_annotate.errors import InputError

#: The path that means standard input.
STDIN = "-"
#: How much of the start of a source is looked at to tell text from a binary file.
HEAD_BYTES = 8192


def is_stdin(path: Path | str) -> bool:
    return str(path) == STDIN


def display_name(path: Path | str) -> str:
    """The name messages give the source: the path, or <stdin>."""
    return "<stdin>" if is_stdin(path) else str(path)


def is_regular(path: Path | str) -> bool:
    """True for a regular file (after symlinks): one that can be read twice and has a size."""
    if is_stdin(path):
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def line_bound(path: Path | str) -> int | None:
    """The most lines PATH can hold as it is now (its size in bytes, plus one), or None
    when that can't be known (a pipe, standard input, a device)."""
    if is_stdin(path):
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size + 1 if stat.S_ISREG(found.st_mode) else None


def check_path(path: Path | str, what: str) -> None:
    """Refuse, without opening it, a path that is not a source of WHAT ('items', 'labels')."""
    if is_stdin(path):
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(_reason(path, exc, what), file=display_name(path)) from None
    if stat.S_ISDIR(mode):
        raise InputError(f"is a directory, not a file of {what}", file=display_name(path))


@contextmanager
def open_source(path: Path | str, what: str) -> Iterator[BinaryIO]:
    """The source's bytes, opened once; standard input for '-' (left open afterwards)."""
    if is_stdin(path):
        yield sys.stdin.buffer
        return
    check_path(path, what)
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below, after the caller's block)
    except OSError as exc:
        raise InputError(_reason(path, exc, what), file=display_name(path)) from None
    with f:
        yield f


def check_head(head: bytes, path: Path | str, what: str) -> None:
    """Refuse a source whose first bytes (HEAD) show it is empty or not text."""
    if not head:
        raise InputError(f"is empty: no {what} to import", file=display_name(path))
    if b"\x00" in head[:HEAD_BYTES]:
        raise InputError("is a binary file, not JSONL or CSV text", file=display_name(path))


def _reason(path: Path | str, exc: OSError, what: str) -> str:
    """What the path is, in words, from the error opening or stat-ing it."""
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop (following its links leads back to a link already seen)"
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            return f"is a symbolic link to {os.readlink(path)}, which does not exist"
        return "no such file"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a part of the path is not a directory)"
    if exc.errno == errno.EISDIR:
        return f"is a directory, not a file of {what}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "can't be read: permission denied"
    return f"can't be read: {exc.strerror or exc}"
