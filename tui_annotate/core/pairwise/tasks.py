"""Starting a pairwise task and finding one, with errors that name what exists.

Bad input is refused before anything is written (exit 2): one version, a
version or prompt the items don't have, no case shared by the versions, a
task id that doesn't exist. Each message lists the names that do exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui_annotate.core.decide.versions import sorted_versions
from tui_annotate.core.pairwise import pairing
from tui_annotate.core.pairwise.models import Drawn, Task
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def _names(values: Sequence[str]) -> str:
    return ", ".join(repr(v) for v in values) or "none"


def start(
    repo: Repository,
    *,
    prompt: str,
    versions: Sequence[str],
    seed: int = 0,
    items: int | None = None,
    annotators: Sequence[str] = (),
    overlap: int = 1,
    rubric: str = "",
) -> tuple[int, Drawn]:
    """Draw the pairs and store the task; returns its id and what was drawn."""
    versions = [v.strip() for v in versions if v.strip()]
    if len(set(versions)) != len(versions):
        raise InputError(f"a version is listed twice: {_names(versions)}", field="--versions")
    known = repo.pairwise.prompt_versions()
    if prompt not in known:
        raise InputError(
            f"no items of prompt {prompt!r}; prompts with items: {_names(sorted(known))}",
            field="--prompt",
        )
    # Release order (1.9.0 before 1.10.0), as a lead reads them; not text order.
    have = sorted_versions(known[prompt])
    if len(versions) < 2:
        raise InputError(
            f"compare at least two versions (given {_names(versions)}); "
            f"{prompt!r} has {_names(have)}",
            field="--versions",
        )
    unknown = [v for v in versions if v not in have]
    if unknown:
        raise InputError(
            f"{prompt!r} has no items of version {_names(unknown)}; it has {_names(have)}",
            field="--versions",
        )
    if items is not None and items < 1:
        raise InputError("must be at least 1", field="--items")
    drawn = pairing.draw(
        repo.pairwise.candidates(prompt, versions), versions, seed=seed, items=items
    )
    if not drawn.pairs:
        why = (
            f" ({drawn.skipped_identical} shared case(s) have identical outputs)"
            if drawn.skipped_identical
            else ""
        )
        raise InputError(
            f"versions {_names(versions)} of {prompt!r} share no case (the same `case`, "
            f"else the same input) with different outputs{why}",
            field="--versions",
        )
    task = Task(
        id=0,
        prompt=prompt,
        versions=tuple(versions),
        seed=seed,
        overlap=overlap,
        annotators=tuple(annotators),
        rubric=rubric,
    )
    return repo.pairwise.create(task, drawn), drawn


def find(repo: Repository, task_id: int | None) -> Task:
    """The task with TASK_ID, or the latest one when None; InputError naming those that exist."""
    tasks = repo.pairwise.tasks()
    if not tasks:
        raise InputError("no pairwise task yet; start one with `tui-annotate pairwise start`")
    if task_id is None:
        return tasks[-1]
    for task in tasks:
        if task.id == task_id:
            return task
    raise InputError(
        f"no pairwise task {task_id}; tasks: {', '.join(str(t.id) for t in tasks)}",
        field="ID",
    )
