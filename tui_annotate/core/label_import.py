"""Labels made elsewhere, brought into a project: all of a file or none of it.

The file is read and checked by core/label_file.py, a batch at a time, and
made ready to write, in a thread of its own (core/read_ahead.py,
store/label_ready.py); meanwhile the main thread writes the batch before it,
unseen, in short transactions, and a last one shows them all at once
(store/label_stage.py): two cores, and annotators at work are never held up
by an import for long.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_annotate.core import snapshot, source
from tui_annotate.core.clock import now
from tui_annotate.core.label_file import iter_labels
from tui_annotate.core.models import Rubric
from tui_annotate.core.read_ahead import ReadAhead
from tui_annotate.errors import InputError, ManyInputErrors

if TYPE_CHECKING:
    from tui_annotate.store.label_ready import StagedLabel
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


#: Rows read, staged and written a batch at a time.
STAGE_ROWS = 20_000


class _Checks:
    """The rows of a label file, checked, in batches of StagedLabel; what was wrong, and used.

    Runs in the reading thread: once a line is wrong, no more batches come,
    but the rest of the file is read to report every bad line.
    """

    def __init__(
        self, find: Callable[[str], Rubric | None], default: str | None, name: str
    ) -> None:
        self.find = find
        self.default = default
        self.name = name
        self.errors: list[InputError] = []
        self.used: dict[str, Rubric] = {}

    def batches(self, path: Path, fmt: str | None) -> Iterator[list[StagedLabel]]:
        name, errors, find = self.name, self.errors, self.find
        # Per rubric name: the rubric, its scale's scores and its tag names (None: unknown).
        checks: dict[str, tuple[Rubric, frozenset[int], frozenset[str]] | None] = {}
        batch: list[StagedLabel] = []
        for row in iter_labels(path, fmt):
            if isinstance(row, InputError):
                errors.append(row)
                continue
            rubric_name = row.rubric or self.default
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
            self.used[rubric.name] = rubric
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
                yield batch
                batch = []
        if batch and not errors:
            yield batch


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
    source.check_path(path, "labels")  # before waiting for the lock: a typo says so at once
    checks = _Checks(find, default, name)
    with repo.label_stage(name, now(), source.line_bound(path), waiting) as stage:
        ready = stage.begin()

        def readied() -> Iterator[tuple[int, bool]]:
            """In the reading thread: each batch read, checked and made ready to write."""
            for batch in checks.batches(path, fmt):
                yield ready.add(batch), ready.unknown
            if not checks.errors:  # the rows held back for a sort, if any
                yield ready.finish(), ready.unknown

        with ReadAhead(readied()) as ahead:
            for top, unknown in ahead:
                if not unknown:  # else the import fails: the file is only read on
                    stage.write(top)  # while the next batch is read and readied
        if checks.errors:
            raise ManyInputErrors(checks.errors)
        if ready.rows == 0:
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
        for rubric in checks.used.values():
            snapshot.register(repo, rubric)
        inserted = stage.publish()
        return LabelImportResult(file=name, read=ready.rows, inserted=inserted)


# The tags column as Repository.append_event writes it (json.dumps' default separators).
_JSON = json.JSONEncoder()
