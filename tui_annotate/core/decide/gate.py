"""The release gate: pass, fail, or inconclusive — never a verdict on noise.

For the candidate version, one check per rule of `[scorecard]`:

- `min_pass_rate` (a hard threshold, never averaged into a composite): PASS
  when the pass rate's lower bound ≥ it, FAIL when its upper bound < it,
  else inconclusive. Wilson's interval (PPI's with `--source ppi`).
- `zero_tolerance`: FAIL on any FAIL label, however few items (an observed
  failure is a fact, not noise); with none, PASS once there are `min_n` items.
- `non_inferiority` against a baseline version or "golden", on every rubric:
  FAIL when the paired pass-rate interval lies wholly below −margin, PASS when
  its lower bound is above −margin, else inconclusive.

Fewer than `min_n` items (or pairs) makes a check inconclusive. The gate fails
if any check fails and passes only if every check passes; with no check at all
it is inconclusive (nothing was shown). Each check carries a sentence naming
the bound and the threshold, so the reason printed and the exit code come from
one object.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tui_annotate.core.decide import bootstrap as boot
from tui_annotate.core.decide.compare import paired_diff, paired_duplicates, pairs
from tui_annotate.core.decide.config import ScorecardConfig
from tui_annotate.core.decide.scorecard import metric_card, verdict_columns
from tui_annotate.core.decide.table import PromptTable, Source
from tui_annotate.core.results.decide import Decision, GateCheck, GateReport, RubricInfo


def _f(x: float) -> str:
    return f"{x:.3f}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _ci(ci: tuple[float, float] | None) -> str:
    return "no interval" if ci is None else f"[{_f(ci[0])}, {_f(ci[1])}]"


def overall(checks: tuple[GateCheck, ...]) -> Decision:
    """fail if any check fails; pass only if there are checks and all pass; else inconclusive."""
    if any(c.decision == "fail" for c in checks):
        return "fail"
    if checks and all(c.decision == "pass" for c in checks):
        return "pass"
    return "inconclusive"


def _min_pass_rate(
    name: str, info: RubricInfo, card_n: int, value: float | None, ci: boot.CI, min_n: int
) -> GateCheck:
    need = float(info.min_pass_rate or 0.0)
    decision: Decision
    if card_n < min_n:
        decision = "inconclusive"
        reason = f"only {_count(card_n, 'resolved item')}, fewer than min_n = {min_n}: too little to tell"
    elif ci is None:
        decision = "inconclusive"
        reason = f"no interval for the pass rate over {card_n} items"
    elif ci[0] >= need:
        decision = "pass"
        reason = f"pass rate {_ci(ci)}: its lower bound {_f(ci[0])} ≥ the required {_f(need)}"
    elif ci[1] < need:
        decision = "fail"
        reason = f"pass rate {_ci(ci)}: its upper bound {_f(ci[1])} < the required {_f(need)}"
    else:
        decision = "inconclusive"
        reason = f"pass rate {_ci(ci)} straddles the required {_f(need)}: more labels needed"
    return GateCheck(
        metric=name,
        kind="min_pass_rate",
        decision=decision,
        value=value,
        ci=ci,
        threshold=need,
        n=card_n,
        reason=reason,
    )


def gate(
    table: PromptTable,
    infos: Mapping[str, RubricInfo],
    config: ScorecardConfig,
    *,
    candidate: str,
    baseline: str | None,
    lock: str,
    source: Source = "human",
    bootstrap: int = boot.DEFAULT_REPLICATES,
    seed: int = boot.DEFAULT_SEED,
) -> GateReport:
    """Decide CANDIDATE against INFOS' thresholds and, if given, a BASELINE ("golden" or a version)."""
    min_n, margin = config.min_n, config.margin
    rows = table.version_rows(candidate)
    checks: list[GateCheck] = []
    for name, info in infos.items():
        if name not in table.rubrics:
            continue
        col = table.rubrics[name]
        if info.min_pass_rate is not None:
            card = metric_card(col, rows, source=source, bootstrap=bootstrap, seed=seed)
            checks.append(_min_pass_rate(name, info, card.n, card.pass_rate, card.ci, min_n))
        if info.zero_tolerance:
            verdict = verdict_columns(col, source)[2][rows]
            n = int((~np.isnan(verdict)).sum())
            fails = int((verdict == 0.0).sum())
            decision: Decision
            if fails:
                decision = "fail"
                reason = f"{_count(fails, 'FAIL label')} in {_count(n, 'item')}; zero tolerance: any FAIL fails"
            elif n < min_n:
                decision = "inconclusive"
                reason = f"no FAIL, but only {_count(n, 'item')}, fewer than min_n = {min_n}"
            else:
                decision = "pass"
                reason = (
                    f"no FAIL in {n} items (fail rate at most {_f(3 / n)} by the rule of three)"
                )
            checks.append(
                GateCheck(
                    metric=name,
                    kind="zero_tolerance",
                    decision=decision,
                    value=float(fails),
                    ci=None,
                    threshold=0.0,
                    n=n,
                    reason=reason,
                )
            )
        if baseline is not None:
            p = pairs(table, col, baseline=baseline, candidate=candidate, source=source)
            diff, _ = paired_diff(p, bootstrap=bootstrap, seed=seed)
            n_pairs = int(p.cases.size)
            against = f"against {baseline}"
            if n_pairs < min_n:
                decision = "inconclusive"
                reason = (
                    f"only {_count(n_pairs, 'paired case')} {against}, fewer than min_n = {min_n}: "
                    "too little to tell"
                )
            elif diff.ci is None:
                decision = "inconclusive"
                reason = f"no interval for the change {against}"
            elif diff.ci[1] < -margin:
                decision = "fail"
                reason = (
                    f"pass-rate change {against} {_ci(diff.ci)} lies wholly below "
                    f"−{_f(margin)} (the margin): a regression"
                )
            elif diff.ci[0] > -margin:
                decision = "pass"
                reason = (
                    f"pass-rate change {against} {_ci(diff.ci)}: its lower bound "
                    f"{_f(diff.ci[0])} is above −{_f(margin)} (the margin)"
                )
            else:
                decision = "inconclusive"
                reason = (
                    f"pass-rate change {against} {_ci(diff.ci)} straddles −{_f(margin)} "
                    "(the margin): more labels needed"
                )
            checks.append(
                GateCheck(
                    metric=name,
                    kind="non_inferiority",
                    decision=decision,
                    value=diff.value,
                    ci=diff.ci,
                    threshold=-margin,
                    n=n_pairs,
                    reason=reason,
                )
            )
    done = tuple(checks)
    return GateReport(
        prompt=table.prompt,
        candidate=candidate,
        baseline=baseline,
        decision=overall(done),
        checks=done,
        lock=lock,
        source=source,
        duplicates_in_case=(
            ()
            if baseline is None
            else paired_duplicates(table, baseline=baseline, candidate=candidate)
        ),
    )
