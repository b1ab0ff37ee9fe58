"""What the Decide screen shows, computed on demand off the UI thread and kept once computed.

The screen never computes: it asks this object from a worker thread, so the
first tab draws at once ("computing…") however many items there are, and a
tab nobody opens is never computed. The prompt's table is loaded once (on the
worker's own SQLite connection: a connection belongs to the thread that made
it) and every statistic is the core's (`core/decide/`), the same functions
the commands call, so the screen and `scorecard`/`compare`/`trend`/`tags`
can never show different numbers. numpy and scipy are imported here only
inside the methods, which run on a worker: opening the app loads neither.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tui_annotate.core.models import Item, Rubric
from tui_annotate.core.results.decide import (
    Comparison,
    RubricInfo,
    Scorecard,
    TagReport,
    Trend,
)

if TYPE_CHECKING:
    from tui_annotate.core.decide.table import PromptTable, Source

#: The baseline that stands for the adjudicated golden labels (compare's and gate's word).
GOLDEN = "golden"


@dataclass(frozen=True, slots=True)
class CaseLabels:
    """One rubric's labels on a case's item: every source side by side, and the one that counts."""

    rubric: str
    rule: str
    golden: float | None
    human: float | None
    n_human: int
    judge: float | None
    #: Which label decided ("golden", "human", "judge") and what it says; "" / "—" when none.
    source: str
    verdict: str
    tags: tuple[str, ...]
    comments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """A regressed case as a lead opens it: the candidate's item and its labels, and the
    baseline's, so what changed between the two reads side by side."""

    case: str
    version: str
    item: Item
    labels: tuple[CaseLabels, ...]
    #: The baseline version's item of the same case and its labels (None for "golden").
    baseline: str | None = None
    baseline_item: Item | None = None
    baseline_labels: tuple[CaseLabels, ...] = ()


class DecideData:
    """One prompt's decision numbers, each computed the first time it is asked for."""

    def __init__(
        self,
        *,
        prompt: str,
        versions: Sequence[str],
        infos: Mapping[str, RubricInfo],
        #: load_table(notes): the prompt's table; NOTES=False may leave out tags and comments.
        load_table: Callable[[bool], PromptTable],
        load_item: Callable[[int], Item],
        source: Source = "human",
        bootstrap: int = 2000,
        seed: int = 0,
    ) -> None:
        self.prompt = prompt
        #: In semantic-version order (known before the table loads, so the picker works at once).
        self.versions = tuple(versions)
        self.infos = dict(infos)
        self.source: Source = source
        self.bootstrap = bootstrap
        self.seed = seed
        self._load_table = load_table
        self._load_item = load_item
        # Workers for two tabs may ask at once: the table is loaded once, not twice.
        self._lock = threading.Lock()
        # The table without the FAIL rows' tags and comments (the scorecard and the trend
        # need none, and at a million items they are a third of the read), and with them.
        self._plain: PromptTable | None = None
        self._noted: PromptTable | None = None
        self._scorecard: Scorecard | None = None
        self._comparisons: dict[tuple[str, str], Comparison] = {}
        self._trends: dict[str, Trend] = {}
        self._tags: TagReport | None = None

    @classmethod
    def from_db(
        cls,
        path: Path | str,
        *,
        prompt: str,
        versions: Sequence[str],
        rubrics: Sequence[Rubric],
        infos: Mapping[str, RubricInfo],
        source: Source = "human",
        bootstrap: int = 2000,
        seed: int = 0,
    ) -> DecideData:
        """Numbers from the project database at PATH, read on the asking thread's own connection."""

        def load_table(notes: bool) -> PromptTable:
            from tui_annotate.store.repository import Repository

            with Repository.open(path, readonly=True) as repo:
                return repo.prompt_table(prompt, rubrics, notes=notes)

        def load_item(item_id: int) -> Item:
            from tui_annotate.store.repository import Repository

            with Repository.open(path, readonly=True) as repo:
                return repo.get_item(item_id)

        return cls(
            prompt=prompt,
            versions=versions,
            infos=infos,
            load_table=load_table,
            load_item=load_item,
            source=source,
            bootstrap=bootstrap,
            seed=seed,
        )

    # -- each tab's numbers (call from a worker thread) --------------------------------------

    def table(self, *, notes: bool = True) -> PromptTable:
        """The prompt's table; with NOTES, the FAIL rows' tags and comments too (read once)."""
        with self._lock:
            if self._noted is not None:
                return self._noted
            if notes:
                self._noted = self._load_table(True)
                return self._noted
            if self._plain is None:
                self._plain = self._load_table(False)
            return self._plain

    def scorecard(self) -> Scorecard:
        if self._scorecard is None:
            from tui_annotate.core.decide.scorecard import scorecard

            self._scorecard = scorecard(
                self.table(notes=False),
                self.infos,
                source=self.source,
                bootstrap=self.bootstrap,
                seed=self.seed,
            )
        return self._scorecard

    def comparison(self, baseline: str, candidate: str) -> Comparison:
        key = (baseline, candidate)
        if key not in self._comparisons:
            from tui_annotate.core.decide.compare import compare

            self._comparisons[key] = compare(
                self.table(),
                self.infos,
                baseline=baseline,
                candidate=candidate,
                source=self.source,
                bootstrap=self.bootstrap,
                seed=self.seed,
            )
        return self._comparisons[key]

    def trend(self, by: Literal["version", "week"] = "version") -> Trend:
        if by not in self._trends:
            from tui_annotate.core.decide.trend import trend

            table = self.table(notes=False)
            self._trends[by] = trend(table, self.infos, by=by, source=self.source)
        return self._trends[by]

    def tags(self) -> TagReport:
        if self._tags is None:
            from tui_annotate.core.decide.tags import tag_report

            self._tags = tag_report(self.table(), self.infos, source=self.source)
        return self._tags

    def case(self, case: str, item: str, version: str, baseline: str | None = None) -> CaseDetail:
        """The item ITEM (an external id) of CASE, with every rubric's labels on it; and the
        BASELINE version's item of the same case (the one compared), when there is one."""
        import numpy as np

        table = self.table()
        row = table.external_ids.index(item)
        other: int | None = None
        if baseline in table.versions and case in table.cases:
            rows = np.flatnonzero(
                (table.case_codes == table.cases.index(case))
                & (table.version_codes == table.versions.index(baseline))
            )
            if rows.size:
                # As compare picks among duplicates: more human labels, then the lower id.
                best = np.lexsort((table.item_ids[rows], -table.n_human_total[rows]))[0]
                other = int(rows[best])
        return CaseDetail(
            case=case,
            version=version,
            item=self._load_item(int(table.item_ids[row])),
            labels=self._labels(table, row),
            baseline=baseline if other is not None else None,
            baseline_item=None if other is None else self._load_item(int(table.item_ids[other])),
            baseline_labels=() if other is None else self._labels(table, other),
        )

    def _labels(self, table: PromptTable, row: int) -> tuple[CaseLabels, ...]:
        """Every rubric's labels on ROW, and the resolved one's verdict."""
        import math

        from tui_annotate.core.decide.table import SOURCE_NAMES

        use_judge = self.source != "human"
        labels = []
        for name, column in table.rubrics.items():
            info = self.infos.get(name)
            score, src = column.resolved(use_judge)
            code = int(src[row])
            if math.isnan(float(score[row])):
                verdict = "—"
            else:
                verdict = "PASS" if column.passes(score[row : row + 1])[0] == 1.0 else "FAIL"
            labels.append(
                CaseLabels(
                    rubric=name,
                    rule=pass_rule(info) if info is not None else "",
                    golden=_score(column.golden[row]),
                    human=_score(column.human[row]),
                    n_human=int(column.n_human[row]),
                    judge=_score(column.judge[row]),
                    source=SOURCE_NAMES[code],
                    verdict=verdict,
                    tags=column.tags_of(row, code) if code else (),
                    comments=tuple(column.comments.get(row, ())),
                )
            )
        return tuple(labels)


def _score(value: float) -> float | None:
    return None if value != value else float(value)  # NaN is "no label"


def pass_rule(info: RubricInfo) -> str:
    """'PASS at 4+' / 'PASS at 1 or less', as the rubric states it."""
    if info.direction == "lower":
        return f"PASS at {info.threshold} or less"
    return f"PASS at {info.threshold}+"
