"""`drift`: has a prompt's live pass rate moved? Exit 1 while an alert is on, 3 when it can't tell."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from tui_annotate.cli.context import Context, errors_to_exit
from tui_annotate.cli.output import emit_json, say
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from tui_annotate.core.results.drift import DriftReport


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _ci(ci: tuple[float, float] | None, scale: float = 100.0) -> str:
    return "" if ci is None else f" [{scale * ci[0]:.1f}, {scale * ci[1]:.1f}]"


def moment(at: str | None) -> datetime:
    """--now AT as an aware datetime (a usage error unless ISO 8601 with a zone), else now."""
    if at is None:
        return datetime.now(UTC)
    try:
        found = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--now {at!r} is not an ISO 8601 moment") from None
    if found.tzinfo is None:
        raise InputError(f"--now {at!r} needs a zone (Z or +01:00)")
    return found


@click.command()
@click.option("--prompt", required=True, help="The prompt whose live items are checked.")
@click.option(
    "--rubric",
    "rubric_names",
    multiple=True,
    metavar="NAME",
    help="Check this rubric (repeatable) [default: every rubric with labels on the prompt].",
)
@click.option("--prompt-version", "version", default=None, help="Only items of this version.")
@click.option("--window", default="7d", show_default=True, help="The recent window (m, h, d, w).")
@click.option(
    "--baseline", default="28d", show_default=True, help="The window just before it, compared."
)
@click.option(
    "--source",
    type=click.Choice(["human", "judge", "ppi"]),
    default="human",
    show_default=True,
    help="human: people's labels (golden first); judge: the judge's where no person "
    "labelled; ppi: the judge's verdicts corrected by the items people labelled too.",
)
@click.option(
    "--margin",
    type=click.FloatRange(0, 1),
    default=None,
    help="Alert when the drop's whole interval is below −margin; clear above −margin/2 "
    "[default: 0.05; drift_margin in tui-annotate.toml].",
)
@click.option(
    "--min-n",
    type=click.IntRange(min=1),
    default=None,
    help="Labelled items each window needs before an alert can be raised "
    "[default: 20; drift_min_n in tui-annotate.toml].",
)
@click.option(
    "--now",
    "at",
    default=None,
    metavar="ISO-8601",
    help="Check as of this moment (with a zone; for replaying a past day) [default: now].",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def drift(
    obj: Context,
    prompt: str,
    rubric_names: tuple[str, ...],
    version: str | None,
    window: str,
    baseline: str,
    source: str,
    margin: float | None,
    min_n: int | None,
    at: str | None,
    as_json: bool,
) -> None:
    """Compare the pass rate in the recent window with the baseline window before it.

    Windows go by the item's `timestamp` (from the log), else when it was
    imported. Exit 1 while an alert is on, 0 when none, 3 when a window has
    too few labelled items to tell. The alert state is stored, so repeated
    runs (cron) report new, ongoing or cleared.
    """
    from tui_annotate.core.live import drift as drifts

    margin = obj.settings.drift_margin if margin is None else margin
    min_n = obj.settings.drift_min_n if min_n is None else min_n
    now = moment(at)
    obj.require_db(" (import items first, or pass --db)")
    with obj.repo() as repo:
        known = repo.decide_prompts()
        if prompt not in known:
            raise InputError(
                f"no items of prompt {prompt!r} (prompts: {', '.join(known) or 'none'})"
            )
        names = rubric_names or repo.rubrics_labelled(prompt)
        if not names:
            raise InputError(f"no labels on prompt {prompt!r} yet; name the rubric with --rubric")
        rubrics = [obj.rubric(name) for name in names]
        report = drifts.check(
            repo,
            prompt,
            rubrics,
            now=now,
            window=window,
            baseline=baseline,
            source=source,
            margin=margin,
            min_n=min_n,
            version=version,
        )
    if as_json:
        emit_json(report.to_json())
        _warn_how_often(report)  # on stderr: a cron job's log keeps it beside the JSON
        sys.exit(report.exit_code())
    say(
        f"{prompt}: recent {report.window} (from {report.recent_from}) against the "
        f"{report.baseline} before it (from {report.baseline_from}); {source} labels"
    )
    for name, r in report.rubrics.items():
        diff = "—" if r.diff is None else f"{100 * r.diff:+.1f} pts{_ci(r.diff_ci)}"
        label = {
            "none": "no alert",
            "new": "ALERT (new)",
            "ongoing": "ALERT (ongoing)",
            "cleared": "cleared",
            "inconclusive": f"inconclusive (needs {min_n} labelled items a side)",
        }[r.state]
        if r.state == "inconclusive" and r.active:
            label += "; the alert stays on"
        say(
            f"  {name}: baseline {_pct(r.baseline.pass_rate)}{_ci(r.baseline.ci)} "
            f"n={r.baseline.n} → recent {_pct(r.recent.pass_rate)}{_ci(r.recent.ci)} "
            f"n={r.recent.n}; change {diff}: {label}"
        )
        if r.agreement is not None:
            a = r.agreement
            alpha = "undefined" if a["alpha"] is None else f"{a['alpha']:.3f}"
            calibrated = (
                f"last calibration {a['calibration_alpha']:.3f} (round {a['calibration_round']})"
                if a["calibration_alpha"] is not None
                else "never calibrated"
            )
            say(
                f"    agreement in the window: alpha {alpha} over {a['units']} live items "
                f"with two or more labels; {calibrated}"
            )
    _warn_how_often(report)
    sys.exit(report.exit_code())


def _warn_how_often(report: DriftReport) -> None:
    """How often this check has run (the count, and the gap since the one before), and
    why that matters: each check of an unchanged rate may raise a false alarm."""
    checks = max((r.checks for r in report.rubrics.values()), default=0)
    before = max((r.previous_check or "" for r in report.rubrics.values()), default="")
    gap = ""
    if before:
        hours = (_moment(report.now) - _moment(before)).total_seconds() / 3600
        span = f"{abs(hours):.1f} h" if abs(hours) < 48 else f"{abs(hours) / 24:.1f} days"
        when = "earlier" if hours >= 0 else "later (this one replays a past moment)"
        gap = f" (the one before: {before}, {span} {when})"
    say(
        f"checked {checks} time{'s' if checks != 1 else ''} so far{gap}. Each check of an "
        "unchanged rate still has a small chance of a false alarm, and frequent checks add "
        "those chances up: check on a fixed schedule (daily, say), and read an alert as a "
        "reason to look.",
        err=True,
    )


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
