"""Build `PromptTable`s directly from Python lists, for the deciding tests (no database).

Scores are given per row with None for "no label"; versions are sorted as
semantic versions. Other helpers' tests may reuse these builders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tui_annotate.core.decide.table import PromptTable, RubricColumn
from tui_annotate.core.models import Direction
from tui_annotate.core.results.decide import RubricInfo

Scores = Sequence[float | None]


def _arr(values: Scores | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    assert len(values) == n, "one score (or None) per row"
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def column(
    name: str,
    n: int,
    *,
    golden: Scores | None = None,
    human: Scores | None = None,
    judge: Scores | None = None,
    n_human: Sequence[int] | None = None,
    direction: Direction = "higher",
    threshold: int = 4,
    version: str = "1.0.0",
    human_tags: Mapping[int, tuple[str, ...]] | None = None,
    judge_tags: Mapping[int, tuple[str, ...]] | None = None,
    comments: Mapping[int, tuple[str, ...]] | None = None,
) -> RubricColumn:
    h = _arr(human, n)
    counts = (
        np.array(n_human, dtype=np.int32)
        if n_human is not None
        else (~np.isnan(h)).astype(np.int32)
    )
    return RubricColumn(
        name=name,
        direction=direction,
        threshold=threshold,
        version=version,
        golden=_arr(golden, n),
        human=h,
        n_human=counts,
        judge=_arr(judge, n),
        human_tags=dict(human_tags or {}),
        judge_tags=dict(judge_tags or {}),
        comments=dict(comments or {}),
    )


def _semver(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def table(
    versions: Sequence[str],
    cases: Sequence[str],
    rubrics: Sequence[RubricColumn],
    *,
    prompt: str = "support-answer",
    item_ids: Sequence[int] | None = None,
    n_human_total: Sequence[int] | None = None,
    times: Sequence[str] | None = None,
) -> PromptTable:
    """Row i: an item of VERSIONS[i] in CASES[i] (ids 1.. and external ids "it-1".. by default)."""
    n = len(versions)
    order = tuple(sorted(set(versions), key=_semver))
    case_names = tuple(dict.fromkeys(cases))
    ids = np.array(item_ids if item_ids is not None else range(1, n + 1), dtype=np.int64)
    if n_human_total is None:
        total = np.zeros(n, dtype=np.int32)
        for col in rubrics:
            total += col.n_human
    else:
        total = np.array(n_human_total, dtype=np.int32)
    return PromptTable(
        prompt=prompt,
        item_ids=ids,
        external_ids=tuple(f"it-{i}" for i in ids),
        version_codes=np.array([order.index(v) for v in versions], dtype=np.int32),
        versions=order,
        case_codes=np.array([case_names.index(c) for c in cases], dtype=np.int32),
        cases=case_names,
        times=np.array(times if times is not None else ["2026-11-30T00:00:00"] * n).astype(
            "datetime64[s]"
        ),
        n_human_total=total,
        rubrics={col.name: col for col in rubrics},
    )


def infos(
    t: PromptTable,
    *,
    min_pass_rate: Mapping[str, float] | None = None,
    weight: Mapping[str, float] | None = None,
    zero_tolerance: Sequence[str] = (),
) -> dict[str, RubricInfo]:
    """A RubricInfo per rubric of T, with the given scorecard settings."""
    return {
        name: RubricInfo(
            name=name,
            version=col.version,
            direction=col.direction,
            threshold=col.threshold,
            min_pass_rate=(min_pass_rate or {}).get(name),
            weight=(weight or {}).get(name, 1.0),
            zero_tolerance=name in zero_tolerance,
        )
        for name, col in t.rubrics.items()
    }
