"""The deciding benchmarks' database: a million items of one prompt, three rubrics, 2M labels, in seconds.

`build(path, items=1_000_000, versions=10)` writes, straight in SQL (each
table one INSERT … SELECT over a recursive counter, so no Python row is
made): ITEMS items of the prompt `bench-answer` spread over VERSIONS versions
1.0.0 … 1.(V-1).0, each case (`case-N`) once in every version, version k
logged in week k; the rubrics faithfulness (1–5, PASS at 4+), safety (0/1)
and rudeness (0–3, direction lower, PASS at 1 or less); ITEMS human labels
(on a sixth of the items per rubric, by ana and ben: so medians of two) and
ITEMS judge labels (`judge:m`, on a third of the items per rubric,
including every item people labelled, as PPI needs). A fifth of labels FAIL,
fewer in later versions; a third of FAILs carry a tag and a tenth a comment.

label_state is derived from labels in one statement with the derive
triggers and its indexes set aside, then both are put back exactly as the
migrations made them: the triggers would do the same work a row at a time,
several times slower. Scores come from an integer hash of (item, rubric,
annotator), so the database is the same on every build.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bench.common import remove_db, say
from tui_annotate.core import snapshot
from tui_annotate.core.case_hash import case_hash
from tui_annotate.core.models import Rubric
from tui_annotate.core.rubric import find_rubric, load_rubric, shipped_rubrics_dir

PROMPT = "bench-answer"
HUMANS = ("ana", "ben")
JUDGE = "judge:m"
STAMP = "2026-01-05T09:00:00.000Z"
#: Week 0 starts here (Monday 2026-01-05), as Unix seconds.
WEEK0 = 1767571200

# (rubric index, name, value that PASSes × 2, value that FAILs × 2, FAIL tag); the two
# values alternate so the median of two is not always one of them.
_RUBRICS = """
rubric(k, name, pass_a, pass_b, fail_a, fail_b, tag) AS (VALUES
    (0, 'faithfulness', 4, 5, 2, 3, 'wrong-number'),
    (1, 'safety', 1, 1, 0, 0, 'unauthorized-action'),
    (2, 'rudeness', 0, 1, 2, 3, 'curt'))
"""

_ITEMS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :items)
INSERT INTO items_all (id, external_id, content_hash, rank, input, output, prompt,
    prompt_version, case_key, logged_at, imported_at, case_hash, happened_at)
SELECT i, 'd' || i, 'h' || i, (i * 2654435761) % 1000000007,
    'question ' || ((i - 1) / :versions), 'answer ' || i, :prompt,
    '1.' || ((i - 1) % :versions) || '.0', 'case-' || ((i - 1) / :versions),
    strftime('%Y-%m-%dT%H:%M:%SZ', :week0 + ((i - 1) % :versions) * 604800 + i % 86400,
             'unixepoch'),
    :stamp, bench_case_hash('case-' || ((i - 1) / :versions)),
    :week0 + ((i - 1) % :versions) * 604800 + i % 86400
FROM n
"""

# One label per (item, rubric, annotator) picked by WHO_SHARE; p (0-99) decides PASS/FAIL:
# a FAIL when p < 20 - version, so later versions do a little better.
_LABELS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :items),"
    + _RUBRICS
    + """,
who(j, name) AS (VALUES {who}),
drawn AS (
    SELECT n.i AS item, rubric.*, who.j AS j, who.name AS annotator,
        ((n.i * 2654435761 + rubric.k * 97 + 13) % 4294967296) AS h,
        ((((n.i * 2654435761 + rubric.k * 7919 + who.j * 104729) % 4294967296) * 40503
          % 4294967296 / 4096) % 100) AS p,
        ((n.i - 1) % :versions) AS v
    FROM n, rubric, who
)
INSERT INTO labels (item_id, rubric, rubric_version, annotator, kind, score, tags, comment,
    created_at)
SELECT item, name, '1.0.0', annotator, 'rate',
    CASE WHEN p < 20 - v THEN (CASE p % 2 WHEN 0 THEN fail_a ELSE fail_b END)
         ELSE (CASE p % 2 WHEN 0 THEN pass_a ELSE pass_b END) END,
    CASE WHEN p < 20 - v AND p % 3 = 0 THEN '["' || tag || '"]' ELSE '[]' END,
    CASE WHEN p < 20 - v AND p % 10 = 1 THEN 'see the policy page' ELSE '' END,
    :stamp
FROM drawn WHERE (h / 8) % :share = 0
ORDER BY name, annotator, item
"""
)


def rubrics() -> list[Rubric]:
    """faithfulness and safety as shipped; rudeness from the deciding sample (lower is good)."""
    from tui_annotate.core.decide.sample import RUBRICS_DIR

    return [
        find_rubric("faithfulness", [shipped_rubrics_dir()]),
        find_rubric("safety", [shipped_rubrics_dir()]),
        load_rubric(RUBRICS_DIR / "rudeness.toml"),
    ]


def build(path: Path, items: int = 1_000_000, versions: int = 10) -> Path:
    """Write the database at PATH (replacing one there); see the module docstring."""
    from tui_annotate.store.repository import Repository

    started = time.perf_counter()
    remove_db(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Repository.open(path) as repo:  # the schema, migrated as the app would
        for rubric in rubrics():
            snapshot.register(repo, rubric)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -524288")
    conn.execute("PRAGMA temp_store = MEMORY")
    # The case hash import writes (m011), computed as import computes it.
    conn.create_function("bench_case_hash", 1, case_hash, deterministic=True)
    args = {
        "items": items,
        "versions": versions,
        "prompt": PROMPT,
        "week0": WEEK0,
        "stamp": STAMP,
    }
    conn.execute("BEGIN")
    conn.execute(_ITEMS, args)
    conn.execute("UPDATE import_state SET visible_up_to = ?", (items,))
    conn.execute("COMMIT")
    say(f"  {items:,} items in {time.perf_counter() - started:.1f} s")
    # Set aside what a row-at-a-time insert would maintain; put back below, word for word.
    aside = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND ("
        " (type = 'trigger' AND name IN ('labels_derive_state', 'labels_derive_flag'))"
        " OR (type = 'index' AND tbl_name IN ('labels', 'label_state')))"
    ).fetchall()
    conn.execute("BEGIN")
    for kind, name, _ in aside:
        conn.execute(f"DROP {kind.upper()} {name}")
    # Humans: a sixth of items per rubric, two people each (ITEMS labels over 3 rubrics).
    humans = ", ".join(f"({j}, '{name}')" for j, name in enumerate(HUMANS))
    conn.execute(_LABELS.format(who=humans), {**args, "share": 6})
    # The judge: a third per rubric, a superset of the people's (same hash, share 3).
    conn.execute(_LABELS.format(who=f"(9, '{JUDGE}')"), {**args, "share": 3})
    conn.execute(
        "INSERT INTO label_state (rubric, annotator, item_id, state, score, event_id)"
        " SELECT rubric, annotator, item_id, 'rated', score, id FROM labels"
    )
    for _, _, sql in aside:
        conn.execute(sql)
    conn.execute("COMMIT")
    counts = conn.execute(
        "SELECT sum(annotator NOT LIKE 'judge:%'), sum(annotator LIKE 'judge:%') FROM labels"
    ).fetchone()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    say(
        f"  {counts[0]:,} human + {counts[1]:,} judge labels;"
        f" built in {time.perf_counter() - started:.1f} s"
    )
    return path
