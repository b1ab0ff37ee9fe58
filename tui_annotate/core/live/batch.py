"""What one poll of a follower hands the store: per file, its items, bad lines and new offset.

Plain data shared by the follower (core/live/follow.py) and the store
(store/follow.py), so that the items of a stretch of a file and the offset
just past it are written in one transaction, and a crash leaves both or
neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui_annotate.core.models import NewItem

#: (device, inode, hash of the first line): a file's identity across renames.
Identity = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class FileOffset:
    """How far a followed file has been imported: bytes and complete lines."""

    device: int
    inode: int
    head_hash: str
    path: str
    byte_offset: int
    line: int
    #: Hash of the last TAIL_BYTES before the offset (fewer at a file's start): a copy of
    #: the file (copy-and-truncate) holds the same bytes there, an unrelated file does not.
    tail_hash: str = ""

    @property
    def identity(self) -> Identity:
        return (self.device, self.inode, self.head_hash)


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that could not be imported, as the quarantine keeps it."""

    file: str
    line: int
    byte_offset: int
    reason: str
    field: str | None
    raw: str


@dataclass(slots=True)
class FilePart:
    """One file's share of a poll: the good items, the bad lines, and the offset after them.

    `lines` maps a line number to (byte offset, raw text) for the items, so that
    an item the store refuses (its id names other content) can be quarantined
    with its place in the file.
    """

    offset: FileOffset
    items: list[NewItem] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    lines: dict[int, tuple[int, str]] = field(default_factory=dict)
    #: The stored identity this file takes over (a copy-and-truncate's copy), if any.
    replaces: Identity | None = None


@dataclass(frozen=True, slots=True)
class LiveCommit:
    """What one poll's transaction wrote."""

    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    routed: int = 0


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A quarantined line, as `quarantine` lists it."""

    id: int
    file: str
    line: int
    byte_offset: int
    reason: str
    field: str | None
    raw: str
    created_at: str
    status: str
    retries: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "line": self.line,
            "byte_offset": self.byte_offset,
            "reason": self.reason,
            "field": self.field,
            "raw": self.raw,
            "created_at": self.created_at,
            "status": self.status,
            "retries": self.retries,
        }
