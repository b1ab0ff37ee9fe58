"""What is in a project: items, labels per rubric and annotator, and what is left to label."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def status(repo: Repository, rubrics: list[str]) -> dict[str, Any]:
    """A JSON-ready summary; RUBRICS adds rubrics nobody has labelled yet."""
    per_rubric: dict[str, Any] = {}
    zero = {"rated": 0, "skipped": 0, "flagged": 0, "held": 0, "lapsed": 0}
    for rubric, annotator, rated, skipped, flagged in repo.label_counts():
        entry = per_rubric.setdefault(rubric, {"annotators": {}})
        entry["annotators"][annotator] = {
            **zero, "rated": rated, "skipped": skipped, "flagged": flagged,
        }  # fmt: skip
    # Held: handed out and not yet labelled, on a live lease (someone is on it) or a
    # run-out one (its annotator vanished; the next annotator who asks gets it).
    for rubric, annotator, held, lapsed in repo.lease_counts():
        entry = per_rubric.setdefault(rubric, {"annotators": {}})
        counts = entry["annotators"].setdefault(annotator, dict(zero))
        counts.update(held=held, lapsed=lapsed)
    for entry in per_rubric.values():
        entry["annotators"] = dict(sorted(entry["annotators"].items()))
    total = repo.count_items()
    for name in sorted(set(rubrics) | set(per_rubric) | set(repo.rubrics_in_use())):
        entry = per_rubric.setdefault(name, {"annotators": {}})
        unlabeled = repo.items_unlabeled(name)
        entry["labeled_items"] = total - unlabeled
        entry["unlabeled_items"] = unlabeled
    return {
        "db": repo.path,
        "schema_version": repo.schema_version(),
        "items": total,
        "rubrics": dict(sorted(per_rubric.items())),
    }
