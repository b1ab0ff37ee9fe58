"""Export streams: the memory it holds does not grow with the number of items and labels.

Speed is the bench's business (`python -m bench export_speed`); this checks
the property that makes a million items possible at all: ten times the
labels, about the same peak of Python memory.
"""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

from tests.conftest import load_shipped
from tui_annotate.core import export, snapshot
from tui_annotate.store.repository import Repository

STAMP = "2026-01-01T00:00:00.000Z"


def build(path: Path, count: int) -> None:
    """COUNT items, each with two human labels and a judge's."""
    rubric = load_shipped("faithfulness")
    with Repository.open(path) as repo:
        snapshot.register(repo, rubric)
        with repo.transaction():
            repo.conn.executemany(
                "INSERT INTO items (id, external_id, content_hash, rank, output, imported_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(n, f"x{n}", f"h{n}", n, f"output {n} " * 20, STAMP) for n in range(1, count + 1)],
            )
            repo.conn.executemany(
                "INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score,"
                " comment, created_at) VALUES (?, 'faithfulness', ?, ?, 'rate', ?, ?, ?)",
                [
                    (n, rubric.version, who, (n + k) % 5 + 1, "a comment" if k == 0 else "", STAMP)
                    for n in range(1, count + 1)
                    for k, who in enumerate(("ana", "bob", "judge:m"))
                ],
            )


def peak_bytes(path: Path, fmt: str) -> tuple[int, int]:
    """(rows written, peak traced bytes) for one export of the database at PATH."""
    rubric = load_shipped("faithfulness")
    write = export.write_csv if fmt == "csv" else export.write_jsonl
    with Repository.open(path, readonly=True) as repo:
        sink = io.StringIO()
        tracemalloc.start()
        try:
            # A sink that forgets what it is given, so only the export's own memory counts.
            sink.write = lambda text: len(text)  # type: ignore[method-assign]
            written = write(sink, export.rows(repo, rubric, include_judge=True))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return written, peak


def test_export_memory_does_not_grow_with_labels(tmp_path: Path) -> None:
    small, large = tmp_path / "small.db", tmp_path / "large.db"
    build(small, 1_000)
    build(large, 8_000)
    for fmt in ("csv", "jsonl"):
        n_small, peak_small = peak_bytes(small, fmt)
        n_large, peak_large = peak_bytes(large, fmt)
        assert (n_small, n_large) == (1_000, 8_000)
        # Holding every label would cost eight times as much; streaming costs about the same.
        assert peak_large < 2 * peak_small + 256 * 1024, (fmt, peak_small, peak_large)


def test_export_queries_search_indexes_and_never_scan_labels(tmp_path: Path) -> None:
    from tui_annotate.store import export as queries

    db = tmp_path / "plan.db"
    build(db, 50)
    with Repository.open(db) as repo:
        # Statistics of 50 items would rightly say "scan them"; plan as for a big project,
        # as SQLite does without statistics (the million-item bench, analysed, plans the same).
        if repo.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            repo.conn.execute("DELETE FROM sqlite_stat1")
            repo.conn.execute("ANALYZE sqlite_schema")
        for sql in (queries._LABELS, queries._ITEMS):
            for judges in ("", queries._NO_JUDGES):
                plan = [
                    row[3]
                    for row in repo.conn.execute(
                        "EXPLAIN QUERY PLAN " + sql.format(judges=judges),
                        {"rubric": "faithfulness", "first": 1, "last": 50},
                    )
                ]
                # import_state is one row: the visibility watermark the `items` view reads.
                scans = [s for s in plan if s.startswith("SCAN") and s != "SCAN import_state"]
                assert not scans, plan
                wanted = (
                    "SEARCH s USING INDEX" if sql is queries._LABELS else "SEARCH items_all USING"
                )
                assert any(step.startswith(wanted) for step in plan), plan
