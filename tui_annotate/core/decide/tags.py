"""Failure tags per version: a Pareto of what went wrong, and what changed since the last version.

Among a version's FAIL resolved labels (over the rubrics asked for), each tag's
count, its share of the failures with Wilson's interval, the cumulative share
largest first (the failures with any of the tags so far, each counted once, so
it never passes 1), the change in share against the previous
version, and whether the tag is new. Failures without a tag are counted as
`untagged`, so the shares are of every failure, not only the tagged ones.
A FAIL's tags are those of the labels its verdict came from (`tags_of`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from tui_annotate.core.decide.scorecard import verdict_columns
from tui_annotate.core.decide.stats import rate, wilson
from tui_annotate.core.decide.table import JUDGE, PromptTable, Source
from tui_annotate.core.results.decide import RubricInfo, TagCount, TagReport, VersionTags


def _version_counts(
    table: PromptTable, names: list[str], source: Source
) -> tuple[np.ndarray, list[Counter[frozenset[str]]]]:
    """Per version: failures, and how many tagged failures carry each set of tags."""
    nv = len(table.versions)
    failures = np.zeros(nv, dtype=np.int64)
    sets: list[Counter[frozenset[str]]] = [Counter() for _ in range(nv)]
    for name in names:
        col = table.rubrics[name]
        _, src, verdict = verdict_columns(col, source)
        fail = verdict == 0.0
        failures += np.bincount(table.version_codes[fail], minlength=nv)
        # Walk the tag maps (only the tagged rows), not every failing row.
        for tags_map, from_judge in ((col.human_tags, False), (col.judge_tags, True)):
            for row, tags in tags_map.items():
                if not tags or not fail[row] or (src[row] == JUDGE) != from_judge:
                    continue
                sets[int(table.version_codes[row])][frozenset(tags)] += 1
    return failures, sets


def tag_report(
    table: PromptTable, infos: Mapping[str, RubricInfo], *, source: Source = "human"
) -> TagReport:
    """Every version's failure tags (semantic-version order) over the rubrics of INFOS."""
    names = [name for name in infos if name in table.rubrics]
    failures, sets = _version_counts(table, names, source)
    out: list[VersionTags] = []
    previous: dict[str, float] | None = None
    previous_n = 0
    for v, version in enumerate(table.versions):
        n = int(failures[v])
        counts: Counter[str] = Counter()
        for tag_set, k in sets[v].items():
            for tag in tag_set:
                counts[tag] += k
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        # A failure is covered from the rank of its most frequent tag on: the cumulative
        # share counts each failure once, however many tags it has.
        rank = {tag: i for i, (tag, _) in enumerate(ordered)}
        first = Counter({i: 0 for i in range(len(ordered))})
        for tag_set, k in sets[v].items():
            first[min(rank[t] for t in tag_set)] += k
        tagged = sum(first.values())
        shares: dict[str, float] = {}
        rows: list[TagCount] = []
        running = 0
        for i, (tag, count) in enumerate(ordered):
            share = rate(count, n)
            running += first[i]
            if share is not None:
                shares[tag] = share
            change = None
            if previous is not None and previous_n > 0 and share is not None:
                change = share - previous.get(tag, 0.0)
            rows.append(
                TagCount(
                    tag=tag,
                    count=count,
                    share=share,
                    ci=wilson(count, n),
                    cumulative=rate(running, n),
                    change=change,
                    new=previous is not None and tag not in previous,
                )
            )
        out.append(VersionTags(version=version, failures=n, untagged=n - tagged, tags=tuple(rows)))
        # The next version compares with this one; with no failure here it has no change
        # to show (a share of nothing), and every tag it has is new.
        previous, previous_n = shares, n
    return TagReport(prompt=table.prompt, source=source, rubrics=tuple(names), versions=tuple(out))
