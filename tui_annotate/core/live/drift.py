"""`drift`: has a prompt's live pass rate moved? The recent window against the one before it.

Per rubric: the pass rate in the recent window and in the baseline window just
before it (by the item's `timestamp` from the log, else `imported_at`), each
with Wilson's interval, and their difference with Newcombe's interval. An
alert needs evidence, not a dip: the whole interval of the difference below
−margin, with at least min_n items on each side. Once on, it clears only
when the interval's upper bound is back above −margin/2 (hysteresis), so an
alert near the line does not flap on and off between runs. The state is
stored per (prompt, rubric, source), so a cron job is told new, ongoing or
cleared, and how often it has checked: every check is another chance of a
false alarm.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from tui_annotate.core.decide.stats import Z95, newcombe_diff, rate, wilson
from tui_annotate.core.decide.table import PromptTable, RubricColumn
from tui_annotate.core.results.drift import (
    AlertState,
    DriftReport,
    DriftState,
    RubricDrift,
    WindowRate,
)
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from tui_annotate.core.models import Rubric
    from tui_annotate.store.repository import Repository

#: human: people's labels (golden first); judge: the judge's where no person labelled;
#: ppi: the judge's verdicts corrected by the items people labelled too.
SOURCES = ("human", "judge", "ppi")
DEFAULT_MARGIN = 0.05
DEFAULT_MIN_N = 20
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")


def parse_duration(text: str, option: str) -> timedelta:
    """'7d', '12h', '30m', '2w' as a timedelta; anything else is a usage error naming OPTION."""
    m = _DURATION.match(text)
    if m is None or float(m.group(1)) <= 0:
        raise InputError(f"{option} {text!r} must be a positive number and a unit: m, h, d or w")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def next_state(
    previous: AlertState, diff_ci: tuple[float, float] | None, enough: bool, margin: float
) -> tuple[DriftState, bool]:
    """(state reported, alert on after this check): the hysteresis, in one place."""
    if not enough or diff_ci is None:
        return "inconclusive", previous.active
    upper = diff_ci[1]
    if previous.active:
        if upper > -margin / 2:
            return "cleared", False
        return "ongoing", True
    if upper < -margin:
        return "new", True
    return "none", False


def _window(
    table: PromptTable, rows: np.ndarray, scores: np.ndarray, passes: np.ndarray
) -> WindowRate:
    labelled = rows & ~np.isnan(scores)
    n = int(labelled.sum())
    k = int(np.nansum(passes[labelled]))
    return WindowRate(n=n, passes=k, pass_rate=rate(k, n), ci=wilson(k, n))


def window_rows(
    table: PromptTable,
    now: datetime,
    window: timedelta,
    baseline: timedelta,
    version: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the recent window's rows and the baseline window's (by `times`)."""
    recent_from = now - window
    baseline_from = recent_from - baseline
    times = table.times
    t_now, t_recent, t_base = (
        np.datetime64(_naive(t), "s") for t in (now, recent_from, baseline_from)
    )
    in_recent = (times > t_recent) & (times <= t_now)
    in_base = (times > t_base) & (times <= t_recent)
    if version is not None:
        if version not in table.versions:
            known = ", ".join(table.versions) or "none"
            raise InputError(
                f"prompt {table.prompt!r} has no version {version!r} (it has: {known})"
            )
        of_version = table.version_codes == table.versions.index(version)
        in_recent &= of_version
        in_base &= of_version
    return in_recent, in_base


def _ppi_window(column: RubricColumn, rows: np.ndarray) -> tuple[WindowRate, float | None]:
    """The window's PPI pass rate (judge verdicts corrected by the items people labelled
    too), as a WindowRate (n: items with any label), and its variance (None: undefined)."""
    from tui_annotate.core.decide.ppi import ppi

    human, _ = column.resolved(use_judge=False)
    people, judge = column.passes(human)[rows], column.passes(column.judge)[rows]
    has_people, has_judge = ~np.isnan(people), ~np.isnan(judge)
    judge_only = judge[has_judge & ~has_people]
    both = has_judge & has_people
    shown = ppi(judge_only, people[both], judge[both])
    raw = ppi(judge_only, people[both], judge[both], clip=None)
    variance = None if raw.ci is None else ((raw.ci[1] - raw.ci[0]) / (2 * Z95)) ** 2
    n = int((has_judge | has_people).sum())
    window = WindowRate(n=n, passes=0, pass_rate=shown.estimate, ci=shown.ci)
    return window, variance


def _normal_diff(
    base: WindowRate, base_var: float | None, recent: WindowRate, recent_var: float | None
) -> tuple[float, float] | None:
    """recent − base with a normal interval: the two windows' PPI estimates are independent."""
    if base.pass_rate is None or recent.pass_rate is None or base_var is None or recent_var is None:
        return None
    d = recent.pass_rate - base.pass_rate
    half = Z95 * math.sqrt(base_var + recent_var)
    return (max(-1.0, d - half), min(1.0, d + half))


def drift(
    table: PromptTable,
    *,
    now: datetime,
    window: timedelta,
    baseline: timedelta,
    window_text: str,
    baseline_text: str,
    states: Mapping[str, AlertState],
    source: str = "human",
    margin: float = DEFAULT_MARGIN,
    min_n: int = DEFAULT_MIN_N,
    version: str | None = None,
) -> DriftReport:
    """Drift per rubric of TABLE as of NOW; STATES are the stored states by rubric."""
    if source not in SOURCES:
        raise InputError(f"--source {source!r} must be one of {', '.join(SOURCES)}")
    recent_from = now - window
    baseline_from = recent_from - baseline
    in_recent, in_base = window_rows(table, now, window, baseline, version)
    report = DriftReport(
        prompt=table.prompt,
        source=source,
        window=window_text,
        baseline=baseline_text,
        now=_iso(now),
        recent_from=_iso(recent_from),
        baseline_from=_iso(baseline_from),
        margin=margin,
        min_n=min_n,
    )
    for name, column in table.rubrics.items():
        if source == "ppi":
            (base, base_var), (recent, recent_var) = (
                _ppi_window(column, rows) for rows in (in_base, in_recent)
            )
            ci = _normal_diff(base, base_var, recent, recent_var)
        else:
            scores, _ = column.resolved(use_judge=source == "judge")
            passes = column.passes(scores)
            base = _window(table, in_base, scores, passes)
            recent = _window(table, in_recent, scores, passes)
            ci = newcombe_diff(base.passes, base.n, recent.passes, recent.n)
        diff = (
            recent.pass_rate - base.pass_rate
            if recent.pass_rate is not None and base.pass_rate is not None
            else None
        )
        previous = states.get(name, AlertState())
        enough = base.n >= min_n and recent.n >= min_n
        state, active = next_state(previous, ci, enough, margin)
        since = previous.since if previous.active and active else (_iso(now) if active else None)
        report.rubrics[name] = RubricDrift(
            rubric=name,
            baseline=base,
            recent=recent,
            diff=diff,
            diff_ci=ci,
            state=state,
            active=active,
            checks=previous.checks + 1,
            since=since,
            previous_check=previous.checked_at,
        )
    return report


def check(
    repo: Repository,
    prompt: str,
    rubrics: Sequence[Rubric],
    *,
    now: datetime,
    window: str,
    baseline: str,
    source: str = "human",
    margin: float = DEFAULT_MARGIN,
    min_n: int = DEFAULT_MIN_N,
    version: str | None = None,
    save: bool = True,
    with_agreement: bool = True,
) -> DriftReport:
    """Run a drift check on PROMPT and store each rubric's new alert state."""
    known = repo.decide_prompts()
    if prompt not in known:
        raise InputError(f"no items of prompt {prompt!r} (prompts: {', '.join(known) or 'none'})")
    table = repo.prompt_table(prompt, rubrics, notes=False)  # no tags, comments
    states = {r.name: repo.drift.state(prompt, r.name, source) for r in rubrics}
    span, before = parse_duration(window, "--window"), parse_duration(baseline, "--baseline")
    report = drift(
        table,
        now=now,
        window=span,
        baseline=before,
        window_text=window,
        baseline_text=baseline,
        states=states,
        source=source,
        margin=margin,
        min_n=min_n,
        version=version,
    )
    if with_agreement:
        from tui_annotate.core.live.drift_agreement import window_agreement

        in_recent, _ = window_rows(table, now, span, before, version)
        for rubric in rubrics:
            shared = in_recent & (table.rubrics[rubric.name].n_human >= 2)
            found = window_agreement(repo, rubric, table.item_ids[shared]).to_json()
            report.rubrics[rubric.name] = dataclasses.replace(
                report.rubrics[rubric.name], agreement=found
            )
    if save:
        for name, r in report.rubrics.items():
            repo.drift.save(
                prompt, name, source, AlertState(r.active, r.checks, r.since), report.now
            )
    return report


def _naive(moment: datetime) -> datetime:
    """MOMENT in UTC without a zone, as numpy's datetime64 wants it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _iso(moment: datetime) -> str:
    return _naive(moment).isoformat(timespec="seconds") + "Z"
