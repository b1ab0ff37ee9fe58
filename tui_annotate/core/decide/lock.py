"""The gate's lock: a hash over everything a gate decision rests on besides the candidate.

sha256 over a canonical JSON (sorted keys, no spaces) of the current golden
labels (external id, rubric, rubric version, score, sorted), each gated
rubric's version, direction and threshold, and the `[scorecard]` config. Two
runs with the same lock were decided against the same reference and rules;
a changed golden label, rubric or threshold changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from tui_annotate.core.decide.config import ScorecardConfig
from tui_annotate.core.results.decide import RubricInfo


def gate_lock(
    golden_rows: Sequence[tuple[str, str, str, int]],
    infos: Mapping[str, RubricInfo],
    config: ScorecardConfig,
) -> str:
    """ "sha256:" and the hex digest of the canonical JSON of the golden set, rubrics and config."""
    names = set(infos)
    golden = sorted(
        [str(ext), str(rubric), str(version), int(score)]
        for ext, rubric, version, score in golden_rows
        if rubric in names
    )
    payload = {
        "golden": golden,
        "rubrics": {
            name: {
                "version": info.version,
                "direction": info.direction,
                "threshold": info.threshold,
            }
            for name, info in sorted(infos.items())
        },
        "config": config.to_json(),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
