"""Real filesystems that misbehave on purpose: a tiny tmpfs that fills up, a read-only view.

Both are mounts, so both need root (CI runs as root). A read-only database
without root is a file and directory without write permission, which is
the team-host case anyway (a login outside the project's group); a full
disk without root has no honest stand-in, so that test says so and fails.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

IS_ROOT = os.geteuid() == 0


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")


@contextmanager
def small_disk(path: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of SIZE_KIB mounted at PATH: writes past it fail with ENOSPC, as on a full disk."""
    if not IS_ROOT:
        pytest.fail("a full-disk test mounts a small tmpfs, which needs root (CI runs as root)")
    path.mkdir()
    _run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(path))
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@contextmanager
def read_only_view(folder: Path) -> Iterator[Path]:
    """FOLDER as this process can read but not write it.

    As root (whom permissions don't stop), a read-only bind mount beside it;
    otherwise FOLDER itself with the write bits taken off the folder and its
    files, and put back afterwards.
    """
    if IS_ROOT:
        view = folder.with_name(folder.name + "-ro")
        view.mkdir()
        _run("mount", "--bind", str(folder), str(view))
        try:
            _run("mount", "-o", "remount,ro,bind", str(view))
            yield view
        finally:
            subprocess.run(["umount", "-l", str(view)], check=False)
        return
    modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
    for p, mode in modes.items():
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield folder
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def fill(folder: Path) -> Path:
    """Write a file in FOLDER until its filesystem is full; the file (delete it to free space)."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:
        while True:
            try:
                out.write(block)
            except OSError:
                break
        for size in (4096, 512, 1):  # the last partial blocks
            while True:
                try:
                    out.write(block[:size])
                except OSError:
                    break
    assert shutil.disk_usage(folder).free < 4096, "the disk did not fill"
    return filler
