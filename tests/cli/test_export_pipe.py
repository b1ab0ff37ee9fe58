"""`export | head -1`: the reader goes away early, and export ends quietly.

The export streams from a generator holding a read snapshot; when stdout's
pipe breaks, the database closes before the generator is finalised, and its
`COMMIT` used to print "Exception ignored … Cannot operate on a closed
database" on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import Run, ok, write_jsonl

ROOT = Path(__file__).resolve().parents[2]


def test_export_into_a_pipe_closed_after_one_line_says_nothing_of_it(
    cli: Run, db_path: Path, tmp_path: Path
) -> None:
    # Far more than a pipe's 64 KiB buffer, so export is still writing when the pipe closes.
    items = [{"id": f"it-{i}", "input": "q", "output": f"{i} " + "x" * 2000} for i in range(300)]
    ok(cli("import", str(write_jsonl(tmp_path / "items.jsonl", items))))
    labels = [{"item_id": f"it-{i}", "annotator": "ana", "score": 5} for i in range(300)]
    ok(
        cli(
            "import-labels",
            str(write_jsonl(tmp_path / "l.jsonl", labels)),
            "--rubric",
            "faithfulness",
        )
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_annotate",
            "--db",
            str(db_path),
            "export",
            "--rubric",
            "faithfulness",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    header = proc.stdout.readline()
    proc.stdout.close()  # `head -1` exits
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert header.startswith(b"item_id,")
    assert "Exception ignored" not in err and "closed database" not in err, err
