"""`import --follow`: import a log's lines as they are written, exactly once, without stopping.

Each poll finds the files (the followed file and its rotated siblings, or a
directory's `*.jsonl`), reads the complete lines after each one's stored
offset, and hands the store one batch: the good items, the bad lines (for
the quarantine: production must not stall on one bad record) and the new
offsets, written in one transaction (store/follow.py). So a `kill -9` at any
moment leaves every complete line either imported with its offset or
neither, and a restart continues from the offset: exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tui_annotate.core import ingest
from tui_annotate.core.clock import now
from tui_annotate.core.live.batch import BadLine, FileOffset, FilePart, Identity
from tui_annotate.core.live.quarantine import ROW_SOURCE, as_live
from tui_annotate.core.live.status import LiveStatus
from tui_annotate.core.live.tail import Tailed, head_of, split_lines, tail_hash
from tui_annotate.core.models import ROW_LINE
from tui_annotate.errors import InputError, StoreError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

#: Seconds between polls: lines appear in the database well within a second.
POLL_SECONDS = 0.25
#: A rotated file is closed once it has been quiet this long (its writer has moved on).
GRACE_SECONDS = 2.0


def sampler(share: float, seed: int) -> Callable[[str], bool]:
    """Whether an item (by content hash) is in the seeded human sample of SHARE.

    By hash, not by a random stream: a restart, or the same line seen again,
    makes the same choice.
    """
    cut = int(share * 16**15)

    def chosen(digest: str) -> bool:
        return int(hashlib.sha256(f"{seed}:{digest}".encode()).hexdigest()[:15], 16) < cut

    return chosen


@dataclass(frozen=True)
class FollowOptions:
    """What `import --follow` was asked to do."""

    path: Path
    prompt: str | None = None
    prompt_version: str | None = None
    max_item_bytes: int = ingest.DEFAULT_MAX_ITEM_BYTES
    sample: float = 0.0
    seed: int = 0
    #: Rubrics whose human queue gets the sample.
    rubrics: tuple[str, ...] = ()
    poll_seconds: float = POLL_SECONDS
    grace_seconds: float = GRACE_SECONDS


class Follower:
    """Follows one file or one directory; `poll()` does one round, `run()` loops."""

    def __init__(
        self,
        repo: Repository,
        options: FollowOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.options = options
        self.clock = clock
        self.directory = options.path.is_dir()
        if not self.directory and not options.path.parent.is_dir():
            raise InputError("its directory does not exist", file=str(options.path))
        if not self.directory and options.path.exists() and not options.path.is_file():
            # A FIFO or a device has no offset to remember and no rotation to follow.
            raise InputError(
                "is not a regular file or a directory: --follow reads a log file it can"
                " reopen at an offset (pipe a stream through `import -` instead)",
                file=str(options.path),
            )
        self.defaults = {"source": "live"}
        if options.prompt:
            self.defaults["prompt"] = options.prompt
        if options.prompt_version:
            self.defaults["prompt_version"] = options.prompt_version
        self.stored = repo.follow.offsets()
        self.tailed: dict[tuple[int, int], Tailed] = {}
        self.ignored: set[tuple[int, int]] = set()
        self.status = LiveStatus(started=clock())
        self.sampled = sampler(options.sample, options.seed) if options.sample > 0 else None
        held = repo.follow.claims.claim(options.path)
        if held:
            raise InputError(
                f"already followed into this project by {held}: stop that follower first"
                " (two would import each other's lines again)",
                file=str(options.path),
            )

    # -- finding the files -----------------------------------------------------------------

    def _candidates(self) -> list[tuple[Path, bool]]:
        """(path, followed?) for every file that may hold lines to import."""
        path = self.options.path
        if self.directory:
            entries = sorted(path.iterdir())
            return [(p, p.suffix == ".jsonl") for p in entries]
        found = [(path, True)]
        try:
            siblings = sorted(path.parent.iterdir())
        except OSError:
            siblings = []
        return found + [(p, False) for p in siblings if p.name.startswith(path.name + ".")]

    def _discover(self) -> None:
        followed: set[tuple[int, int]] = set()
        for path, primary in self._candidates():
            try:
                info = path.stat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            key = (info.st_dev, info.st_ino)
            if primary:
                followed.add(key)
            if key in self.tailed:
                self.tailed[key].path = path
                continue
            if key in self.ignored and not primary:
                continue
            self._start(path, key, primary)
        at = self.clock()
        for key, t in self.tailed.items():
            if key in followed:
                t.retired_since = None
            elif t.retired_since is None:
                t.retired_since = at

    def _start(self, path: Path, key: tuple[int, int], primary: bool) -> None:
        try:
            f = path.open("rb")
        except OSError:
            return
        info = os.fstat(f.fileno())
        head = head_of(f) if (info.st_dev, info.st_ino) == key else None
        if head is None:  # no complete first line yet (or replaced while opening)
            f.close()
            return
        digest, length = head
        identity = (key[0], key[1], digest)
        known = self.stored.get(identity)
        if known is not None and tail_hash(f, known.byte_offset) != known.tail_hash:
            # Same inode and first line but other bytes before the offset: the inode was
            # reused by a new file that happens to start alike. Read it from the start.
            known = None
        replaces: Identity | None = None
        if known is None and not primary:
            copied = self._orphan(digest, f)
            if copied is not None:
                known, replaces = copied, copied.identity
            else:
                self.ignored.add(key)
                f.close()
                return
        t = Tailed(
            path=path,
            f=f,
            device=key[0],
            inode=key[1],
            head=digest,
            head_len=length,
            offset=known.byte_offset if known else 0,
            line=known.line if known else 0,
            replaces=replaces,
            last_size=info.st_size,
            last_growth=self.clock(),
        )
        self.tailed[key] = t

    def _orphan(self, digest: str, f: BinaryIO) -> FileOffset | None:
        """A stored file whose copy F is: F starts with its first line and holds the same
        bytes before its offset, and the stored file itself no longer holds that first
        line (copy-and-truncate truncated it). Only a sibling, never a followed file, can
        be a copy: a new log may well begin with the same line as the last one."""
        tracking = {t.identity for t in self.tailed.values()}
        for identity, offset in self.stored.items():
            if identity[2] != digest or identity in tracking:
                continue
            if not offset.tail_hash or tail_hash(f, offset.byte_offset) != offset.tail_hash:
                continue
            t = self.tailed.get(identity[:2])
            if t is not None or not self._holds(identity):
                return offset
        return None

    def _holds(self, identity: Identity) -> bool:
        """Whether the file last seen for IDENTITY still is that file, with that first line."""
        stored = self.stored.get(identity)
        if stored is None:
            return False
        try:
            with open(stored.path, "rb") as f:
                info = os.fstat(f.fileno())
                head = head_of(f)
        except OSError:
            return False
        return (
            (info.st_dev, info.st_ino) == identity[:2]
            and head is not None
            and (head[0] == identity[2])
        )

    # -- one poll --------------------------------------------------------------------------

    def poll(self) -> bool:
        """Import what the files hold now; True if more was left to read (poll again soon)."""
        self._discover()
        at = self.clock()
        parts: list[FilePart] = []
        reading: list[tuple[Tailed, int, int]] = []
        more = False
        for key, t in list(self.tailed.items()):
            size = t.size()
            # Every poll, not only when the size changed: truncated and refilled to the
            # same size between two polls is a new file too. One small read.
            if size < t.offset or t.head_changed():
                # Truncated (copy-and-truncate) or rewritten: its stored identity is an
                # orphan now, whose copy (if any) takes over; the file starts anew.
                t.close()
                del self.tailed[key]
                self.ignored.clear()
                continue
            if size > t.last_size:
                t.last_growth = at
            t.last_size = size
            final = t.retired_since is not None and at - t.last_growth >= self.options.grace_seconds
            data, left = t.unread(final=final)
            more = more or left
            if data:
                part, lines = self._parse(t, data)
                parts.append(part)
                reading.append((t, len(data), lines))
            elif final and t.offset >= size:
                t.close()
                del self.tailed[key]
        if parts:
            result = self.repo.follow.commit(
                parts, rubrics=self.options.rubrics, sampled=self.sampled
            )
            if result is None:
                self.status.waiting_for = self.repo.follow.import_running() or "another process"
                more = False
            else:
                self.status.waiting_for = ""
                for (t, consumed, lines), part in zip(reading, parts, strict=True):
                    t.offset += consumed
                    t.line += lines
                    if t.replaces is not None:
                        self.stored.pop(t.replaces, None)
                        t.replaces = None
                    self.stored[t.identity] = part.offset
                self.status.imported += result.inserted
                self.status.duplicates += result.duplicates
                self.status.quarantined += result.quarantined
                self.status.routed += result.routed
                self.status.recent.append((at, result.inserted))
        self._measure(at)
        return more

    def _parse(self, t: Tailed, data: bytes) -> tuple[FilePart, int]:
        """The items and bad lines of DATA (complete lines read from T at its offset)."""
        file = str(t.path)
        lines = list(split_lines(data, t.offset))
        first = t.line + 1
        raw = [line for _, line in lines]
        items, errors = ingest.parse_jsonl_lines(raw, first, file, self.defaults, now())
        problems = [InputError(r, file=file, line=n, field=f) for r, n, f in errors]
        items = ingest._within_size(items, self.options.max_item_bytes, problems)
        # A followed log is live traffic, whatever a line's own `source` says.
        items = [it if it[ROW_SOURCE] == "live" else as_live(it) for it in items]
        text = {
            first + k: (at, line.decode("utf-8", "replace").rstrip("\r\n"))
            for k, (at, line) in enumerate(lines)
        }
        bad = []
        for e in sorted(problems, key=lambda e: e.line or 0):
            at, line = text.get(e.line or 0, (0, ""))
            bad.append(BadLine(file, e.line or 0, at, e.reason, e.field, line))
        stop = t.offset + len(data)
        end = FileOffset(
            t.device, t.inode, t.head, file, stop, t.line + len(lines), tail_hash(t.f, stop)
        )
        by_line = {int(item[ROW_LINE]): text[int(item[ROW_LINE])] for item in items}
        return FilePart(end, items, bad, by_line, t.replaces), len(lines)

    def _measure(self, at: float) -> None:
        behind = 0
        lag = 0.0
        for t in self.tailed.values():
            gap = max(0, t.size() - t.offset)
            behind += gap
            if gap and t.behind_since is None:
                t.behind_since = at
            elif not gap:
                t.behind_since = None
            if t.behind_since is not None:
                lag = max(lag, at - t.behind_since)
        self.status.behind_bytes = behind
        self.status.lag_seconds = lag
        self.status.files = len(self.tailed)

    def run(
        self,
        *,
        report: Callable[[LiveStatus], None] | None = None,
        stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> LiveStatus:
        """Poll until STOP says so (or Ctrl-C / SIGTERM raise); REPORT after each poll.

        A database error (locked past the busy timeout, a full disk) does not end
        the follower: nothing of that poll was written, its offsets did not move,
        and the next poll tries again; the status line counts and shows it.
        """
        while not stop():
            try:
                more = self.poll()
                self.status.store_error = ""
            except StoreError as exc:
                self.status.store_errors += 1
                self.status.store_error = str(exc)
                more = False
                self._measure(self.clock())  # nothing was read: the lag grows meanwhile
            if report is not None:
                report(self.status)
            if not more:
                sleep(self.options.poll_seconds)
        return self.status

    def close(self) -> None:
        for t in self.tailed.values():
            t.close()
        self.tailed.clear()
        with contextlib.suppress(StoreError):  # a claim left behind dies with this process
            self.repo.follow.claims.release()


__all__: Sequence[str] = ("FollowOptions", "Follower", "LiveStatus", "sampler")
