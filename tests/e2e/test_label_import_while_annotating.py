"""A key pressed while `import-labels` writes its chunks is saved at once, never "locked".

The import of labels writes in short transactions nobody sees
(store/label_publish.py): an annotator's label gets the write lock between
two of them, and is seen at once while none of the file's are. The import
here is stretched (a pause after each chunk, outside its transaction, until
the keys are done) and waits at its 40th chunk until they are: every key of
the test lands while it runs, on any machine.
"""

from __future__ import annotations

import json
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

#: Other people's labels on each of the 40 sample items.
OTHERS = 250
PRESSES = 8

#: `tui-annotate import-labels` as the CLI runs it, in chunks of 50 labels each followed by a
#: pause (outside the write lock) until the keys are done, a file that says the first chunk
#: is in, and a wait at chunk 40 for the file that says the keys are done.
SLOW_IMPORT = """
import sys, time
from pathlib import Path
from tui_annotate.cli import main
from tui_annotate.store import label_publish

label_publish.CHUNK_FIRST = label_publish.CHUNK_MIN = label_publish.CHUNK_MAX = 50
chunks = []
def hook(step):
    if step != "chunk":
        return
    chunks.append(step)
    if len(chunks) == 1:
        Path(sys.argv[1]).write_text("1")
    if len(chunks) == 40:
        while not Path(sys.argv[2]).exists():
            time.sleep(0.01)
    if not Path(sys.argv[2]).exists():
        time.sleep(0.03)
label_publish.step_hook = hook
main(sys.argv[3:])
"""


def test_keys_during_an_import_of_labels_are_saved_and_seen_at_once(
    tmp_path: Path, spawn: Spawn
) -> None:
    db = tmp_path / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "".join(
            json.dumps({"item_id": f"nw-{n:03d}", "annotator": f"ext-{k:03d}", "score": k % 5 + 1})
            + "\n"
            for n in range(1, 41)
            for k in range(OTHERS)
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
            "import-labels",
            str(labels),
            "--rubric",
            "faithfulness",
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
        with Repository.open(db, readonly=True) as repo:
            seen_during = [(e.annotator, e.kind) for e in repo.events(rubric="faithfulness")]
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
    assert seen_during == [("ana", "rate")] * PRESSES  # hers at once, none of the file's
    assert b"locked" not in ana.app.output, ana.app._why("a 'locked' message was shown")
    assert "not saved" not in ana.app.text()
    with Repository.open(db, readonly=True) as repo:
        assert len([e for e in repo.events(annotator="ana") if e.kind == "rate"]) == PRESSES
        assert len(repo.events(rubric="faithfulness")) == PRESSES + 40 * OTHERS
