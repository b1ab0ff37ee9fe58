"""`drift` end to end: items with log timestamps, people's labels, stored alert state, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.cli.conftest import Run, bad, describe, write_jsonl
from tests.conftest import load_shipped
from tui_annotate.core import snapshot
from tui_annotate.store.repository import Repository

NOW = datetime(2026, 6, 29, 12, 0, tzinfo=UTC)
RUBRIC = "faithfulness"


def project(db_path: Path, tmp_path: Path, cli: Run, recent_pass: float) -> None:
    """40 items in the baseline window (90 % PASS), 40 in the recent one (RECENT_PASS)."""
    rows, verdicts = [], []
    for i in range(80):
        recent = i >= 40
        moment = NOW - timedelta(days=(i % 40) * 0.15 + (0.5 if recent else 10))
        rows.append(
            {
                "id": f"x{i}",
                "output": f"answer {i}",
                "prompt": "support",
                "prompt_version": "1.0.0",
                "source": "live",
                "timestamp": moment.isoformat(),
            }
        )
        share = recent_pass if recent else 0.9
        verdicts.append((i % 40) < round(share * 40))
    assert cli("import", str(write_jsonl(tmp_path / "items.jsonl", rows))).exit_code == 0
    rubric = load_shipped(RUBRIC)
    with Repository.open(db_path) as repo:
        snapshot.register(repo, rubric)
        ids = repo.item_ids_by_external([r["id"] for r in rows])
        for row, good in zip(rows, verdicts, strict=True):
            repo.append_event(
                item_id=ids[row["id"]],
                rubric=RUBRIC,
                rubric_version=rubric.version,
                annotator="ana",
                kind="rate",
                score=5 if good else 1,
            )


def drift(cli: Run, *extra: str, at: datetime = NOW) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = cli("drift", "--prompt", "support", "--now", at.isoformat(), "--json", *extra)
    assert "Traceback" not in result.stderr, describe(result)
    return result.exit_code, json.loads(result.stdout)


def test_an_alert_is_new_then_ongoing(cli: Run, db_path: Path, tmp_path: Path) -> None:
    project(db_path, tmp_path, cli, recent_pass=0.3)
    code, report = drift(cli)
    assert code == 1
    r = report["rubrics"][RUBRIC]
    assert (r["baseline"]["n"], r["recent"]["n"]) == (40, 40)
    assert r["baseline"]["pass_rate"] == 0.9 and r["recent"]["pass_rate"] == 0.3
    assert r["diff"]["value"] == -0.6 and r["diff"]["ci"][1] < -0.05
    assert r["state"] == "new"
    assert {"prompt", "window", "baseline", "rubrics"} <= set(report)
    code, report = drift(cli)
    assert (code, report["rubrics"][RUBRIC]["state"]) == (1, "ongoing")
    assert report["rubrics"][RUBRIC]["checks"] == 2
    assert report["rubrics"][RUBRIC]["previous_check"] == "2026-06-29T12:00:00Z"
    text = cli("drift", "--prompt", "support", "--now", (NOW + timedelta(hours=6)).isoformat())
    assert text.exit_code == 1
    assert "ALERT (ongoing)" in text.stdout
    assert "checked 3 times so far (the one before: 2026-06-29T12:00:00Z, 6.0 h earlier)" in (
        text.stderr
    )
    assert "false alarm" in text.stderr
    # With --json too (stderr, beside the JSON on stdout): a cron job's log keeps it.
    later = (NOW + timedelta(hours=18)).isoformat()
    last = cli("drift", "--prompt", "support", "--now", later, "--json")
    assert json.loads(last.stdout)["rubrics"][RUBRIC]["checks"] == 4
    assert "checked 4 times so far (the one before: 2026-06-29T18:00:00Z, 12.0 h earlier)" in (
        last.stderr
    )
    # A week later the recent window is empty: too little data, the alert stays on.
    code, report = drift(cli, at=NOW + timedelta(days=8))
    assert report["rubrics"][RUBRIC]["previous_check"] == "2026-06-30T06:00:00Z"
    assert (code, report["rubrics"][RUBRIC]["state"]) == (1, "inconclusive")


def test_no_alert_and_too_little_data(cli: Run, db_path: Path, tmp_path: Path) -> None:
    project(db_path, tmp_path, cli, recent_pass=0.9)
    code, report = drift(cli)
    assert (code, report["rubrics"][RUBRIC]["state"]) == (0, "none")
    code, report = drift(cli, "--min-n", "50")
    assert (code, report["rubrics"][RUBRIC]["state"]) == (3, "inconclusive")
    assert "no items of prompt 'nope'" in bad(cli("drift", "--prompt", "nope")).stderr
    assert "--window" in bad(cli("drift", "--prompt", "support", "--window", "7")).stderr


def test_agreement_in_the_window(cli: Run, db_path: Path, tmp_path: Path) -> None:
    project(db_path, tmp_path, cli, recent_pass=0.9)
    rubric = load_shipped(RUBRIC)
    with Repository.open(db_path) as repo:
        ids = repo.item_ids_by_external([f"x{i}" for i in range(40, 80)])
        for n, (_, item) in enumerate(sorted(ids.items())):
            # ben agrees with ana on half the recent items and is far off on the rest.
            ana = next(c.score for c in repo.current_labels(RUBRIC) if c.item_id == item)
            repo.append_event(
                item_id=item,
                rubric=RUBRIC,
                rubric_version=rubric.version,
                annotator="ben",
                kind="rate",
                score=ana if n % 2 else 6 - ana,
            )
    code, report = drift(cli)
    assert code == 1  # ben's opposite scores pull the median-low consensus down: an alert too
    agreement = report["rubrics"][RUBRIC]["agreement"]
    assert agreement["units"] == 40
    assert agreement["alpha"] is not None and agreement["alpha"] < 0.8
    assert agreement["calibration_round"] is None
    text = cli("drift", "--prompt", "support", "--now", NOW.isoformat()).stdout
    assert "agreement in the window: alpha" in text and "never calibrated" in text


def test_the_settings_file_sets_margin_and_min_n(cli: Run, db_path: Path, tmp_path: Path) -> None:
    project(db_path, tmp_path, cli, recent_pass=0.9)
    (tmp_path / "tui-annotate.toml").write_text("drift_min_n = 50\ndrift_margin = 0.1\n")
    code, report = drift(cli)
    assert (code, report["min_n"], report["margin"]) == (3, 50, 0.1)
    code, report = drift(cli, "--min-n", "10")
    assert (code, report["min_n"]) == (0, 10)


def test_agreement_live_takes_drifts_window(cli: Run, db_path: Path, tmp_path: Path) -> None:
    """`agreement --live --window` gives the alpha drift shows, with agreement's full report;
    without the window it counts every live label (here: a calm baseline too)."""
    project(db_path, tmp_path, cli, recent_pass=0.9)
    rubric = load_shipped(RUBRIC)
    with Repository.open(db_path) as repo:
        ids = repo.item_ids_by_external([f"x{i}" for i in range(80)])
        ana = {c.item_id: c.score for c in repo.current_labels(RUBRIC)}
        for n in range(80):
            item = ids[f"x{n}"]
            far_off = n >= 40 and n % 2 == 0  # ben differs only in the recent window
            repo.append_event(
                item_id=item,
                rubric=RUBRIC,
                rubric_version=rubric.version,
                annotator="ben",
                kind="rate",
                score=6 - ana[item] if far_off else ana[item],
            )
    _, report = drift(cli)
    shown = report["rubrics"][RUBRIC]["agreement"]
    at = ["--now", NOW.isoformat()]
    windowed = cli("agreement", "--live", "--window", "7d", "--prompt", "support", *at, "--json")
    assert windowed.exit_code == 0, describe(windowed)
    data = json.loads(windowed.stdout)
    assert data["units"] == shown["units"] == 40
    assert round(data["alpha"], 4) == shown["alpha"]
    assert data["window"]["prompt"] == "support" and data["window"]["items"] == 40
    assert "live labels on the 40 items of prompt support" in windowed.stderr
    whole = json.loads(cli("agreement", "--live", "--json").stdout)
    assert whole["units"] == 80 and whole["alpha"] > data["alpha"]
    assert "--window needs --live" in bad(cli("agreement", "--window", "7d")).stderr
    assert "go with --live --window" in bad(cli("agreement", "--live", *at)).stderr
    assert "--window" in bad(cli("agreement", "--live", "--window", "7")).stderr
    nope = bad(cli("agreement", "--live", "--window", "7d", "--prompt", "nope"))
    assert "no items of prompt 'nope' (prompts: support)" in nope.stderr
