"""`import --follow` and `import --retry-quarantine`: live mode's side of `import`.

The follower runs until Ctrl-C or SIGTERM (systemd's stop), printing a
one-line status (cli/live_status.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tui_annotate.cli.context import Context
from tui_annotate.cli.live_status import StatusLine
from tui_annotate.cli.output import emit_json, say
from tui_annotate.cli.stopping import INTERRUPTED
from tui_annotate.core.live.follow import Follower, FollowOptions
from tui_annotate.core.live.quarantine import quarantined_item
from tui_annotate.errors import InputError
from tui_annotate.render import plural


def follow(
    obj: Context,
    path: Path,
    *,
    prompt: str | None,
    prompt_version: str | None,
    max_item_bytes: int,
    sample: float,
    seed: int,
    rubrics: tuple[str, ...],
) -> None:
    """Follow PATH until stopped; every complete line is imported exactly once."""
    if sample > 0 and not rubrics:
        raise InputError("--sample needs --rubric NAME: the rubric whose human queue gets it")
    for name in rubrics:
        obj.rubric(name)  # an unknown rubric is an error now, not a silent queue
    if not path.exists() and not path.parent.is_dir():
        raise InputError("neither it nor its directory exists", file=str(path))
    options = FollowOptions(
        path=path,
        prompt=prompt,
        prompt_version=prompt_version,
        max_item_bytes=max_item_bytes,
        sample=sample,
        seed=seed,
        rubrics=rubrics,
    )
    line = StatusLine()
    with obj.repo() as repo:
        follower = Follower(repo, options)
        say(f"following {path} into {obj.db_path} (Ctrl-C to stop)", err=True)
        try:
            follower.run(report=lambda status: line(status.line(time.monotonic())))
        except KeyboardInterrupt:
            line.end(follower.status.line(time.monotonic()))
            say(
                "stopped: every line imported so far is saved with its place in the log; "
                "run the same command to continue",
                err=True,
            )
            sys.exit(INTERRUPTED)
        finally:
            follower.close()


def retry_quarantine(obj: Context, *, max_item_bytes: int, as_json: bool) -> None:
    """Parse every open quarantined line again; import those that are good now."""
    imported: list[int] = []
    still: list[tuple[int, str]] = []
    with obj.repo() as repo:
        for entry in repo.follow.quarantined():
            defaults = {"source": "live"}
            item, problem = quarantined_item(
                entry.raw, entry.file, entry.line, defaults, max_item_bytes
            )
            if item is None:
                assert problem is not None
                repo.follow.still_bad(entry.id, problem.reason, problem.field)
                still.append((entry.id, problem.format()))
                continue
            while (done := repo.follow.release(entry.id, item)) is None:
                time.sleep(0.2)  # a batch import runs: its turn first
            if done:
                imported.append(entry.id)
            else:
                reason = "its id already names a different item"
                repo.follow.still_bad(entry.id, reason, "id")
                still.append((entry.id, f"{entry.file}:{entry.line}: id: {reason}"))
    if as_json:
        emit_json({"imported": imported, "still_quarantined": [i for i, _ in still]})
        return
    for entry_id, message in still:
        say(f"still quarantined #{entry_id}: {message}", err=True)
    say(
        f"retried the quarantine: {plural(len(imported), 'line')} imported, "
        f"{len(still)} still quarantined"
    )
