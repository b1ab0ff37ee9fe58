"""`Repository.prompt_table` against a plain Python oracle replayed from the label log,
and against export: the table resolves every item exactly as export does.

The data is random but seeded: several annotators re-rating, retracting and
skipping, two judge models re-running, golden labels set twice, a rubric whose
direction is "lower", and items of another prompt that must stay out.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import defaultdict

import numpy as np
import pytest

from tests.conftest import load_shipped
from tui_annotate.core import export, snapshot
from tui_annotate.core.case_hash import case_hash
from tui_annotate.core.decide.table import GOLDEN, HUMAN, JUDGE, NONE, PromptTable
from tui_annotate.core.decide.versions import semver_key
from tui_annotate.core.models import Rubric
from tui_annotate.store import decide
from tui_annotate.store.repository import LabelWrite, Repository

PROMPT = "support-answer"
VERSIONS = ("1.10.0", "1.2.0", "1.9.0")  # text order differs from release order
CASES = 12
HUMANS = ("ana", "bob", "cy")
JUDGES = ("judge:a", "judge:b")
TAGS = ("wrong-number", "rude", "made-up")


def rubrics() -> list[Rubric]:
    faith = load_shipped("faithfulness")
    # A rubric where a low score is good: PASS at 2 or less.
    toxic = dataclasses.replace(faith, name="toxicity", direction="lower", pass_threshold=2)
    return [faith, toxic]


def insert_items(repo: Repository) -> None:
    rows = []
    n = 0
    for version in VERSIONS:
        for case in range(CASES):
            n += 1
            # Half the cases are named by `case`, the rest by their input text.
            case_key = f"case-{case}" if case % 2 else ""
            rows.append(
                (
                    f"{version}/{case}",
                    f"h{n}",
                    n,
                    f"question {case}",
                    f"answer {n}",
                    PROMPT,
                    version,
                    case_key,
                    f"2026-03-0{1 + case % 5}T10:00:00Z" if case % 3 else "",
                )
            )
    rows.append(("other", "hx", 999, "question 0", "other prompt", "another", "1.0.0", "", ""))
    with repo.transaction():
        repo.conn.executemany(
            "INSERT INTO items (external_id, content_hash, rank, input, output, prompt,"
            " prompt_version, case_key, logged_at, imported_at) VALUES (?,?,?,?,?,?,?,?,?,"
            " '2026-02-01T09:30:00.000Z')",
            rows,
        )


def random_labels(repo: Repository, seed: int) -> None:
    rng = random.Random(seed)
    ids = list(
        repo.item_ids_by_external(
            [f"{v}/{c}" for v in VERSIONS for c in range(CASES)] + ["other"]
        ).values()
    )
    events: list[LabelWrite] = []
    for rubric in rubrics():
        snapshot.register(repo, rubric)
        for _ in range(400):
            item = rng.choice(ids)
            who = rng.choice(HUMANS + JUDGES)
            kind = rng.choices(["rate", "retract", "skip"], [8, 1, 1])[0]
            events.append(
                {
                    "item_id": item,
                    "rubric": rubric.name,
                    "rubric_version": rubric.version,
                    "annotator": who,
                    "kind": kind,
                    "score": rng.randint(1, 5) if kind == "rate" else None,
                    "tags": rng.sample(TAGS, rng.randint(0, 2)),
                    "comment": rng.choice(["", "", "see the refund policy", "  "]),
                }
            )
        with repo.transaction():  # one commit for the lot: the order is what matters here
            for event in events:
                repo.labels.append_within(event)
        events.clear()
        for _ in range(10):
            repo.rounds.add_golden(
                item_id=rng.choice(ids),
                rubric=rubric.name,
                rubric_version=rubric.version,
                score=rng.randint(1, 5),
                note="",
                adjudicator="lead",
                round_id=None,
            )


@pytest.fixture(params=[1, 2, 3])
def table_repo(repo: Repository, request: pytest.FixtureRequest) -> Repository:
    insert_items(repo)
    random_labels(repo, request.param)
    return repo


def oracle(repo: Repository, rubric: Rubric) -> dict[int, dict[str, object]]:
    """Per item id: golden, human consensus, n humans, latest judge, tags, comments."""
    current: dict[tuple[int, str], tuple[int, int, tuple[str, ...], str] | None] = {}
    for event in repo.events(rubric=rubric.name):
        key = (event.item_id, event.annotator)
        if event.kind == "rate":
            assert event.score is not None
            current[key] = (event.id, event.score, event.tags, event.comment)
        elif event.kind in ("retract", "skip"):
            current[key] = None
    golden = {item: g.score for item, g in repo.rounds.golden(rubric.name).items()}
    out: dict[int, dict[str, object]] = defaultdict(dict)
    humans: dict[int, list[tuple[int, str, int, tuple[str, ...], str]]] = defaultdict(list)
    judges: dict[int, list[tuple[int, int, tuple[str, ...]]]] = defaultdict(list)
    for (item, who), state in current.items():
        if state is None:
            continue
        if who.startswith("judge:"):
            judges[item].append((state[0], state[1], state[2]))
        else:
            humans[item].append((state[0], who, state[1], state[2], state[3]))
    for item in {*golden, *humans, *judges}:
        scores = sorted(h[2] for h in humans[item])
        consensus = scores[(len(scores) - 1) // 2] if scores else None
        judge = max(judges[item])[1] if judges[item] else None
        people = golden.get(item, consensus)
        fails = people is not None and not rubric.passes(people)
        judge_fails = judge is not None and not rubric.passes(judge)
        tags = sorted({t for h in humans[item] for t in h[3]}) if fails else []
        # Comments: the people's, on the items whose golden-or-consensus score FAILs.
        notes = [f"{h[1]}: {h[4]}" for h in sorted(humans[item]) if h[4].strip()] if fails else []
        latest = max(judges[item]) if judges[item] else None
        judge_tags = tuple(sorted(set(latest[2]))) if latest and judge_fails else ()
        out[item] = {
            "golden": golden.get(item),
            "human": consensus,
            "n_human": len(scores),
            "judge": judge,
            "tags": tuple(tags),
            "comments": tuple(notes),
            "judge_tags": judge_tags,
        }
    return out


def nan_or(value: float) -> int | None:
    return None if math.isnan(value) else int(value)


def test_rows_are_the_prompts_items_in_release_order(table_repo: Repository) -> None:
    table = table_repo.prompt_table(PROMPT, rubrics())
    assert isinstance(table, PromptTable)
    assert table.versions == ("1.2.0", "1.9.0", "1.10.0")
    assert len(table) == len(VERSIONS) * CASES
    assert "other" not in table.external_ids
    for row, external in enumerate(table.external_ids):
        version, case = external.split("/")
        assert table.versions[table.version_codes[row]] == version
        want_case = f"case-{case}" if int(case) % 2 else f"question {case}"
        assert table.cases[table.case_codes[row]] == want_case
        want_time = (
            f"2026-03-0{1 + int(case) % 5}T10:00:00" if int(case) % 3 else "2026-02-01T09:30:00"
        )
        assert table.times[row] == np.datetime64(want_time)
    # Same case, three versions: one code per case.
    assert len(table.cases) == CASES


def test_table_matches_the_oracle(table_repo: Repository) -> None:
    table = table_repo.prompt_table(PROMPT, rubrics())
    for rubric in rubrics():
        want = oracle(table_repo, rubric)
        column = table.rubrics[rubric.name]
        assert column.direction == rubric.direction
        assert column.threshold == rubric.pass_threshold
        for row, item_id in enumerate(table.item_ids.tolist()):
            expect = want.get(item_id, {})
            assert nan_or(column.golden[row]) == expect.get("golden"), (rubric.name, row)
            assert nan_or(column.human[row]) == expect.get("human"), (rubric.name, row)
            assert int(column.n_human[row]) == expect.get("n_human", 0)
            assert nan_or(column.judge[row]) == expect.get("judge"), (rubric.name, row)
            assert column.human_tags.get(row, ()) == expect.get("tags", ())
            assert column.comments.get(row, ()) == expect.get("comments", ())
            assert column.judge_tags.get(row, ()) == expect.get("judge_tags", ())
    total = sum(c.n_human for c in table.rubrics.values())
    assert np.array_equal(table.n_human_total, total)


def test_the_table_resolves_as_export_does(table_repo: Repository) -> None:
    table = table_repo.prompt_table(PROMPT, rubrics())
    rows = {ext: n for n, ext in enumerate(table.external_ids)}
    names = {GOLDEN: "golden", HUMAN: "human", JUDGE: "judge"}
    for rubric in rubrics():
        for use_judge in (False, True):
            score, src = table.rubrics[rubric.name].resolved(use_judge)
            exported = {
                r.item_id: r
                for r in export.rows(table_repo, rubric, include_judge=use_judge)
                if r.prompt == PROMPT
            }
            assert exported, "the random data labels some items"
            for ext, row in rows.items():
                if ext in exported:
                    assert score[row] == exported[ext].score, (rubric.name, ext)
                    assert names[int(src[row])] == exported[ext].label_source
                    passed = table.rubrics[rubric.name].passes(score[row : row + 1])[0]
                    assert ("PASS" if passed == 1.0 else "FAIL") == exported[ext].verdict
                else:
                    assert math.isnan(score[row]) and src[row] == NONE, (rubric.name, ext)


def test_an_unknown_prompt_is_an_empty_table(repo: Repository) -> None:
    insert_items(repo)
    table = repo.prompt_table("nobody", rubrics())
    assert len(table) == 0 and table.versions == () and table.cases == ()
    assert table.rubrics["toxicity"].human.shape == (0,)


def test_prompts_versions_rubrics_and_golden_digest(table_repo: Repository) -> None:
    assert table_repo.decide_prompts() == {
        "another": ("1.0.0",),
        PROMPT: ("1.2.0", "1.9.0", "1.10.0"),
    }
    assert table_repo.rubrics_labelled(PROMPT) == ("faithfulness", "toxicity")
    assert table_repo.rubrics_labelled("nobody") == ()
    rows = table_repo.golden_digest_rows(["toxicity", "faithfulness", "nosuch"])
    assert rows == sorted(rows)
    latest = {
        (table_repo.get_item(item).external_id, name): g.score
        for name in ("faithfulness", "toxicity")
        for item, g in table_repo.rounds.golden(name).items()
    }
    assert {(r[0], r[1]): r[3] for r in rows} == latest
    assert len(rows) == len(latest)


def test_semver_order() -> None:
    versions = ["1.10.0", "v1.2", "1.2.0-rc.1", "1.2.0-alpha", "1.2.0", "zeta", "alpha", "1.9.0"]
    assert sorted(versions, key=semver_key) == [
        "1.2.0-alpha",
        "1.2.0-rc.1",
        "1.2.0",
        "v1.2",
        "1.9.0",
        "1.10.0",
        "alpha",
        "zeta",
    ]


def same_table(a: PromptTable, b: PromptTable, *, notes: bool = True) -> None:
    assert a.external_ids == b.external_ids and a.cases == b.cases and a.versions == b.versions
    for name in ("item_ids", "version_codes", "case_codes", "times", "n_human_total"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for rubric, column in a.rubrics.items():
        other = b.rubrics[rubric]
        for name in ("golden", "human", "judge", "n_human"):
            assert np.array_equal(getattr(column, name), getattr(other, name), equal_nan=True)
        if notes:
            assert column.human_tags == other.human_tags
            assert column.judge_tags == other.judge_tags
            assert column.comments == other.comments


def test_every_read_path_gives_the_same_table(
    table_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The items on a second connection or this one, with case hashes written or not
    (rows inserted through the view, as here, have none): one table."""
    from tui_annotate.store import decide

    plain = table_repo.prompt_table(PROMPT, rubrics())
    assert plain.rubrics["faithfulness"].human_tags, "the random data has tagged FAILs"
    monkeypatch.setattr(decide, "PARALLEL_FROM", 0)
    same_table(plain, table_repo.prompt_table(PROMPT, rubrics()))
    # Many items of another prompt in between: they stay out.
    with table_repo.transaction():
        table_repo.conn.executemany(
            "INSERT INTO items (external_id, content_hash, rank, output, prompt, imported_at)"
            " VALUES (?, ?, 0, 'x', 'bulk', '2026-01-01T00:00:00Z')",
            [(f"bulk{n}", f"hb{n}") for n in range(200)],
        )
    same_table(plain, table_repo.prompt_table(PROMPT, rubrics()))
    # The hashes as import writes them (all but one row): the same cases, the same codes.
    table_repo.conn.create_function("h", 1, case_hash)
    table_repo.conn.execute(
        "UPDATE items_all SET case_hash = h(CASE WHEN case_key != '' THEN case_key"
        " ELSE input END) WHERE id != 3"
    )
    assert table_repo.conn.execute("SELECT count(*) FROM items_all WHERE case_hash IS NULL")
    same_table(plain, table_repo.prompt_table(PROMPT, rubrics()))
    # A NUL in an external id (no import writes one) is read as it is.
    table_repo.conn.execute("UPDATE items_all SET external_id = ? WHERE id = 1", ("odd\x00one",))
    odd = table_repo.prompt_table(PROMPT, rubrics())
    assert odd.external_ids[0] == "odd\x00one"
    assert odd.external_ids[1:] == plain.external_ids[1:]
    # A time written by hand, in another form than the stored one, without its seconds
    # (import computes them): read here, with its offset.
    table_repo.conn.execute(
        "UPDATE items_all SET logged_at = '2026-03-01 10:00:00+02:00', happened_at = NULL"
        " WHERE id = 2"
    )
    moved = table_repo.prompt_table(PROMPT, rubrics())
    assert moved.times[1] == np.datetime64("2026-03-01T08:00:00")
    assert np.array_equal(moved.times[2:], plain.times[2:])
    # One SQLite can't read at all is parsed here, as the slow path always did: the epoch.
    table_repo.conn.execute("UPDATE items_all SET logged_at = 'yesterday' WHERE id = 2")
    assert table_repo.prompt_table(PROMPT, rubrics()).times[1] == np.datetime64(0, "s")


def test_without_notes_the_scores_are_the_same(table_repo: Repository) -> None:
    full = table_repo.prompt_table(PROMPT, rubrics())
    bare = table_repo.prompt_table(PROMPT, rubrics(), notes=False)
    same_table(full, bare, notes=False)
    assert all(
        not c.human_tags and not c.comments and not c.judge_tags for c in bare.rubrics.values()
    )


def test_one_label_per_item_is_its_own_consensus(repo: Repository) -> None:
    insert_items(repo)
    rubric = rubrics()[1]
    snapshot.register(repo, rubric)
    ids = repo.item_ids_by_external(["1.2.0/0", "1.2.0/1"])
    for n, (item, score) in enumerate(zip(ids.values(), (1, 4), strict=True)):
        repo.append_event(
            item_id=item,
            rubric=rubric.name,
            rubric_version=rubric.version,
            annotator=HUMANS[n],
            kind="rate",
            score=score,
        )
        repo.append_event(
            item_id=item,
            rubric=rubric.name,
            rubric_version=rubric.version,
            annotator="judge:a",
            kind="rate",
            score=5 - score,
        )
    table = repo.prompt_table(PROMPT, [rubric])
    rows = [table.external_ids.index(e) for e in ids]
    column = table.rubrics[rubric.name]
    assert column.human[rows].tolist() == [1.0, 4.0]
    assert column.judge[rows].tolist() == [4.0, 1.0]
    assert column.passes(column.human[rows]).tolist() == [1.0, 0.0]  # lower: PASS at 2 or less


def test_rubrics_read_beside_the_items_and_a_stale_read_redone(
    table_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some rubrics are read on the items' connection (with notes, the last of four); when that
    connection saw another state than this one, everything it read is read again here."""
    assert decide._aside(rubrics() * 2, notes=True) == [rubrics()[1]]
    assert decide._aside(rubrics() * 2, notes=False) == []
    faith, toxic = rubrics()
    empty = [dataclasses.replace(faith, name=f"unused{n}") for n in range(2)]
    order = [toxic, *empty, faith]  # faithfulness fourth: read in the thread
    plain = table_repo.prompt_table(PROMPT, order)
    monkeypatch.setattr(decide, "PARALLEL_FROM", 0)
    same_table(plain, table_repo.prompt_table(PROMPT, order))
    seen = iter(range(1000))
    monkeypatch.setattr(decide, "_state", lambda conn: (next(seen),))  # never the same
    same_table(plain, table_repo.prompt_table(PROMPT, order))
    assert next(seen) >= 2  # both sides asked


def test_labels_an_import_has_not_shown_stay_out(table_repo: Repository) -> None:
    """While import-labels holds a range of label ids unshown (m008), their state rows are
    not read; with nothing pending the test is left out of the query, same table."""
    before = table_repo.prompt_table(PROMPT, rubrics(), notes=False)
    item, event = table_repo.conn.execute(
        "SELECT item_id, event_id FROM label_state WHERE rubric = 'faithfulness'"
        " AND state = 'rated' AND annotator NOT LIKE 'judge:%' ORDER BY event_id LIMIT 1"
    ).fetchone()
    row = int(np.flatnonzero(before.item_ids == item)[0])
    table_repo.conn.execute(
        "UPDATE import_state SET labels_pending_from = ?, labels_pending_to = ?", (event, event)
    )
    hidden = table_repo.prompt_table(PROMPT, rubrics(), notes=False)
    column, was = hidden.rubrics["faithfulness"], before.rubrics["faithfulness"]
    assert column.n_human[row] == was.n_human[row] - 1
    assert np.array_equal(np.delete(column.n_human, row), np.delete(was.n_human, row))
    table_repo.conn.execute(
        "UPDATE import_state SET labels_pending_from = 1, labels_pending_to = 0"
    )
    same_table(before, table_repo.prompt_table(PROMPT, rubrics(), notes=False), notes=False)
