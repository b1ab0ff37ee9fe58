"""Calibration rounds: draw a stratified sample, close with alpha and diagnostics, adjudicate."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_annotate.core import agreement, diagnostics, snapshot
from tui_annotate.core.models import Round, RoundLabel, Rubric
from tui_annotate.core.results.alpha import DEFAULT_BOOTSTRAP
from tui_annotate.core.results.round import AnnotatorProgress, RoundResult, RoundStatus
from tui_annotate.core.results.rows import AnnotatorRow, DisputedRow, PairRow
from tui_annotate.core.results.thresholds import DEFAULT_THRESHOLDS, Thresholds
from tui_annotate.core.textsafe import visible
from tui_annotate.errors import InputError, NotFound
from tui_annotate.render import plural

if TYPE_CHECKING:
    from tui_annotate.store.repository import Repository

__all__ = ["DEFAULT_BOOTSTRAP", "DEFAULT_ITEMS", "ReviewItem", "Thresholds"]

DEFAULT_ITEMS = 30


def stratified_sample(candidates: Sequence[tuple[int, str, str]], n: int, seed: int) -> list[int]:
    """N items spread over (prompt, prompt_version) strata in proportion to their size.

    Largest-remainder allocation, so the counts add up to N exactly; within a
    stratum a seeded shuffle picks the items. Every stratum gets at least
    one item when N allows.
    """
    strata: dict[tuple[str, str], list[int]] = defaultdict(list)
    for item, prompt, version in candidates:
        strata[(prompt, version)].append(item)
    total = len(candidates)
    n = min(n, total)
    if n <= 0:
        return []
    keys = sorted(strata)
    quota = {k: n * len(strata[k]) / total for k in keys}
    alloc = {k: int(quota[k]) for k in keys}
    if n >= len(keys):
        for k in keys:
            alloc[k] = max(alloc[k], 1)
    while sum(alloc.values()) > n:  # the minimum of one pushed us over: take from the largest
        k = max((k for k in keys if alloc[k] > 1), key=lambda k: (alloc[k] - quota[k], alloc[k]))
        alloc[k] -= 1
    for k in sorted(keys, key=lambda k: quota[k] - int(quota[k]), reverse=True):
        if sum(alloc.values()) >= n:
            break
        if alloc[k] < len(strata[k]):
            alloc[k] += 1
    rng = random.Random(seed)
    picked: list[int] = []
    for k in keys:
        items = sorted(strata[k])
        rng.shuffle(items)
        picked.extend(items[: alloc[k]])
    rng.shuffle(picked)
    return picked


def start_round(
    repo: Repository,
    rubric: Rubric,
    annotators: Sequence[str],
    *,
    items: int | None = None,
    from_golden: bool = False,
    seed: int | None = None,
    created_by: str,
) -> Round:
    """Open a round: a sample of items every listed annotator labels, blind."""
    names = list(dict.fromkeys(a.strip() for a in annotators if a.strip()))
    if len(names) < 2:
        raise InputError("a round needs at least two annotators", field="--annotators")
    open_rounds = repo.rounds.find(rubric=rubric.name, status="open")
    if open_rounds:
        raise InputError(
            f"round {open_rounds[0].id} on {rubric.name} is still open; close it first "
            f"(tui-annotate calibrate close {open_rounds[0].id})"
        )
    snapshot.register(repo, rubric)
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    if from_golden:
        gold = repo.rounds.golden(rubric.name)
        if not gold:
            raise InputError(f"{rubric.name} has no golden items yet (adjudicate a round first)")
        pool = [(item, "golden", "") for item in sorted(gold)]
        chosen = stratified_sample(pool, items or len(pool), seed)
    else:
        pool = repo.rounds.candidates(rubric.name, names)
        if not pool:
            raise InputError(_nothing_to_sample(repo, rubric, names))
        chosen = stratified_sample(pool, items or DEFAULT_ITEMS, seed)
    round_id = repo.rounds.create(
        rubric=rubric.name,
        rubric_version=rubric.version,
        rubric_major=rubric.major,
        source="golden" if from_golden else "sample",
        seed=seed,
        created_by=created_by,
        annotators=names,
        item_ids=chosen,
    )
    found = repo.rounds.get(round_id)
    assert found is not None
    return found


def _nothing_to_sample(repo: Repository, rubric: Rubric, names: Sequence[str]) -> str:
    """Why the sample is empty: no items, or who has labelled them already."""
    total = repo.count_items()
    if total == 0:
        return "no items to sample: the project has no items yet (tui-annotate import FILE)"
    rated = {who: n for name, who, n, *_ in repo.label_counts() if name == rubric.name}
    done = ", ".join(f"{who} has labelled {rated.get(who, 0)}" for who in names)
    return (
        f"no items to sample for {rubric.name}: of the {plural(total, 'item')}, {done}, and "
        f"a round samples only items none of its annotators has labelled on {rubric.name}. "
        "Import new items, or choose annotators who have not labelled them"
    )


def find_round(repo: Repository, round_id: int | None, rubric: str | None = None) -> Round:
    """ROUND_ID, or the open round (of RUBRIC, if given) when there is exactly one."""
    if round_id is not None:
        found = repo.rounds.get(round_id)
        if found is None:
            raise NotFound(f"no calibration round {round_id}")
        return found
    open_rounds = repo.rounds.find(rubric=rubric, status="open")
    if not open_rounds:
        raise NotFound("no open calibration round; name one (tui-annotate calibrate status)")
    if len(open_rounds) > 1:
        ids = ", ".join(str(r.id) for r in open_rounds)
        raise InputError(f"several rounds are open ({ids}); name one")
    return open_rounds[0]


def status(repo: Repository, round_: Round) -> RoundStatus:
    done = repo.rounds.progress(round_.id)
    return RoundStatus(
        round=round_.id,
        rubric=round_.rubric,
        rubric_version=round_.rubric_version,
        status=round_.status,
        source=round_.source,
        items=round_.items,
        annotators={a: AnnotatorProgress(done.get(a, 0), round_.items) for a in round_.annotators},
        verdict=round_.verdict,
        alpha=round_.alpha,
    )


def ratings_for(labels: Sequence[RoundLabel], rubric: Rubric) -> agreement.Ratings:
    return agreement.Ratings.from_triples(
        [(label.item_id, label.annotator, label.score) for label in labels], domain=rubric.values
    )


def compute(
    repo: Repository,
    round_: Round,
    rubric: Rubric,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    bootstrap: int = DEFAULT_BOOTSTRAP,
) -> RoundResult:
    """Everything a round's result reports (also what close stores, as its JSON)."""
    labels = repo.rounds.labels(round_.id)
    ratings = ratings_for(labels, rubric)
    result = agreement.alpha(
        ratings, rubric.level, bootstrap=bootstrap, seed=round_.seed, threshold=thresholds.pass_at
    )
    gold = repo.rounds.golden(rubric.name) if round_.source == "golden" else {}
    per: list[AnnotatorRow] = []
    diags = {d.annotator: d for d in diagnostics.per_annotator(ratings, rubric.level)}
    for name in round_.annotators:
        mine = [label for label in labels if label.annotator == name]
        accuracy, graded_items = None, None
        if gold:
            graded = [label for label in mine if label.item_id in gold]
            hits = sum(label.score == gold[label.item_id].score for label in graded)
            accuracy = hits / len(graded) if graded else None
            graded_items = len(graded)
        per.append(
            AnnotatorRow(
                annotator=name,
                labels=len(mine),
                of=round_.items,
                alpha_without=diags[name].alpha_without if name in diags else None,
                bias=diags[name].bias if name in diags else None,
                accuracy_vs_gold=accuracy,
                gold_items=graded_items,
            )
        )
    external = {i: repo.get_item(i).external_id for i in repo.rounds.item_ids(round_.id)}
    return RoundResult(
        round=round_.id,
        rubric=rubric.name,
        rubric_version=round_.rubric_version,
        level=rubric.level,
        **agreement.alpha_fields(result),
        thresholds=thresholds,
        verdict=thresholds.verdict(result.alpha),
        units=result.units,
        items=round_.items,
        annotators=tuple(round_.annotators),
        per_annotator=tuple(per),
        pairwise=tuple(
            PairRow(p.a, p.b, p.units, p.agreement) for p in diagnostics.pairwise(ratings)
        ),
        disputed=tuple(
            DisputedRow(
                item=external.get(_item(d.unit), str(d.unit)),
                item_id=_item(d.unit),
                spread=d.spread,
                scores=d.scores,
            )
            for d in diagnostics.disputed(ratings, rubric.level, limit=10)
        ),
    )


def close_round(
    repo: Repository,
    round_: Round,
    rubric: Rubric,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    force: bool = False,
) -> RoundResult:
    """Compute the result, store it with the verdict, and lift the round's blindness.

    A round with no labels at all is refused unless FORCE: closing is final,
    and an empty round closed by mistake would be spent for nothing.
    """
    if not round_.is_open:
        raise InputError(f"round {round_.id} is already closed (verdict: {round_.verdict})")
    if not force and not any(repo.rounds.progress(round_.id).values()):
        raise InputError(
            f"round {round_.id} has no labels yet: none of {_names(round_.annotators)} has "
            f"labelled any of its {round_.items} items. Closing it now would spend it; "
            f"close it once they have (or now, with --force)"
        )
    if rubric.version != round_.rubric_version:
        raise InputError(
            f"round {round_.id} was started on {rubric.name} {round_.rubric_version}, "
            f"but the rubric is now {rubric.version}; close it with the same rubric version"
        )
    result = compute(repo, round_, rubric, thresholds=thresholds, bootstrap=bootstrap)
    repo.rounds.close(
        round_.id, verdict=str(result.verdict), alpha=result.alpha, result=result.to_json()
    )
    return result


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A disputed round item with every annotator's label, for adjudication."""

    item_id: int
    spread: float
    labels: tuple[RoundLabel, ...]


def review_items(repo: Repository, round_: Round, rubric: Rubric) -> list[ReviewItem]:
    """The round's items where annotators differ, most disputed first (closed rounds only)."""
    if round_.is_open:
        raise InputError(f"round {round_.id} is still open: review comes after close (blind)")
    labels = repo.rounds.labels(round_.id)
    by_item: dict[int, list[RoundLabel]] = defaultdict(list)
    for label in labels:
        by_item[label.item_id].append(label)
    ranked = diagnostics.disputed(ratings_for(labels, rubric), rubric.level, limit=len(by_item))
    return [ReviewItem(_item(d.unit), d.spread, tuple(by_item[_item(d.unit)])) for d in ranked]


def adjudicate(
    repo: Repository,
    rubric: Rubric,
    item_id: int,
    score: int,
    *,
    note: str,
    adjudicator: str,
    round_id: int | None,
) -> int:
    """Set the consensus label for an item; it enters the golden set (append-only)."""
    if rubric.level_for(score) is None:
        raise InputError(f"{score} is not on the {rubric.name} scale {list(rubric.values)}")
    snapshot.register(repo, rubric)
    return repo.rounds.add_golden(
        item_id=item_id,
        rubric=rubric.name,
        rubric_version=rubric.version,
        score=score,
        note=note,
        adjudicator=adjudicator,
        round_id=round_id,
    )


def _names(names: Sequence[str]) -> str:
    """'ana, ben and cy'."""
    shown = [visible(n) for n in names]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _item(unit: object) -> int:
    """Round units are item ids."""
    assert isinstance(unit, int)
    return unit
