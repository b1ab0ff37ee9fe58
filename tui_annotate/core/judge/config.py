"""What a judge run is asked to do (JudgeConfig) and what it did (RunStats, BatchSummary).

Their own module so that endpoint.py and batch.py can name them without importing run.py,
which imports them: no import cycle, type-checking imports included.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

ITEM_SETS = ("unlabeled", "all", "golden")


@dataclass(frozen=True, slots=True)
class JudgeConfig:
    model: str
    base_url: str | None = None
    concurrency: int = 8
    limit: int | None = None
    items: str = "unlabeled"
    samples: int = 1
    structured: bool = True
    logprobs: bool = True
    temperature: float = 0.0
    timeout: float = 60.0
    retries: int = 5
    #: Backoff: base × 2^attempt seconds, with full jitter, capped.
    backoff_base: float = 0.5
    backoff_cap: float = 20.0


@dataclass
class RunStats:
    """What a run did, for the progress bar and the summary."""

    total: int = 0
    judged: int = 0
    cached: int = 0
    skipped: int = 0
    failed: int = 0
    invalid: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: Judged items with no confidence (no usable logprobs): route can't weigh them.
    confidence_unknown: int = 0
    #: The structured-output form and logprobs the server accepted (after any fallback).
    output_form: str = ""
    logprobs: bool = False
    started: float = field(default_factory=time.monotonic)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def done(self) -> int:
        return self.judged + self.cached + self.skipped + self.failed + self.invalid

    def to_json(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        return {
            "total": self.total,
            "judged": self.judged,
            "cached": self.cached,
            "skipped": self.skipped,
            "failed": self.failed,
            "invalid": self.invalid,
            "retries": self.retries,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "confidence_unknown": self.confidence_unknown,
            "output_form": self.output_form,
            "logprobs": self.logprobs,
            "seconds": round(elapsed, 3),
            "requests_per_second": round(self.judged / elapsed, 2) if elapsed > 0 else None,
            "errors": dict(self.errors),
        }


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What a `--batch` run (or its `--resume`) did: the batch, its status, and the counts."""

    batch: str | None
    status: str
    judged: int = 0
    invalid: int = 0
    failed: int = 0
    requests: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "status": self.status,
            "judged": self.judged,
            "invalid": self.invalid,
            "failed": self.failed,
            "requests": self.requests,
        }
