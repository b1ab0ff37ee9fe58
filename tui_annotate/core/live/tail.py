"""Reading a growing log file by byte offset: its identity, its complete lines, its rotation.

A file is known by (device, inode, hash of its first line): a rename keeps
all three, so a rotated file is finished from where it was left; a
copy-and-truncate gives the original a new first line (a new identity) and
the copy a new inode with the old first line, so the copy is recognised as
the rest of the file that was being read. Only complete lines (ending in a
newline) are taken while the file may still grow; a file no longer written
(rotated away and quiet) gives up its unterminated last line too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tui_annotate.core.live.batch import Identity

#: Bytes read from a file per poll (more are read when one line is longer).
READ_BYTES = 4 * 1024 * 1024
#: The first line is hashed up to this many bytes (enough to tell two logs apart).
HEAD_BYTES = 64 * 1024


def head_of(f: BinaryIO) -> tuple[str, int] | None:
    """(hash, length) of F's first line, None until it is complete (ends in a newline)."""
    data = os.pread(f.fileno(), HEAD_BYTES, 0)
    end = data.find(b"\n")
    if end < 0:
        if len(data) < HEAD_BYTES:
            return None
        end = HEAD_BYTES - 1  # a first line longer than that: its start is identity enough
    return hashlib.sha256(data[: end + 1]).hexdigest()[:32], end + 1


#: Bytes before an offset whose hash tells a file's copy from another file.
TAIL_BYTES = 256


def tail_hash(f: BinaryIO, offset: int) -> str:
    """Hash of the TAIL_BYTES of F just before OFFSET ('' when F is shorter than OFFSET)."""
    start = max(0, offset - TAIL_BYTES)
    data = os.pread(f.fileno(), offset - start, start)
    if len(data) != offset - start:
        return ""
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass
class Tailed:
    """A file being followed: the open descriptor survives a rename or a deletion."""

    path: Path
    f: BinaryIO
    device: int
    inode: int
    head: str
    head_len: int
    offset: int
    line: int
    #: The stored identity this file takes over (it is a copy of a truncated file).
    replaces: Identity | None = None
    #: When it stopped being the followed path (rotated, deleted), by the follower's clock.
    retired_since: float | None = None
    #: When unread bytes were first seen (the follower's lag), None when caught up.
    behind_since: float | None = None
    last_size: int = 0
    last_growth: float = 0.0

    @property
    def identity(self) -> Identity:
        return (self.device, self.inode, self.head)

    def size(self) -> int:
        return os.fstat(self.f.fileno()).st_size

    def head_changed(self) -> bool:
        """Whether the file was truncated or rewritten under us (its first line differs)."""
        data = os.pread(self.f.fileno(), self.head_len, 0)
        if len(data) < self.head_len:
            return True
        return hashlib.sha256(data).hexdigest()[:32] != self.head

    def unread(self, *, final: bool) -> tuple[bytes, bool]:
        """The complete lines after the offset (and, when FINAL, an unterminated last
        line), and whether more is left to read than was returned."""
        size = self.size()
        if size <= self.offset:
            return b"", False
        fd = self.f.fileno()
        data = os.pread(fd, min(size - self.offset, READ_BYTES), self.offset)
        end = data.rfind(b"\n")
        while end < 0 and self.offset + len(data) < size:  # one line longer than a read
            more = os.pread(fd, READ_BYTES, self.offset + len(data))
            if not more:
                break
            newline = more.find(b"\n")
            data += more
            if newline >= 0:
                end = len(data) - len(more) + newline
        if end < 0:
            return (data, False) if final and data else (b"", False)
        return data[: end + 1], self.offset + end + 1 < size

    def close(self) -> None:
        self.f.close()


def split_lines(data: bytes, first_offset: int) -> Iterator[tuple[int, bytes]]:
    """(byte offset, line) for each line of DATA, which starts at FIRST_OFFSET in its file."""
    at = 0
    while at < len(data):
        end = data.find(b"\n", at)
        stop = len(data) if end < 0 else end + 1
        yield first_offset + at, data[at:stop]
        at = stop
