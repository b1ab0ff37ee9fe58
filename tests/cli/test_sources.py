"""Where `import` and `import-labels` read from: each source read once; '-' is stdin; paths say what they are.

A FIFO with a writer hung and `<(cmd)` imported nothing: the size check read
the pipe, then the reader opened it again. A symlink loop was "no such file".
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, item_count, ok
from tests.cli.test_crafted_input import dump_hash
from tests.conftest import SAMPLE
from tui_annotate.core import source
from tui_annotate.store.repository import Repository

ITEMS = "".join(json.dumps({"id": f"s{n}", "output": f"answer {n}"}) + "\n" for n in range(3))
ITEMS_CSV = "id,output\nc1,first\nc2,second\n"


class Writer:
    """Write DATA into a FIFO or a pipe from a thread, as `cmd > fifo` would, then close it.

    Should the command open the FIFO a second time (the bug), it would wait
    for a writer forever; after STUCK seconds this writer opens the FIFO once
    more, empty, so the command sees an end of file and the test fails
    instead of hanging.
    """

    STUCK = 20.0

    def __init__(self, target: Path | int, data: str) -> None:
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(target, data.encode()), daemon=True)
        self.thread.start()

    def _run(self, target: Path | int, data: bytes) -> None:
        try:
            if isinstance(target, int):
                with os.fdopen(target, "wb") as f:
                    f.write(data)
                return
            with open(target, "wb") as f:  # blocks until the reader opens it
                f.write(data)
            while not self.done.wait(self.STUCK):
                # A reader waiting in open() counts as one, so this wakes it up (and
                # fails with ENXIO when nobody is reading).
                with contextlib.suppress(OSError):
                    os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))
        except BaseException as exc:
            self.error = exc

    def join(self) -> None:
        self.done.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the writer never finished: nobody read the FIFO"
        assert self.error is None, self.error


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "items.fifo"
    os.mkfifo(path)
    yield path


@pytest.fixture
def labelled(cli: Run, db_path: Path) -> Path:
    ok(cli("import", str(SAMPLE)))
    return db_path


def test_import_reads_a_fifo_with_a_writer_once(cli: Run, fifo: Path, db_path: Path) -> None:
    writer = Writer(fifo, ITEMS)
    result = ok(cli("import", "--format", "jsonl", str(fifo)))
    writer.join()
    assert "imported 3 items" in result.stdout, result.stdout
    assert item_count(db_path) == 3


def test_import_reads_a_csv_fifo(cli: Run, fifo: Path, db_path: Path) -> None:
    writer = Writer(fifo, ITEMS_CSV)
    ok(cli("import", "--format", "csv", str(fifo)))
    writer.join()
    assert item_count(db_path) == 2


def test_import_reads_a_pipe_by_its_dev_fd_path_like_process_substitution(
    cli: Run, db_path: Path
) -> None:
    """`<(cat f)` hands the command /dev/fd/N, the read end of a pipe."""
    read, write = os.pipe()
    writer = Writer(write, ITEMS)
    try:
        ok(cli("import", "--format", "jsonl", f"/dev/fd/{read}"))
    finally:
        os.close(read)
    writer.join()
    assert item_count(db_path) == 3


def test_import_with_bash_process_substitution(tmp_path: Path, db_path: Path) -> None:
    """The real thing, through bash: `tui-annotate import --format jsonl <(cat items.jsonl)`."""
    items = tmp_path / "items.jsonl"
    items.write_text(ITEMS, encoding="utf-8")
    command = (
        f"{sys.executable} -m tui_annotate --db {db_path} import --format jsonl <(cat {items})"
    )
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "imported 3 items" in done.stdout, done.stdout
    assert item_count(db_path) == 3


def test_import_dash_reads_standard_input(cli: Run, db_path: Path) -> None:
    result = ok(cli("import", "--format", "jsonl", "-", input=ITEMS))
    assert "<stdin>: imported 3 items" in result.stdout, result.stdout
    assert item_count(db_path) == 3


def test_import_dash_bad_line_names_stdin_and_the_line(cli: Run, db_path: Path) -> None:
    message = bad(cli("import", "--format", "jsonl", "-", input=ITEMS + '{"input": "q"}\n')).stderr
    assert "<stdin>:4: field 'output'" in message, message
    assert item_count(db_path) == 0


def test_import_dash_without_format_asks_for_it(cli: Run) -> None:
    message = bad(cli("import", "-", input=ITEMS)).stderr
    assert "<stdin>" in message and "--format" in message, message


def test_import_of_an_empty_pipe_says_it_is_empty(cli: Run) -> None:
    message = bad(cli("import", "--format", "jsonl", "-", input="")).stderr
    assert "<stdin>: is empty" in message, message


def test_import_of_a_binary_stream_says_it_is_binary(cli: Run) -> None:
    message = bad(cli("import", "--format", "csv", "-", input="output\n\x00\x01\x02")).stderr
    assert "binary" in message, message


def test_import_labels_dash_reads_standard_input(cli: Run, labelled: Path) -> None:
    rows = [
        {"item_id": "nw-001", "annotator": "ext1", "score": 4},
        {"item_id": "nw-002", "annotator": "ext1", "score": 2},
    ]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    result = ok(
        cli("import-labels", "--rubric", "faithfulness", "--format", "jsonl", "-", input=text)
    )
    assert "<stdin>: imported 2 labels" in result.stdout, result.stdout
    with Repository.open(labelled) as repo:
        assert len(repo.current_labels("faithfulness")) == 2


def test_import_labels_reads_a_fifo_once(cli: Run, labelled: Path, fifo: Path) -> None:
    """The command read the file for its rubric names, then import_labels read it again."""
    writer = Writer(fifo, "item_id,annotator,score\nnw-001,ext1,4\n")
    ok(cli("import-labels", "--rubric", "faithfulness", "--format", "csv", str(fifo)))
    writer.join()
    with Repository.open(labelled) as repo:
        assert [(lb.annotator, lb.score) for lb in repo.current_labels("faithfulness")] == [
            ("ext1", 4)
        ]


@pytest.mark.parametrize("command", ["import", "import-labels"])
def test_a_symlink_loop_is_named_as_one(
    cli: Run, labelled: Path, tmp_path: Path, command: str
) -> None:
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(tmp_path / "loop.jsonl")
    before = dump_hash(labelled)
    message = bad(cli(command, str(loop))).stderr
    assert f"{loop}: is a symbolic link loop" in message, message
    assert "no such file" not in message
    assert dump_hash(labelled) == before


@pytest.mark.parametrize("command", ["import", "import-labels"])
def test_a_dangling_symlink_names_its_target(
    cli: Run, labelled: Path, tmp_path: Path, command: str
) -> None:
    link = tmp_path / "gone.jsonl"
    link.symlink_to(tmp_path / "missing.jsonl")
    message = bad(cli(command, str(link))).stderr
    assert "is a symbolic link to" in message and "missing.jsonl" in message, message


@pytest.mark.parametrize("command", ["import", "import-labels"])
def test_a_directory_and_a_missing_file_say_what_they_are(
    cli: Run, labelled: Path, tmp_path: Path, command: str
) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    assert "is a directory" in bad(cli(command, str(folder))).stderr
    message = bad(cli(command, str(tmp_path / "absent.jsonl"))).stderr
    assert "absent.jsonl: no such file" in message, message


def test_permission_denied_reason(tmp_path: Path) -> None:
    """The words for an unreadable file (built from the error: the tests run as root, who reads all)."""
    denied = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x"))
    assert source._reason(tmp_path / "x", denied, "items") == "can't be read: permission denied"
