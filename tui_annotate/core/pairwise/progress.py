"""How far a pairwise task has got: pairs, votes, and each annotator's count."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_annotate.core.pairwise.models import Task
from tui_annotate.core.results.pairwise import AnnotatorProgress, PairwiseStatus

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def task_status(repo: Repository, task: Task) -> PairwiseStatus:
    store = repo.pairwise
    pairs = store.pair_count(task.id)
    counts = store.state_counts(task.id)
    people = len(task.annotators) if task.annotators else task.overlap
    return PairwiseStatus(
        task=task.id,
        prompt=task.prompt,
        versions=task.versions,
        annotators=task.annotators,
        overlap=task.overlap,
        pairs=pairs,
        skipped_identical=task.skipped_identical,
        pairs_voted=store.pairs_voted(task.id),
        votes=sum(v for _, v, _ in counts),
        votes_wanted=pairs * people,
        progress=tuple(AnnotatorProgress(annotator=a, voted=v, skipped=s) for a, v, s in counts),
    )
