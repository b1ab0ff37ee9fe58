"""Export on two cores: a second process writes the upper half of the items while this one writes the rest.

Resolving and formatting rows is Python work, about 100,000 items a second
on one core of the machines we measure on; a million items with three
million labels took 15 s in one process, over the 10 s aim (issue 9). Items
are split by id, so each is written by exactly one process, in order: the
lower half straight to the output, the upper half into a temporary file
that is appended when this process is done. Each process streams (bounded
memory) and reads its own consistent snapshot; while people keep labelling,
the two halves may be a few milliseconds apart, as two exports would be.
Small projects (the usual case) are exported in one process: starting a
second costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TextIO

from tui_annotate.core import export as exporter
from tui_annotate.core.models import Rubric
from tui_annotate.store.repository import Repository

#: Below this span of item ids one process is quicker than two.
PARALLEL_FROM = 200_000

Writer = Callable[..., int]


def writer_for(fmt: str) -> Writer:
    return exporter.write_jsonl if fmt == "jsonl" else exporter.write_csv


def write_export(
    repo: Repository,
    rubric: Rubric,
    out: TextIO,
    *,
    fmt: str,
    include_judge: bool,
    left_out: exporter.LeftOut,
) -> int:
    """Write RUBRIC's export to OUT; returns the number of rows."""
    write = writer_for(fmt)
    low, high = repo.exports.item_id_span()
    if high - low < PARALLEL_FROM or (os.cpu_count() or 1) < 2 or repo.path == ":memory:":
        return write(
            out, exporter.rows(repo, rubric, include_judge=include_judge, left_out=left_out)
        )
    middle = (low + high) // 2
    with tempfile.TemporaryDirectory(prefix="tui-annotate-export-") as folder:
        part = Path(folder) / f"upper.{fmt}"
        spawn = multiprocessing.get_context("spawn")  # a fresh process: no inherited connection
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            upper = pool.submit(
                _write_part, repo.path, rubric, fmt, include_judge, (middle + 1, high), str(part)
            )
            count = write(
                out,
                exporter.rows(
                    repo, rubric, include_judge=include_judge, left_out=left_out, span=(low, middle)
                ),
            )
            upper_count, upper_left_out = upper.result()
        _append(part, out)
    for round_id, hidden in upper_left_out.round_labels.items():
        left_out.round_labels[round_id] = left_out.round_labels.get(round_id, 0) + hidden
    left_out.items += upper_left_out.items
    return count + upper_count


def _append(part: Path, out: TextIO) -> None:
    """Copy PART's bytes after what OUT holds (bytes: both are UTF-8, no need to decode)."""
    out.flush()
    binary = getattr(out, "buffer", None)
    if binary is None:  # a text-only stream (tests' StringIO)
        with part.open(encoding="utf-8", newline="") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        return
    with part.open("rb") as f:
        shutil.copyfileobj(f, binary, 1 << 20)
    binary.flush()


def _write_part(
    db: str, rubric: Rubric, fmt: str, include_judge: bool, span: tuple[int, int], path: str
) -> tuple[int, exporter.LeftOut]:
    """In the second process: the items in SPAN, without a header, into PATH."""
    left_out = exporter.LeftOut()
    with (
        Repository.open(db, readonly=True) as repo,
        open(path, "w", encoding="utf-8", newline="") as out,
    ):
        rows: Iterator[exporter.ExportRow] = exporter.rows(
            repo, rubric, include_judge=include_judge, left_out=left_out, span=span
        )
        count = writer_for(fmt)(out, rows, header=False)
    return count, left_out
