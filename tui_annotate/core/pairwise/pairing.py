"""Which cases become pairs, between which two versions, and which side each version starts on.

Cases (issue 13's definition: an item's `case`, else its input text, within
one prompt) are taken in a seeded order. With two versions every shared case
gives one pair. With three or more, each case gives one pair, the pair of
versions (among those both present in it) compared least so far, ties broken
by the seed: every pair of versions ends up compared about equally often,
and a case is never shown twice to the same annotator. Candidate pairs whose
two outputs are the same text are left out and counted: nobody can prefer
one of two identical answers. `items` caps the number of cases.

The base side of each pair is the orientation of an Euler circuit over the
multigraph whose vertices are versions and whose edges are pairs (a dummy
vertex joins the odd-degree ones first): walking a circuit enters and leaves
every vertex equally often, so over all pairs each version is on the left
as often as on the right, within one. See sides.py for each annotator's side.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from itertools import combinations

from tui_annotate.core.pairwise.models import Candidate, Drawn, NewPair


def cases_by_version(candidates: Iterable[Candidate]) -> dict[str, dict[str, Candidate]]:
    """case -> version -> its candidate (the first item, by id, when a case repeats a version)."""
    found: dict[str, dict[str, Candidate]] = {}
    for c in sorted(candidates, key=lambda c: c.item_id):
        found.setdefault(c.case, {}).setdefault(c.version, c)
    return found


def draw(
    candidates: Iterable[Candidate],
    versions: Sequence[str],
    *,
    seed: int,
    items: int | None = None,
) -> Drawn:
    """The task's pairs from the prompt's items, in the order they will be shown."""
    order = {v: i for i, v in enumerate(versions)}
    by_case = cases_by_version(c for c in candidates if c.version in order)
    rng = random.Random(seed)
    cases = sorted(by_case)
    rng.shuffle(cases)
    compared = {pair: 0 for pair in combinations(versions, 2)}
    chosen: list[tuple[str, Candidate, Candidate]] = []
    skipped = 0
    for case in cases:
        if items is not None and len(chosen) >= items:
            break
        present = by_case[case]
        options = []
        for va, vb in compared:
            if va in present and vb in present:
                if present[va].output == present[vb].output:
                    skipped += 1
                else:
                    options.append((va, vb))
        if not options:
            continue
        least = min(compared[p] for p in options)
        va, vb = rng.choice([p for p in options if compared[p] == least])
        compared[(va, vb)] += 1
        chosen.append((case, present[va], present[vb]))
    a_left = balanced_sides([(a.version, b.version) for _, a, b in chosen], rng)
    pairs = tuple(
        NewPair(
            position=i,
            case=case,
            version_a=a.version,
            version_b=b.version,
            item_a=a.item_id,
            item_b=b.item_id,
            a_left=a_left[i],
        )
        for i, (case, a, b) in enumerate(chosen)
    )
    return Drawn(pairs, skipped)


def balanced_sides(edges: Sequence[tuple[str, str]], rng: random.Random) -> list[bool]:
    """For each edge (a, b): True when a goes on the left. Each vertex is on the left as
    often as on the right, within one, over all edges (Euler circuits, module docstring)."""
    dummy = object()
    adjacency: dict[object, list[tuple[object, int]]] = {}
    ends: list[tuple[object, object]] = list(edges)
    degree: dict[object, int] = {}
    for a, b in ends:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    odd = sorted((v for v, d in degree.items() if d % 2), key=str)
    all_ends = ends + [(v, dummy) for v in odd]
    for e, (a, b) in enumerate(all_ends):
        adjacency.setdefault(a, []).append((b, e))
        adjacency.setdefault(b, []).append((a, e))
    for links in adjacency.values():
        rng.shuffle(links)
    used = [False] * len(all_ends)
    left_first = [False] * len(all_ends)
    for start in sorted(adjacency, key=str):
        # Hierholzer: a stack walk; each edge is oriented the way it is first walked.
        stack = [start]
        while stack:
            v = stack[-1]
            links = adjacency[v]
            while links and used[links[-1][1]]:
                links.pop()
            if not links:
                stack.pop()
                continue
            w, e = links.pop()
            used[e] = True
            left_first[e] = all_ends[e][0] == v  # walked from a to b: a is on the left
            stack.append(w)
    return left_first[: len(ends)]
