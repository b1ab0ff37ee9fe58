"""The LLM judge: run (the concurrent run), batch (the Batch API), endpoint (one server's
quirks and retries), prompt, parse, confidence, report (judge against people), config.

The names callers use are re-exported here, resolved on first use: importing this package (or
only its prompt module) loads no run machinery, and openai is imported when a run starts, never
at import time, so the annotation app stays light. `run` is the module; the coroutine that
judges is `run.run`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_annotate.core.judge.config import ITEM_SETS, JudgeConfig, RunStats
    from tui_annotate.core.judge.endpoint import JudgeFatal, redact
    from tui_annotate.core.judge.run import make_client, plan

__all__ = ["ITEM_SETS", "JudgeConfig", "JudgeFatal", "RunStats", "make_client", "plan", "redact"]

_HOME = {
    "ITEM_SETS": "config",
    "JudgeConfig": "config",
    "RunStats": "config",
    "JudgeFatal": "endpoint",
    "redact": "endpoint",
    "make_client": "run",
    "plan": "run",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        # Submodules (run, batch, …) are not listed: the import system loads them itself.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
