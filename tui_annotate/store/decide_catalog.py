"""What a lead can decide on: the prompts and their versions, the rubrics labelled, the golden set.

Small questions, each a few seeks: the CLI's "unknown prompt (these exist: …)"
messages, the default rubrics, and the gate's lock over the golden labels.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from tui_annotate.core.decide.versions import semver_key, sorted_versions
from tui_annotate.core.models import Rubric
from tui_annotate.store.clauses import shown

# The prompt's next version after :after, one seek in items_by_prompt (a skip-scan: ten
# versions cost ten seeks, not a walk over a million index entries).
_NEXT_VERSION = """
SELECT prompt_version FROM items_all INDEXED BY items_by_prompt
WHERE prompt = :prompt AND prompt_version > :after
  AND id <= (SELECT visible_up_to FROM import_state)
ORDER BY prompt_version LIMIT 1
"""

# The next (prompt, version) pair after (:prompt, :version), for decide_prompts.
_NEXT_PAIR = """
SELECT prompt, prompt_version FROM items_all INDEXED BY items_by_prompt
WHERE (prompt, prompt_version) > (:prompt, :version)
  AND id <= (SELECT visible_up_to FROM import_state)
ORDER BY prompt, prompt_version LIMIT 1
"""
_RUBRIC_VERSIONS = "SELECT version FROM rubrics WHERE name = ?"

_GOLDEN_DIGEST = """
SELECT i.external_id, g.rubric, g.rubric_version, g.score
FROM golden g JOIN items i ON i.id = g.item_id
WHERE g.rubric = :rubric
  AND g.id = (SELECT max(latest.id) FROM golden latest
              WHERE latest.rubric = g.rubric AND latest.item_id = g.item_id)
"""

# Does any current label or golden label of the rubric sit on an item of the prompt? The
# prompt's items outside (CROSS JOIN), a seek each: the other way round, each of the
# rubric's labels looked for the prompt's items all over again.
# `+i.id`: else SQLite carries "id <= watermark" over to s.item_id and ranges over it
# instead of seeking the one item (seen on a fresh database).
_RUBRIC_ON_PROMPT = """
SELECT EXISTS (
    SELECT 1 FROM items_all i INDEXED BY items_by_prompt
    CROSS JOIN label_state s INDEXED BY label_state_by_item
        ON s.rubric = :rubric AND s.item_id = i.id
    WHERE i.prompt = :prompt AND s.state = 'rated' AND {shown}
      AND +i.id <= (SELECT visible_up_to FROM import_state)
) OR EXISTS (
    SELECT 1 FROM golden g JOIN items i ON i.id = g.item_id
    WHERE g.rubric = :rubric AND i.prompt = :prompt
)
""".format(shown=shown("s"))

_NEXT_RUBRIC = "SELECT rubric FROM label_state WHERE rubric > ? ORDER BY rubric LIMIT 1"


def versions(conn: sqlite3.Connection, prompt: str) -> tuple[str, ...]:
    """The prompt's versions, in semantic-version order."""
    found: list[str] = []
    after: str | None = ""
    first = conn.execute(
        "SELECT 1 FROM items_all INDEXED BY items_by_prompt WHERE prompt = ?"
        " AND prompt_version = '' AND id <= (SELECT visible_up_to FROM import_state) LIMIT 1",
        (prompt,),
    ).fetchone()
    if first is not None:
        found.append("")
    while after is not None:
        row = conn.execute(_NEXT_VERSION, {"prompt": prompt, "after": after}).fetchone()
        after = None if row is None else str(row[0])
        if after is not None:
            found.append(after)
    return sorted_versions(found)


def decide_prompts(conn: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Every prompt (named; items without one can't be decided on) and its versions."""
    pairs: dict[str, list[str]] = {}
    key = ("", "")
    while True:
        row = conn.execute(_NEXT_PAIR, {"prompt": key[0], "version": key[1]}).fetchone()
        if row is None:
            break
        key = (str(row[0]), str(row[1]))
        pairs.setdefault(key[0], []).append(key[1])
    # ('', '') itself is never "after" ('', ''): a prompt named '' is left out anyway.
    pairs.pop("", None)
    return {p: sorted_versions(v) for p, v in sorted(pairs.items())}


def rubrics_labelled(conn: sqlite3.Connection, prompt: str) -> tuple[str, ...]:
    """Rubrics with a current label or a golden label on any item of PROMPT, sorted."""
    names: set[str] = {str(r[0]) for r in conn.execute("SELECT DISTINCT rubric FROM golden")}
    last = ""
    while (row := conn.execute(_NEXT_RUBRIC, (last,)).fetchone()) is not None:
        last = str(row[0])
        names.add(last)
    return tuple(
        sorted(
            name
            for name in names
            if conn.execute(_RUBRIC_ON_PROMPT, {"rubric": name, "prompt": prompt}).fetchone()[0]
        )
    )


def golden_digest_rows(
    conn: sqlite3.Connection, rubrics: Sequence[str]
) -> list[tuple[str, str, str, int]]:
    """(external id, rubric, rubric version, score) of each current golden label, sorted."""
    rows: list[tuple[str, str, str, int]] = []
    for name in sorted(set(rubrics)):
        rows.extend(
            (str(r[0]), str(r[1]), str(r[2]), int(r[3]))
            for r in conn.execute(_GOLDEN_DIGEST, {"rubric": name})
        )
    return sorted(rows)


def rubric_version(conn: sqlite3.Connection, rubric: Rubric) -> str:
    """The rubric's newest registered version; its own when none is registered."""
    known = [str(r[0]) for r in conn.execute(_RUBRIC_VERSIONS, (rubric.name,))]
    return max(known, key=semver_key) if known else rubric.version


# -- the table ----------------------------------------------------------------------
