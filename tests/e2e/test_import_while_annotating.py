"""A key pressed while a large import runs is saved at once, with no "locked" message.

The import commits in short chunks (store/item_import.py): an annotator's
label gets the write lock between two of them. The import here is stretched
(a pause after each chunk, outside its transaction) and, should the keys take
longer than its first 40 chunks, waits there until they are done: every key
of the test lands while it runs, on any machine.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import SAMPLE
from tests.e2e.conftest import TIMEOUT, Spawn
from tests.e2e.ptyapp import pump_any
from tests.e2e.raters import Rater
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

ITEMS = 60_000
PRESSES = 8

#: `tui-annotate import` as the CLI runs it, with each chunk followed by a pause (outside the
#: write lock), a file that says the first chunk is in, and a wait after chunk 40 for a file
#: that says the keys are done.
SLOW_IMPORT = """
import sys, time
from pathlib import Path
from tui_annotate.cli import main
from tui_annotate.store import item_import

def hook(chunk):
    if chunk == 1:
        Path(sys.argv[1]).write_text("1")
    if chunk == 40:
        while not Path(sys.argv[2]).exists():
            time.sleep(0.01)
    time.sleep(0.03)
item_import.chunk_hook = hook
main(sys.argv[3:])
"""


def test_keys_during_an_import_are_saved_without_a_locked_message(
    tmp_path: Path, spawn: Spawn
) -> None:
    db = tmp_path / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
    big = tmp_path / "big.jsonl"
    big.write_text(
        "".join(
            f'{{"id": "big-{i}", "input": "q {i}", "output": "a {i}"}}\n' for i in range(ITEMS)
        ),
        "utf-8",
    )
    ana = Rater(spawn(db, "ana"), "4")
    started, keys_done = tmp_path / "started", tmp_path / "keys-done"
    log = (tmp_path / "import.out").open("wb")
    importer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_IMPORT,
            str(started),
            str(keys_done),
            "--db",
            str(db),
            "import",
            str(big),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 4 * TIMEOUT
        while not started.exists():
            assert importer.poll() is None, (tmp_path / "import.out").read_text()
            assert time.monotonic() < deadline, "the import never wrote its first chunk"
            time.sleep(0.01)
        during = 0
        for _ in range(PRESSES):
            ana.press()
            while not ana.acknowledged():
                assert time.monotonic() < deadline, ana.app._why("a key was never acknowledged")
                pump_any([ana.app], 0.2)
            during += importer.poll() is None
        running_after = importer.poll() is None
        keys_done.write_text("done")
        assert importer.wait(4 * TIMEOUT) == 0, (tmp_path / "import.out").read_text()
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
        log.close()
    assert running_after, "the import ended before the last key: the test proved nothing"
    assert during == PRESSES
    assert b"locked" not in ana.app.output, ana.app._why("a 'locked' message was shown")
    assert "not saved" not in ana.app.text()
    with Repository.open(db, readonly=True) as repo:
        saved = [e for e in repo.events(annotator="ana") if e.kind == "rate"]
        assert len(saved) == PRESSES
        assert repo.count_items() == 40 + ITEMS
