"""The gate's lock (stub)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tui_annotate.core.decide.config import ScorecardConfig
from tui_annotate.core.results.decide import RubricInfo


def gate_lock(
    golden_rows: Sequence[tuple[str, str, str, int]],
    infos: Mapping[str, RubricInfo],
    config: ScorecardConfig,
) -> str:
    raise NotImplementedError
