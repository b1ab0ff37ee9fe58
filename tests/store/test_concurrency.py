"""Several annotators on one database at once: the overlap limit holds across connections and processes."""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from pathlib import Path

from tests.conftest import SAMPLE
from tests.store._workers import annotate_until_done
from tui_annotate.core import ingest, snapshot
from tui_annotate.core.models import Rubric
from tui_annotate.core.queue_order import start_rank
from tui_annotate.store.repository import Repository

RUBRIC = "faithfulness"
N_ITEMS = 40
#: Generated items on top of the sample, so the processes overlap in time instead of one
#: finishing all 40 before the others have started.
MORE = 360


def make_project(path: Path, rubric: Rubric, extra: int = 0) -> int:
    """The sample project, plus EXTRA generated items so that processes really contend."""
    with Repository.open(path) as repo:
        ingest.import_items(repo, SAMPLE)
        if extra:
            more = path.parent / "more.jsonl"
            more.write_text(
                "".join(
                    json.dumps({"id": f"gen-{n}", "output": f"answer {n}"}) + "\n"
                    for n in range(extra)
                ),
                "utf-8",
            )
            ingest.import_items(repo, more)
        snapshot.register(repo, rubric)
        return repo.count_items()


def holders(path: Path) -> dict[int, set[str]]:
    with Repository.open(path) as repo:
        out: dict[int, set[str]] = {}
        for item_id, annotator in repo.conn.execute(
            "SELECT item_id, annotator FROM assignments WHERE rubric = ?", (RUBRIC,)
        ):
            out.setdefault(item_id, set()).add(annotator)
        return out


def raters(path: Path) -> dict[int, list[str]]:
    with Repository.open(path) as repo:
        out: dict[int, list[str]] = {}
        for label in repo.current_labels(RUBRIC):
            out.setdefault(label.item_id, []).append(label.annotator)
        return out


def test_two_connections_claim_disjoint_items(db_path: Path, faithfulness: Rubric) -> None:
    make_project(db_path, faithfulness)
    a, b = Repository.open(db_path), Repository.open(db_path)
    try:
        claimed: dict[str, list[int]] = {"ana": [], "bob": []}
        active = {"ana": a, "bob": b}
        while active:
            for name, repo in list(active.items()):
                item = repo.claim_next(RUBRIC, name, overlap=1, start_rank=start_rank(name, RUBRIC))
                if item is None:
                    del active[name]
                    continue
                claimed[name].append(item)
                repo.append_event(
                    item_id=item,
                    rubric=RUBRIC,
                    rubric_version=faithfulness.version,
                    annotator=name,
                    kind="rate",
                    score=3,
                )
        assert not set(claimed["ana"]) & set(claimed["bob"])
        assert sorted(claimed["ana"] + claimed["bob"]) == list(range(1, N_ITEMS + 1))
    finally:
        a.close()
        b.close()


def test_an_unrated_claim_blocks_the_other_connection(db_path: Path, faithfulness: Rubric) -> None:
    """Claimed but not yet rated still counts: the other annotator never gets it."""
    make_project(db_path, faithfulness)
    a, b = Repository.open(db_path), Repository.open(db_path)
    try:
        held = a.claim_next(RUBRIC, "ana", overlap=1, start_rank=0)
        assert held is not None
        seen = set()
        while (item := b.claim_next(RUBRIC, "bob", overlap=1, start_rank=0)) is not None:
            seen.add(item)
            b.append_event(
                item_id=item,
                rubric=RUBRIC,
                rubric_version=faithfulness.version,
                annotator="bob",
                kind="rate",
                score=2,
            )
        assert held not in seen
        assert len(seen) == N_ITEMS - 1
        # Ana's claim is still hers on a fresh connection (a restarted app).
        assert a.claim_next(RUBRIC, "ana", overlap=1, start_rank=0) == held
    finally:
        a.close()
        b.close()


def run_processes(db: Path, overlap: int, n: int = 4) -> dict[str, list[int]]:
    """N annotator processes (spawned, each with its own connection) released together."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(
            target=annotate_until_done, args=(str(db), f"annotator-{k}", overlap, barrier, results)
        )
        for k in range(n)
    ]
    for p in procs:
        p.start()
    try:
        got = [results.get(timeout=120) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    errors = [f"{name}:\n{error}" for name, _, error in got if error]
    assert not errors, "\n".join(errors)
    assert all(p.exitcode == 0 for p in procs)
    return {name: rated for name, rated, _ in got}


def test_four_processes_overlap_one(tmp_path: Path, faithfulness: Rubric) -> None:
    db = tmp_path / "annotations.db"
    total = make_project(db, faithfulness, extra=MORE)
    results = run_processes(db, overlap=1)
    counts = Counter(item for rated in results.values() for item in rated)
    assert sorted(counts) == list(range(1, total + 1))
    assert set(counts.values()) == {1}  # every item rated exactly once
    who = raters(db)
    assert all(len(names) == 1 for names in who.values())
    assert len(who) == total
    assert all(len(h) == 1 for h in holders(db).values())


def test_four_processes_overlap_two(tmp_path: Path, faithfulness: Rubric) -> None:
    db = tmp_path / "annotations.db"
    total = make_project(db, faithfulness, extra=MORE)
    results = run_processes(db, overlap=2)
    for rated in results.values():
        assert len(rated) == len(set(rated))  # nobody was handed the same item twice
    who = raters(db)
    assert set(who) == set(range(1, total + 1))  # every item has at least one label
    assert max(len(names) for names in who.values()) <= 2
    assert max(len(h) for h in holders(db).values()) <= 2
    # four annotators each kept going until nothing was left for them: every item reached 2
    assert sum(len(names) for names in who.values()) == 2 * total
