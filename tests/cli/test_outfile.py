"""Output files: a file is replaced whole; a device, FIFO or terminal is written straight, never replaced.

`export -o /dev/null` as root once replaced the machine's /dev/null with a
regular file. These tests never write to the real /dev/null: the device
cases use a FIFO, a pty made here, and a private twin of /dev/null (a
character node made with mknod, or a second pty where that is not allowed).
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run, bad, ok
from tests.cli.test_export import check_export, parse
from tests.cli.test_export import labeled as labeled  # the fixture: the export tests' data
from tests.conftest import SAMPLE
from tui_annotate.cli import outfile
from tui_annotate.errors import InputError

EXPORT = ("export", "--rubric", "faithfulness")
DEADLINE = 20.0


def drain(fd: int, into: bytearray, stop: threading.Event) -> None:
    """Read FD until it ends or STOP is set (a pty master never ends by itself)."""
    os.set_blocking(fd, False)
    while not stop.is_set():
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            stop.wait(0.01)
            continue
        except OSError:  # EIO: the pty's other side closed
            return
        if not chunk:
            return
        into.extend(chunk)


@pytest.fixture
def pty_path() -> Iterator[tuple[str, bytearray]]:
    """A terminal's path, and what was written to it (read off its master)."""
    master, slave = os.openpty()
    got = bytearray()
    stop = threading.Event()
    reader = threading.Thread(target=drain, args=(master, got, stop), daemon=True)
    reader.start()
    try:
        yield os.ttyname(slave), got
    finally:
        stop.set()
        reader.join(5)
        os.close(slave)
        os.close(master)


def wait_for(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.usefixtures("labeled")
def test_a_fifo_is_written_straight_and_stays_a_fifo(cli: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = bytearray()

    def read() -> None:
        with open(fifo, "rb") as f:  # blocks until export opens it for writing
            got.extend(f.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    result = ok(cli(*EXPORT, "-o", str(fifo)))
    reader.join(DEADLINE)
    assert not reader.is_alive()
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced"
    check_export(*parse(got.decode("utf-8"), "csv"))
    assert "exported 5 items" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["pipe", "annotations.db", "items.jsonl", *_wal(tmp_path)]
    ), "a temporary file was left beside the FIFO"


def _wal(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith("annotations.db-")]


@pytest.mark.usefixtures("labeled")
def test_a_terminal_is_written_straight_and_stays_a_terminal(
    cli: Run, pty_path: tuple[str, bytearray]
) -> None:
    path, got = pty_path
    ok(cli(*EXPORT, "--format", "jsonl", "-o", path))
    assert stat.S_ISCHR(os.stat(path).st_mode)
    wait_for(lambda: got.count(b"\n") >= 5, "five lines on the terminal")
    lines = got.decode("utf-8").replace("\r\n", "\n")
    check_export(*parse(lines, "jsonl"))


@pytest.fixture
def null_twin(tmp_path: Path) -> Iterator[Path]:
    """A character device like /dev/null (same major/minor), private to this test.

    mknod needs CAP_MKNOD; without it, the twin is a pty slave instead (also a
    character device, and just as fatal to replace).
    """
    twin = tmp_path / "null"
    real = os.stat("/dev/null")  # only read back: the real one is never written here
    try:
        os.mknod(twin, stat.S_IFCHR | 0o666, real.st_rdev)
    except PermissionError:
        master, slave = os.openpty()
        twin.symlink_to(os.ttyname(slave))
        os.set_blocking(master, False)
        try:
            yield twin
        finally:
            os.close(slave)
            os.close(master)
        return
    yield twin


@pytest.mark.usefixtures("labeled")
def test_a_character_device_stays_a_character_device(cli: Run, null_twin: Path) -> None:
    before = os.stat(null_twin)
    result = ok(cli(*EXPORT, "-o", str(null_twin)))
    after = os.stat(null_twin)
    assert stat.S_ISCHR(after.st_mode), "the device was replaced by a regular file"
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert "exported 5 items" in result.stderr
    real = os.stat("/dev/null")
    assert stat.S_ISCHR(real.st_mode), "/dev/null is no longer a character device"


@pytest.mark.usefixtures("labeled")
def test_a_directory_is_refused(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = bad(cli(*EXPORT, "-o", str(folder)))
    assert "directory" in result.stderr and str(folder) in result.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.usefixtures("labeled")
def test_a_regular_file_is_replaced_whole_with_its_permissions(cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("stale\n", encoding="utf-8")
    out.chmod(0o640)
    old_inode = out.stat().st_ino
    ok(cli(*EXPORT, "-o", str(out)))
    assert out.stat().st_ino != old_inode, "written in place rather than renamed over"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    check_export(*parse(out.read_bytes().decode("utf-8"), "csv"))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.usefixtures("labeled")
def test_a_symlink_to_a_file_keeps_the_link_and_replaces_the_file(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "labels.csv"
    real.write_text("stale\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    ok(cli(*EXPORT, "-o", str(link)))
    assert link.is_symlink() and link.resolve() == real
    check_export(*parse(real.read_bytes().decode("utf-8"), "csv"))
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["labels.csv"]


@pytest.mark.usefixtures("labeled")
def test_dash_is_standard_output(cli: Run, tmp_path: Path) -> None:
    result = ok(cli(*EXPORT, "-o", "-"))
    check_export(*parse(result.stdout_bytes.decode("utf-8"), "csv"))
    assert not (tmp_path / "-").exists()


@pytest.mark.usefixtures("labeled")
def test_dev_stdout_is_written_through_never_renamed(db_path: Path, tmp_path: Path) -> None:
    """In a real process: /dev/stdout pointing at a pipe, then at a file."""
    from bench.common import cli as command

    args = [*command(), "--db", str(db_path), *EXPORT, "-o", "/dev/stdout"]
    piped = subprocess.run(args, capture_output=True, check=True, timeout=60)
    check_export(*parse(piped.stdout.decode("utf-8"), "csv"))
    target = tmp_path / "redirected.csv"
    with target.open("wb") as f:
        subprocess.run(args, stdout=f, check=True, timeout=60)
    check_export(*parse(target.read_bytes().decode("utf-8"), "csv"))
    assert os.path.islink("/dev/stdout")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("the old export\n", encoding="utf-8")
    with pytest.raises(RuntimeError), outfile.open_text(out) as f:
        f.write("half of a new one")
        raise RuntimeError("the database went away")
    assert out.read_text(encoding="utf-8") == "the old export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_what_each_target_is(tmp_path: Path, pty_path: tuple[str, bytearray]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "file").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert outfile.target("-").kind == "stdout"
    assert outfile.target(tmp_path / "new.csv").kind == "replace"
    assert outfile.target(tmp_path / "file").kind == "replace"
    assert outfile.target(fifo).kind == "stream"
    assert outfile.target(pty_path[0]).what == "a terminal"
    assert outfile.target("/dev/stdout").kind == "stream"
    for refused, why in [
        (tmp_path, "directory"),
        (tmp_path / "missing" / "x.csv", "does not exist"),
        (tmp_path / "dangling", "symlink to a missing file"),
    ]:
        with pytest.raises(InputError, match=why):
            outfile.target(refused)


# -- backup ----------------------------------------------------------------------


def test_backup_refuses_a_fifo_or_a_device_and_writes_nothing(
    cli: Run, tmp_path: Path, null_twin: Path
) -> None:
    ok(cli("import", str(SAMPLE)))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for dest in (fifo, null_twin):
        before = os.stat(dest)
        result = bad(cli("backup", "--force", str(dest)))
        assert "needs a regular file" in result.stderr and str(dest) in result.stderr
        after = os.stat(dest)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_backup_refuses_a_directory(cli: Run, tmp_path: Path) -> None:
    ok(cli("import", str(SAMPLE)))
    folder = tmp_path / "backups"
    folder.mkdir()
    result = bad(cli("backup", "--force", str(folder)))
    assert "directory" in result.stderr
    assert list(folder.iterdir()) == []


def test_backup_force_through_a_symlink_replaces_the_file(cli: Run, tmp_path: Path) -> None:
    from tests.cli.conftest import item_count

    ok(cli("import", str(SAMPLE)))
    real = tmp_path / "nightly.db"
    real.write_bytes(b"yesterday")
    link = tmp_path / "latest.db"
    link.symlink_to(real)
    bad(cli("backup", str(link)))  # exists: --force needed, as for a file
    assert real.read_bytes() == b"yesterday"
    ok(cli("backup", "--force", str(link)))
    assert link.is_symlink()
    assert item_count(real) == 40


@pytest.mark.usefixtures("labeled")
def test_a_replaced_file_keeps_its_owner(cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("stale\n", encoding="utf-8")
    # As root: someone else's file. Not root: the file stays ours, and must stay ours.
    with contextlib.suppress(PermissionError):
        os.chown(out, 4321, 4321)
    before = out.stat()
    ok(cli(*EXPORT, "-o", str(out)))
    after = out.stat()
    assert after.st_ino != before.st_ino
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
