"""An open task (no --annotators): over each person's pairs, each version is on the left half
the time (±1), however their turns interleave; with overlap 2, a pair's second person sees it
mirrored whenever that keeps them balanced."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from tests.pairwise_data import PROMPT, make_project
from tui_annotate.core.pairwise import tasks
from tui_annotate.store.repository import Repository


def left_balance(repo: Repository, task_id: int, annotator: str) -> dict[str, tuple[int, int]]:
    """version -> (times on the left, pairs it was in) over the annotator's votes."""
    left: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for v in repo.pairwise.current_votes(task_id):
        if v.annotator == annotator:
            left[v.version_a if v.left == "a" else v.version_b] += 1
            seen[v.version_a] += 1
            seen[v.version_b] += 1
    return {version: (left[version], seen[version]) for version in seen}


def walk(db: Path, versions: list[str], *, overlap: int, seed: int) -> tuple[Repository, int]:
    """Three people take turns at random on an open task until it has nothing left for them."""
    repo = Repository.open(db)
    task_id, _ = tasks.start(repo, prompt=PROMPT, versions=versions, overlap=overlap, seed=seed)
    task = tasks.find(repo, task_id)
    rng = random.Random(seed)
    people = ["ana", "ben", "cy"]
    while people:
        name = rng.choice(people)
        claimed = repo.pairwise.claim_next(task, name)
        if claimed is None:
            people.remove(name)
            continue
        pair_id, left = claimed
        choice = rng.choice(["a", "b", "tie"])
        repo.pairwise.append(task, pair_id, name, kind="vote", left=left, choice=choice)  # type: ignore[arg-type]
    return repo, task_id


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("overlap", [1, 2])
@pytest.mark.parametrize("versions", [["1.0.0", "1.1.0"], ["1.0.0", "1.1.0", "1.2.0"]])
def test_each_person_of_an_open_task_sees_each_version_left_half_the_time(
    db_path: Path, seed: int, overlap: int, versions: list[str]
) -> None:
    make_project(db_path, 30, versions)
    repo, task_id = walk(db_path, versions, overlap=overlap, seed=seed)
    try:
        votes = repo.pairwise.current_votes(task_id)
        assert len(votes) == repo.pairwise.pair_count(task_id) * overlap
        for name in ("ana", "ben", "cy"):
            for version, (left, n) in left_balance(repo, task_id, name).items():
                assert abs(2 * left - n) <= 1, (name, version, left, n)
        if overlap == 2 and len(versions) == 2:
            by_pair: dict[int, set[str]] = {}
            for v in votes:
                by_pair.setdefault(v.pair_id, set()).add(v.left)
            both = sum(sides == {"a", "b"} for sides in by_pair.values())
            # Seen both ways round, but for the few a person took last, when only a pair
            # that would tip them off balance was left.
            assert both >= len(by_pair) - 3, (both, len(by_pair))
    finally:
        repo.close()
