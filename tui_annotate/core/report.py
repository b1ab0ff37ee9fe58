"""What is in a project: items, labels per rubric and annotator, and what is left to label."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tui_annotate.core.results.status import AnnotatorCounts, ProjectStatus, RubricStatus

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def status(repo: Repository, rubrics: list[str]) -> ProjectStatus:
    """The project's summary; RUBRICS adds rubrics nobody has labelled yet."""
    counts: dict[str, dict[str, AnnotatorCounts]] = {}
    for rubric, annotator, rated, skipped, flagged in repo.label_counts():
        counts.setdefault(rubric, {})[annotator] = AnnotatorCounts(rated, skipped, flagged)
    # Held: handed out and not yet labelled, on a live lease (someone is on it) or a
    # run-out one (its annotator vanished; the next annotator who asks gets it).
    for rubric, annotator, held, lapsed in repo.lease_counts():
        mine = counts.setdefault(rubric, {})
        mine[annotator] = replace(mine.get(annotator, AnnotatorCounts()), held=held, lapsed=lapsed)
    total = repo.count_items()
    per_rubric: dict[str, RubricStatus] = {}
    for name in sorted(set(rubrics) | set(counts) | set(repo.rubrics_in_use())):
        unlabeled = repo.items_unlabeled(name)
        per_rubric[name] = RubricStatus(
            annotators=dict(sorted(counts.get(name, {}).items())),
            labeled_items=total - unlabeled,
            unlabeled_items=unlabeled,
        )
    return ProjectStatus(
        db=repo.path, schema_version=repo.schema_version(), items=total, rubrics=per_rubric
    )
