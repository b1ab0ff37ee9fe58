"""Labels made elsewhere, brought into a project: all of a file or none of it.

The file is read and checked by core/label_file.py; this stages the rows
unseen, and the store writes them in short transactions nobody sees and
shows them all in a last one (store/label_stage.py), so annotators at work
are never held up by an import for long.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_annotate.core import snapshot, source
from tui_annotate.core.clock import now
from tui_annotate.core.label_file import iter_labels
from tui_annotate.core.models import Rubric
from tui_annotate.errors import InputError, ManyInputErrors

if TYPE_CHECKING:
    from tui_annotate.store.label_stage import StagedLabel
    from tui_annotate.store.repository import Repository


@dataclass(frozen=True, slots=True)
class LabelImportResult:
    """What an import of labels did: rows read, labels appended, identical ones left alone."""

    file: str
    read: int
    inserted: int

    @property
    def duplicates(self) -> int:
        return self.read - self.inserted


#: Rows staged per transaction on the (temporary, private) staging table.
STAGE_ROWS = 20_000


def import_labels(
    repo: Repository,
    path: Path,
    rubrics: Mapping[str, Rubric] | Callable[[str], Rubric | None],
    default: str | None,
    fmt: str | None = None,
    waiting: Callable[[str], None] | None = None,
) -> LabelImportResult:
    """Append every label in PATH, or none: unknown items, rubrics or off-scale scores are errors.

    RUBRICS maps the names the file may use to loaded rubrics (or finds one
    by name, None if there is none); DEFAULT names the rubric for rows
    without a `rubric` column. A label identical to one already in the
    project is left alone and counted as a duplicate. The file is read once,
    as a stream; nothing is visible until every label is in
    (store/label_stage.py). Imports take turns: WAITING(who) is told when
    this one waits for another (an import of items, say) to finish.
    """
    find = rubrics.get if isinstance(rubrics, Mapping) else rubrics
    name = source.display_name(path)
    errors: list[InputError] = []
    # Per rubric name: the rubric, its scale's scores and its tag names (None: unknown).
    checks: dict[str, tuple[Rubric, frozenset[int], frozenset[str]] | None] = {}
    used: dict[str, Rubric] = {}
    batch: list[StagedLabel] = []
    with repo.label_stage(waiting) as stage:
        for row in iter_labels(path, fmt):
            if isinstance(row, InputError):
                errors.append(row)
                continue
            rubric_name = row.rubric or default
            if not rubric_name:
                errors.append(
                    InputError(
                        "no rubric: add a rubric column or pass --rubric",
                        file=name,
                        line=row.line,
                        field="rubric",
                    )
                )
                continue
            if rubric_name not in checks:
                found = find(rubric_name)
                checks[rubric_name] = (
                    None
                    if found is None
                    else (
                        found,
                        frozenset(v for v in found.values if found.level_for(v) is not None),
                        frozenset(t.name for t in found.tags),
                    )
                )
            check = checks[rubric_name]
            if check is None:
                errors.append(
                    InputError(
                        f"unknown rubric {rubric_name!r}", file=name, line=row.line, field="rubric"
                    )
                )
                continue
            rubric, scores, tag_names = check
            score = row.score
            if type(score) is not int or score not in scores:
                errors.append(
                    InputError(
                        f"{score!r} is not on the {rubric.name} scale {list(rubric.values)}",
                        file=name,
                        line=row.line,
                        field="score",
                    )
                )
                continue
            if row.tags:
                unknown = [t for t in row.tags if t not in tag_names]
                if unknown:
                    errors.append(
                        InputError(
                            f"unknown tag {unknown[0]!r}", file=name, line=row.line, field="tags"
                        )
                    )
                    continue
                tags = _JSON.encode(list(row.tags))
            else:
                tags = "[]"
            if errors:
                continue  # read on to report every bad line, but stage nothing more
            used[rubric.name] = rubric
            batch.append(
                (
                    row.line,
                    row.item_id,
                    rubric.name,
                    rubric.version,
                    row.annotator,
                    score,
                    tags,
                    row.comment,
                )
            )
            if len(batch) >= STAGE_ROWS:
                stage.add(batch)
                batch = []
        if errors:
            raise ManyInputErrors(errors)
        stage.add(batch)
        if stage.rows == 0:
            raise InputError("has no labels", file=name)
        missing, count = stage.unknown_items(10)
        if missing:
            shown = ", ".join(repr(m) for m in missing)
            more = f" and {count - len(missing)} more" if count > len(missing) else ""
            raise InputError(
                f"unknown item ids: {shown}{more} (import the items first)",
                file=name,
                field="item_id",
            )
        for rubric in used.values():
            snapshot.register(repo, rubric)
        inserted = stage.publish(now(), name)
        return LabelImportResult(file=name, read=stage.rows, inserted=inserted)


# The tags column as Repository.append_event writes it (json.dumps' default separators).
_JSON = json.JSONEncoder()
