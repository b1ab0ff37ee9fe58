"""Agreement over a project or a label file: gather the labels, then the agreement maths."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tui_annotate.core import agreement, diagnostics
from tui_annotate.core.label_file import read_labels
from tui_annotate.core.models import Rubric
from tui_annotate.core.results.agreement import Agreement, AgreementReport, LeftOut
from tui_annotate.core.results.rows import AnnotatorRow, DisputedRow, PairRow
from tui_annotate.core.results.thresholds import DEFAULT_THRESHOLDS, Thresholds
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository


def only_rubric(repo: Repository, round_id: int | None) -> str:
    """The rubric to use when none is named: the round's, or the only one with labels."""
    if round_id is not None:
        found = repo.rounds.get(round_id)
        if found is None:
            raise InputError(f"no calibration round {round_id}", field="--round")
        return found.rubric
    used = repo.rubrics_in_use()
    if len(used) != 1:
        raise InputError(
            "name a rubric with --rubric (labels exist for: " + (", ".join(used) or "none") + ")"
        )
    return used[0]


def report(
    ratings: agreement.Ratings, level: str, *, bootstrap: int, seed: int, threshold: float
) -> Agreement:
    """The agreement figures: alpha, CI, diagnostics, disputed units (named by their units)."""
    result = agreement.alpha(ratings, level, bootstrap=bootstrap, seed=seed, threshold=threshold)
    return Agreement(
        **agreement.alpha_fields(result),
        level=level,
        units=result.units,
        pairable_values=result.pairable_values,
        annotators=tuple(ratings.annotators),
        per_annotator=tuple(
            AnnotatorRow(d.annotator, d.labels, d.alpha_without, d.bias)
            for d in diagnostics.per_annotator(ratings, level)
        ),
        pairwise=tuple(
            PairRow(p.a, p.b, p.units, p.agreement) for p in diagnostics.pairwise(ratings)
        ),
        disputed=tuple(
            DisputedRow(str(d.unit), d.spread, d.scores)
            for d in diagnostics.disputed(ratings, level)
        ),
    )


def from_db(
    repo: Repository,
    rubric: Rubric,
    *,
    round_id: int | None,
    level: str | None,
    annotators: Sequence[str] | None,
    live: bool,
    bootstrap: int,
    seed: int,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    only_items: npt.NDArray[np.int64] | None = None,
    window: dict[str, Any] | None = None,
) -> AgreementReport:
    """Agreement on RUBRIC's current human labels (never an open round's: those are blind).

    What the open rounds held back is counted under `left_out`, and named
    annotators with no labels under `without_labels`, so nothing is dropped silently.
    ONLY_ITEMS keeps the labels of those items alone (`--live --window`: the window's
    items, core/live/window.py), described by WINDOW in the report.
    """
    left_out = LeftOut()
    if only_items is not None and not live:
        raise InputError("--window needs --live: a window of live items", field="--window")
    if round_id is not None:
        found = repo.rounds.get(round_id)
        if found is None:
            raise InputError(f"no calibration round {round_id}", field="--round")
        if found.is_open:
            raise InputError(
                f"round {round_id} is still open; its labels are blind until close", field="--round"
            )
        by_annotator: dict[str, list[tuple[int, int]]] = {}
        for lb in repo.rounds.labels(round_id):
            if annotators is None or lb.annotator in annotators:
                by_annotator.setdefault(lb.annotator, []).append((lb.item_id, lb.score))
        columns = {a: rating_columns([rows], rubric) for a, rows in by_annotator.items()}
    else:
        # Per annotator, straight into arrays: no object per label (2M labels: < 100 MB).
        names = [a for a in repo.annotators(rubric.name) if annotators is None or a in annotators]
        columns = {}
        for name in names:
            got = rating_columns(repo.rating_chunks(rubric.name, name, live_only=live), rubric)
            if only_items is not None:
                keep = np.isin(got[0], only_items)
                got = (got[0][keep], got[1][keep])
            if len(got[0]):
                columns[name] = got
        held = repo.open_round_labels(rubric.name, annotators=annotators)
        if held:
            left_out = held_back(held)
    ratings = agreement.Ratings.from_columns(columns, rubric.values)
    data = report(
        ratings, level or rubric.level, bootstrap=bootstrap, seed=seed, threshold=thresholds.pass_at
    )
    # Units are item ids; the few disputed items shown are named by their external ids.
    named = repo.external_ids(int(d.item) for d in data.disputed)
    disputed = tuple(replace(d, item=named[int(d.item)]) for d in data.disputed)
    full = AgreementReport(
        **_fields(replace(data, disputed=disputed)),
        rubric=rubric.name,
        round=round_id,
        live=live,
        window=window,
        left_out=left_out,
        thresholds=thresholds,
    )
    return _name_the_missing(full, annotators, where=f"on {rubric.name}")


def held_back(held: dict[int, int]) -> LeftOut:
    """`left_out` for labels of open rounds {round id: labels}: how many, which, and why."""
    ids = sorted(held)
    which = ", ".join(str(i) for i in ids)
    return LeftOut(
        labels=sum(held.values()),
        rounds=tuple(ids),
        reason=f"made in open calibration round{'s' if len(ids) > 1 else ''} {which}: "
        "blind until closed (tui-annotate calibrate close "
        f"{ids[0] if len(ids) == 1 else 'ROUND'})",
    )


def _fields(data: Agreement) -> dict[str, Any]:
    """DATA's fields as keyword arguments, to build the report around it."""
    return {f.name: getattr(data, f.name) for f in fields(Agreement)}


def _name_the_missing(
    data: AgreementReport, annotators: Sequence[str] | None, *, where: str
) -> AgreementReport:
    """Record which of the ANNOTATORS asked for have no labels; when fewer than two
    are left, alpha's reason says so by name instead of a bare 'undefined'."""
    present = set(data.annotators)
    missing = tuple(a for a in dict.fromkeys(annotators or ()) if a not in present)
    data = replace(data, without_labels=missing)
    if missing and len(present) < 2 and data.alpha is None:
        have = f"only {', '.join(present)} has any" if present else "none of them has any"
        data = replace(
            data,
            reason=f"no labels {where} from {', '.join(missing)}; agreement needs two annotators "
            f"with labels and {have}",
        )
    return data


def rating_columns(
    chunks: Iterable[list[tuple[int, int]]], rubric: Rubric
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(item ids, value indices on RUBRIC's scale) from (item_id, score) chunks."""
    values = list(rubric.values)
    low, high = min(values), max(values)
    lookup = np.full(high - low + 1, -1, dtype=np.int64)
    for position, value in enumerate(values):
        lookup[value - low] = position
    ids, scores = [], []
    for chunk in chunks:
        block = np.asarray(chunk, dtype=np.int64).reshape(-1, 2)
        ids.append(block[:, 0])
        scores.append(block[:, 1])
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    item_ids, raw = np.concatenate(ids), np.concatenate(scores)
    inside = (raw >= low) & (raw <= high)
    index = np.full(len(raw), -1, dtype=np.int64)
    index[inside] = lookup[raw[inside] - low]
    if (index < 0).any():
        bad = int(raw[index < 0][0])
        raise ValueError(f"value {bad!r} is not on the scale {values}")
    return item_ids, index


def from_file(
    path: Path,
    *,
    rubric: Rubric | None,
    level: str | None,
    annotators: Sequence[str] | None,
    bootstrap: int,
    seed: int,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> AgreementReport:
    """Agreement over a label file, no database: numbers, or (nominal) any strings."""
    rows = [
        (r.item_id, r.annotator, r.score)
        for r in read_labels(path, check_names=False)
        if annotators is None or r.annotator in annotators
    ]
    numeric = all(isinstance(s, int | float) for _, _, s in rows)
    if rubric is not None:
        domain: list[Any] | None = list(rubric.values)
        level = level or rubric.level
    elif numeric:
        domain = sorted({s for _, _, s in rows})  # numbers: their order is the scale's
        level = level or "ordinal"
    else:
        if level not in (None, "nominal"):
            raise InputError(
                f"{level} agreement over text labels needs --rubric for the scale order",
                file=str(path),
                field="score",
            )
        domain, level = None, "nominal"
    try:
        ratings = agreement.Ratings.from_triples(rows, domain=domain)
    except ValueError as exc:
        raise InputError(str(exc), file=str(path), field="score") from None
    data = report(ratings, level, bootstrap=bootstrap, seed=seed, threshold=thresholds.pass_at)
    full = AgreementReport(
        **_fields(data),
        rubric=rubric.name if rubric else None,
        file=str(path),
        round=None,
        thresholds=thresholds,
    )
    return _name_the_missing(full, annotators, where=f"in {path}")
