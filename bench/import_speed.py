"""Import speed: `tui-annotate import` of 1,000,000 JSONL items (100,000 with --quick).

The database it leaves (bench/out/import-N.db) is the one bench.memory
opens, so a full run imports the million items once.
"""

from __future__ import annotations

from pathlib import Path

from bench.common import OUT, Figure, generate_jsonl, import_file, main_for, say

#: input, context, output: small but realistic (a short question, a tool record, an answer).
SIZES = (60, 140, 180)
AIM = 50_000


def size_for(quick: bool) -> int:
    return 100_000 if quick else 1_000_000


def jsonl_for(count: int) -> Path:
    return generate_jsonl(OUT / f"import-{count}.jsonl", count, SIZES, prefix="i")


def db_for(count: int) -> Path:
    return OUT / f"import-{count}.db"


def ensure_db(count: int) -> Path:
    """The imported database of COUNT items, importing it if no finished one is there."""
    db = db_for(count)
    done = db.with_name(db.name + ".imported")
    if not (db.exists() and done.exists()):
        done.unlink(missing_ok=True)
        import_file(db, jsonl_for(count))
        done.touch()
    return db


def run(quick: bool = False) -> list[Figure]:
    count = size_for(quick)
    items = jsonl_for(count)
    db = db_for(count)
    db.with_name(db.name + ".imported").unlink(missing_ok=True)
    megabytes = items.stat().st_size / 1e6
    say(f"importing {count:,} items ({megabytes:,.0f} MB of JSONL)")
    seconds, inserted = import_file(db, items)
    assert inserted == count, (inserted, count)
    db.with_name(db.name + ".imported").touch()
    rate = count / seconds
    return [
        Figure(f"import {count:,} JSONL items ({megabytes:,.0f} MB), wall time", seconds, "s"),
        Figure(
            f"import {count:,} JSONL items, throughput",
            rate,
            "items/s",
            f"≥ {AIM:,} items/s",
            rate >= AIM,
        ),
        Figure("database size after import", db.stat().st_size / 1e6, "MB"),
    ]


if __name__ == "__main__":
    main_for(run, __doc__)
