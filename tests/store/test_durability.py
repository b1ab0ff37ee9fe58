"""kill -9 mid-session loses no label whose commit was acknowledged."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SAMPLE
from tui_annotate.core import ingest, snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"

# The child acknowledges each label only after AnnotationSession.rate returned (the
# commit), exactly as the screen would by moving on. When the queue is empty it waits
# on stdin, so the SIGKILL always lands on a live process.
CHILD = """
import sys
from pathlib import Path
from tui_annotate.core.session import AnnotationSession
from tui_annotate.core.rubric import find_rubric, shipped_rubrics_dir
from tui_annotate.store.repository import Repository

repo = Repository.open(Path(sys.argv[1]))
rubric = find_rubric("faithfulness", [shipped_rubrics_dir()])
session = AnnotationSession(repo, rubric, "ana")
session.start()
n = 0
while not session.done:
    item_id = session.current_id
    session.rate(1 + item_id % 5)
    n += 1
    print(f"ok {n} {item_id} {1 + item_id % 5}", flush=True)
print("done", flush=True)
sys.stdin.read()
"""


def test_sigkill_loses_no_acknowledged_label(db_path: Path, faithfulness: Rubric) -> None:
    with Repository.open(db_path) as repo:
        ingest.import_items(repo, SAMPLE)
        snapshot.register(repo, faithfulness)

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: dict[int, int] = {}
    try:
        assert child.stdout is not None
        while len(acknowledged) < 5:
            line = child.stdout.readline()
            assert line, f"child exited early: {child.stderr.read() if child.stderr else ''}"
            if line.startswith("ok "):
                _, _, item_id, score = line.split()
                acknowledged[int(item_id)] = int(score)
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=30)  # whatever it printed before it died
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    for line in rest.splitlines():
        if line.startswith("ok "):
            _, _, item_id, score = line.split()
            acknowledged[int(item_id)] = int(score)

    with Repository.open(db_path) as repo:
        assert repo.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        current = {label.item_id: label.score for label in repo.current_labels(RUBRIC)}
    assert len(current) >= 5
    for item_id, score in acknowledged.items():
        assert current.get(item_id) == score, f"acknowledged label on item {item_id} was lost"


def test_a_new_database_in_a_shared_directory_is_group_writable(tmp_path: Path) -> None:
    """A setgid, group-writable directory (a team host's): the annotators can write it too."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o2770)
    private = tmp_path / "private"
    private.mkdir()
    old = os.umask(0o022)
    try:
        for folder in (shared, private):
            with Repository.open(folder / "annotations.db"):
                pass
    finally:
        os.umask(old)
    assert stat.S_IMODE((shared / "annotations.db").stat().st_mode) == 0o664
    assert stat.S_IMODE((private / "annotations.db").stat().st_mode) == 0o644
