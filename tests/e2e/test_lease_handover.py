"""An item held by an annotator whose process died goes to the next annotator after the lease.

Two items, leases of two seconds: Ana's running app keeps her item past
its lease with heartbeats; once she is killed, Bob's next key gets it.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from tests.e2e.conftest import TIMEOUT, Spawn
from tests.e2e.test_kill9 import labelled
from tui_annotate.core import ingest
from tui_annotate.core.clock import now
from tui_annotate.store.repository import Repository

LEASE = 2


def lease(db: Path, annotator: str) -> str | None:
    with Repository.open(db, readonly=True) as repo:
        row = repo.conn.execute(
            "SELECT lease_until FROM assignments WHERE annotator = ?", (annotator,)
        ).fetchone()
    return None if row is None else row[0]


def wait_until(check: object, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)  # poll interval for the database, not a wait for a result


def test_a_killed_annotators_item_goes_to_the_next(tmp_path: Path, spawn: Spawn) -> None:
    db = tmp_path / "annotations.db"
    source = tmp_path / "items.jsonl"
    source.write_text(
        "".join(json.dumps({"id": f"it-{k}", "output": f"answer {k}"}) + "\n" for k in (1, 2))
    )
    with Repository.open(db) as repo:
        ingest.import_items(repo, source)
    env = {**os.environ, "TUI_ANNOTATE_LEASE_SECONDS": str(LEASE)}

    ana = spawn(db, "ana", env=env)
    held = ana.wait_for_item(TIMEOUT)
    first = lease(db, "ana")
    assert first is not None
    # Alive, her app beats: past the first lease's end she still holds a live one.
    wait_until(lambda: now() > first, "Ana's first lease ran out")
    wait_until(lambda: (lease(db, "ana") or "") > now(), "Ana's lease was renewed")

    bob = spawn(db, "bob", env=env)
    other = bob.wait_for_item(TIMEOUT)
    assert other != held

    assert ana.kill(signal.SIGKILL) == -signal.SIGKILL
    stale = lease(db, "ana")
    wait_until(lambda: now() > (stale or ""), "Ana's last lease ran out")

    mark = len(bob.output)
    bob.send("4")
    assert bob.wait_for_new_item(other, TIMEOUT, start=mark) == held
    mark = len(bob.output)
    bob.send("3")
    bob.wait_for(b"revisit skipped", TIMEOUT, start=mark)  # all done
    assert sorted(labelled(db, "bob")) == sorted([other, held])
    assert labelled(db, "ana") == []
