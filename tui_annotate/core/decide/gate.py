"""The release gate: pass, fail or inconclusive (stub)."""

from __future__ import annotations

from collections.abc import Mapping

from tui_annotate.core.decide.config import ScorecardConfig
from tui_annotate.core.decide.table import PromptTable, Source
from tui_annotate.core.results.decide import GateReport, RubricInfo


def gate(
    table: PromptTable,
    infos: Mapping[str, RubricInfo],
    config: ScorecardConfig,
    *,
    candidate: str,
    baseline: str | None,
    lock: str,
    source: Source = "human",
    bootstrap: int = 2000,
    seed: int = 0,
) -> GateReport:
    raise NotImplementedError
