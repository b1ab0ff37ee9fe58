"""Commands for calibration: rounds, agreement, labels made elsewhere, adjudication."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from tui_annotate import access
from tui_annotate.cli import Context, emit_json, errors_to_exit, lead_only, main
from tui_annotate.cli.output import add_row, console, literal, say, table
from tui_annotate.cli.stopping import stops_cleanly
from tui_annotate.core import names, source
from tui_annotate.core.textsafe import visible
from tui_annotate.errors import InputError, NotFound
from tui_annotate.render import alpha_scale, fmt, plural


def _thresholds(obj: Context) -> Any:
    from tui_annotate.core.calibration import Thresholds

    s = obj.settings
    if s.tentative_alpha > s.pass_alpha:
        raise InputError("tentative_alpha must not exceed pass_alpha", field="tentative_alpha")
    return Thresholds(pass_at=s.pass_alpha, tentative_at=s.tentative_alpha)


def _split(given: str | None, option: str = "--annotators") -> list[str] | None:
    """The names in a comma-separated OPTION, each held to the one annotator-name rule."""
    if given is None:
        return None
    return [names.check(n.strip(), field=option) for n in given.split(",") if n.strip()]


def _print_result(data: dict[str, Any]) -> None:
    """Alpha, its interval against the thresholds, and the diagnostics, for people."""
    out = console()
    th = data.get("thresholds") or {"pass": 0.8, "tentative": 0.667}
    title = f"round {data['round']} · " if data.get("round") is not None else ""
    title += f"{data.get('rubric') or ''} · {data['level']} alpha"
    out.print(literal(title, "bold"))
    ci = data.get("ci")
    verdict = data.get("verdict")
    line = literal(f"alpha = {fmt(data['alpha'])}")
    if ci:
        line.append(f"   {int(100 * (data['bootstrap'] or {}).get('confidence', 0.95))}% CI "
                    f"[{ci[0]:.3f}, {ci[1]:.3f}]")  # fmt: skip
    if data.get("p_below_threshold") is not None:
        line.append(f"   P(alpha < {th['pass']:.3f}) = {data['p_below_threshold']:.2f}")
    if verdict:
        style = {"pass": "bold green", "tentative": "bold yellow"}.get(verdict, "bold red")
        line.append("   ")
        line.append_text(literal(verdict.upper(), style))
    out.print(line)
    if data["alpha"] is None:
        out.print(literal(f"undefined: {data.get('reason')}", "yellow"))
    else:
        for row in alpha_scale(data["alpha"], ci, pass_at=th["pass"], tentative_at=th["tentative"]):
            out.print(literal(row))
    boot = data.get("bootstrap")
    units = (f"{plural(data['units'], 'pairable unit')}, "
             f"{plural(len(data['annotators']), 'annotator')}")  # fmt: skip
    if boot:
        units += (f"; bootstrap {plural(boot['replicates'], 'replicate')} (seed {boot['seed']}, "
                  f"{boot['undefined']} undefined skipped)")  # fmt: skip
    out.print(literal(units, "dim"))
    per = data.get("per_annotator") or []
    if per:
        gold = any("accuracy_vs_gold" in p for p in per)
        grid = table("annotator", "labels", "alpha without", "bias",
                     *(["accuracy vs gold"] if gold else []), title="per annotator")  # fmt: skip
        for p in per:
            bias = "—" if p.get("bias") is None else f"{p['bias']:+.2f}"
            labels = f"{p['labels']}" + (f"/{p['of']}" if p.get("of") else "")
            extra = [fmt(p.get("accuracy_vs_gold"), 2)] if gold else []
            add_row(grid, p["annotator"], labels, fmt(p["alpha_without"]), bias, *extra)
        out.print(grid)
    disputed = data.get("disputed") or []
    if disputed:
        grid = table("item", "spread", "scores", title="most disputed")
        for d in disputed:
            scores = ", ".join(f"{a}: {s}" for a, s in d["scores"].items())
            add_row(grid, d["item"], f"{d['spread']:g}", scores)
        out.print(grid)


# -- calibrate ----------------------------------------------------------------


@main.group()
def calibrate() -> None:
    """Calibration rounds: annotators label the same items blind; alpha decides who goes live."""


@calibrate.command("start")
@click.option("--rubric", "rubric_name", required=True, help="The rubric to calibrate.")
@click.option("--annotators", required=True, metavar="A,B,C", help="Who takes part (two or more).")
@click.option(
    "--items",
    type=click.IntRange(min=1),
    default=None,
    help="How many items to sample [default: 30, or every golden item].",
)
@click.option("--from-golden", is_flag=True, help="Sample from the golden (adjudicated) items.")
@click.option("--seed", type=int, default=None, help="Seed for the sample and the bootstrap.")
@click.option("--json", "as_json", is_flag=True, help="Print the round as JSON.")
@click.pass_obj
@errors_to_exit
@lead_only("calibrate start")
def calibrate_start(obj: Context, rubric_name: str, annotators: str, items: int | None,
                    from_golden: bool, seed: int | None, as_json: bool) -> None:  # fmt: skip
    """Open a round: a sample stratified over prompts and prompt versions."""
    from tui_annotate.core import calibration

    rubric = obj.rubric(rubric_name)
    with obj.repo() as repo:
        round_ = calibration.start_round(
            repo, rubric, _split(annotators) or [], items=items, from_golden=from_golden,
            seed=seed, created_by=access.login_name(),
        )  # fmt: skip
        data = calibration.status(repo, round_)
    if as_json:
        emit_json(data)
        return
    say(str(round_.id))
    say(
        f"round {round_.id} open: {plural(round_.items, 'item')} of {rubric.name} "
        f"{rubric.version} for {', '.join(round_.annotators)} (seed {round_.seed}). "
        "They get these items first, blind.",
        err=True,
    )


@calibrate.command("status")
@click.argument("round_id", metavar="[ROUND]", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def calibrate_status(obj: Context, round_id: int | None, as_json: bool) -> None:
    """Progress per annotator in ROUND (default: the open round; every round if none is open)."""
    from tui_annotate.core import calibration

    with obj.repo() as repo:
        if round_id is None and not repo.rounds.find(status="open"):
            data: Any = [calibration.status(repo, r) for r in repo.rounds.find()]
        else:
            data = calibration.status(repo, calibration.find_round(repo, round_id))
    if as_json:
        emit_json(data)
        return
    for entry in data if isinstance(data, list) else [data]:
        verdict = f", {entry['verdict']} (alpha {fmt(entry['alpha'])})" if entry["verdict"] else ""
        say(f"round {entry['round']} · {entry['rubric']} {entry['rubric_version']} · "
            f"{entry['status']}{verdict} · {plural(entry['items'], 'item')}")  # fmt: skip
        for name, p in entry["annotators"].items():
            say(f"  {visible(name):<20} {p['done']:>4} / {p['of']}")
    if isinstance(data, list) and not data:
        say("no calibration rounds yet")


@calibrate.command("close")
@click.argument("round_id", metavar="[ROUND]", type=int, required=False)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap replicates for the confidence interval.",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--force", is_flag=True, help="Close even a round nobody has labelled yet.")
@click.pass_obj
@errors_to_exit
@lead_only("calibrate close")
def calibrate_close(
    obj: Context, round_id: int | None, bootstrap: int, as_json: bool, force: bool
) -> None:
    """Compute alpha, its interval and diagnostics; store the verdict; exit 1 unless it passed."""
    from tui_annotate.core import calibration

    with obj.repo() as repo:
        round_ = calibration.find_round(repo, round_id)
        rubric = obj.rubric(round_.rubric)
        data = calibration.close_round(
            repo, round_, rubric, thresholds=_thresholds(obj), bootstrap=bootstrap, force=force
        )
    if as_json:
        emit_json(data)
    else:
        _print_result(data)
    if data["verdict"] != "pass":
        sys.exit(1)


@calibrate.command("show")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON instead of opening the app.")
@click.option("--text", "as_text", is_flag=True, help="Print as text instead of opening the app.")
@click.pass_obj
@errors_to_exit
def calibrate_show(obj: Context, round_id: int, as_json: bool, as_text: bool) -> None:
    """Show a closed round's result: in the app, or as text or JSON."""
    from tui_annotate.core import calibration

    with obj.repo(readonly=True) as repo:
        round_ = calibration.find_round(repo, round_id)
    if round_.is_open:
        raise InputError(f"round {round_id} is still open; results come after close (blind)")
    if as_json:
        emit_json(round_.result)
        return
    if as_text or not sys.stdout.isatty():
        _print_result(round_.result)
        return
    from tui_annotate.tui.results_app import ResultsApp

    ResultsApp(round_.result).run()


@calibrate.command("review")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--adjudicator", default=None, help="Your name on golden labels [default: login].")
@click.pass_obj
@errors_to_exit
@lead_only("calibrate review")
def calibrate_review(obj: Context, round_id: int, adjudicator: str | None) -> None:
    """Walk the round's disputed items and adjudicate golden labels (the app)."""
    from tui_annotate.core import calibration
    from tui_annotate.store.repository import Repository

    adjudicator = access.annotator_name(adjudicator, obj.settings, "--adjudicator")
    repo = Repository.open(obj.db_path)
    try:
        round_ = calibration.find_round(repo, round_id)
        rubric = obj.rubric(round_.rubric)
        items = calibration.review_items(repo, round_, rubric)
        if not items:
            say(f"round {round_id}: no disputed items; nothing to adjudicate")
            return
        from tui_annotate.tui.keymap import check
        from tui_annotate.tui.review_app import ReviewApp

        keymap = check(obj.settings.keymap, rubric)  # a clash: exit 2 before the app opens
        app = ReviewApp(
            repo=repo,
            round_=round_,
            rubric=rubric,
            items=items,
            adjudicator=adjudicator,
            keymap=keymap,
        )
        app.run()
    finally:
        repo.close()


@calibrate.command("adjudicate")
@click.argument("round_id", metavar="ROUND", type=int)
@click.argument("item_id", metavar="ITEM")
@click.argument("score", type=int)
@click.option("--note", default="", help="Why this is the consensus label.")
@click.option("--adjudicator", default=None, help="Your name [default: login].")
@click.pass_obj
@errors_to_exit
@lead_only("calibrate adjudicate")
def calibrate_adjudicate(obj: Context, round_id: int, item_id: str, score: int, note: str,
                         adjudicator: str | None) -> None:  # fmt: skip
    """Set the golden label of ITEM (its external id) from ROUND without opening the app."""
    from tui_annotate.core import calibration

    adjudicator = access.annotator_name(adjudicator, obj.settings, "--adjudicator")
    with obj.repo() as repo:
        round_ = calibration.find_round(repo, round_id)
        if round_.is_open:
            raise InputError(f"round {round_id} is still open; adjudicate after close")
        rubric = obj.rubric(round_.rubric)
        found = repo.item_ids_by_external([item_id])
        if item_id not in found or found[item_id] not in repo.rounds.item_ids(round_id):
            raise NotFound(f"item {item_id!r} is not in round {round_id}")
        calibration.adjudicate(repo, rubric, found[item_id], score, note=note,
                               adjudicator=adjudicator, round_id=round_id)  # fmt: skip
    say(f"golden: {item_id} = {score} ({rubric.name})")


# -- agreement ----------------------------------------------------------------


@main.command()
@click.option(
    "--rubric", "rubric_name", default=None, help="The rubric [default: the only one in use]."
)
@click.option("--round", "round_id", type=int, default=None, help="Only this (closed) round.")
@click.option("--annotators", default=None, metavar="A,B", help="Only these annotators.")
@click.option(
    "--level",
    type=click.Choice(["nominal", "ordinal", "interval", "ratio"]),
    default=None,
    help="Level of measurement [default: the rubric's].",
)
@click.option("--live", is_flag=True, help="Only live labels (drift after calibration).")
@click.option(
    "--judge",
    "judge_model",
    default=None,
    metavar="MODEL",
    help="Measure the LLM judge judge:MODEL against the humans.",
)
@click.option(
    "--file",
    "label_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Labels from a CSV/JSONL file (item_id, annotator, score) instead of the database.",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap replicates for the confidence interval (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@errors_to_exit
def agreement(obj: Context, rubric_name: str | None, round_id: int | None, annotators: str | None,
              level: str | None, live: bool, judge_model: str | None, label_file: Path | None,
              bootstrap: int, seed: int, as_json: bool) -> None:  # fmt: skip
    """Krippendorff's alpha with a bootstrap interval and per-annotator diagnostics."""
    from tui_annotate.core import agreement_report

    if judge_model is not None:
        _judge_agreement(obj, rubric_name, judge_model, bootstrap, seed, as_json)
        return

    wanted = _split(annotators)
    pass_at = _thresholds(obj).pass_at
    if label_file is not None:
        rubric = obj.rubric(rubric_name) if rubric_name else None
        data = agreement_report.from_file(label_file, rubric=rubric, level=level,
                                          annotators=wanted, bootstrap=bootstrap, seed=seed,
                                          threshold=pass_at)  # fmt: skip
    else:
        if not obj.db_path.exists():
            raise InputError(f"no database at {obj.db_path}")
        with obj.repo(readonly=True) as repo:
            if rubric_name is None:
                rubric_name = agreement_report.only_rubric(repo, round_id)
            rubric = obj.rubric(rubric_name)
            data = agreement_report.from_db(repo, rubric, round_id=round_id, level=level,
                                            annotators=wanted, live=live, bootstrap=bootstrap,
                                            seed=seed, threshold=pass_at)  # fmt: skip
    data["thresholds"] = {"pass": pass_at, "tentative": _thresholds(obj).tentative_at}
    _say_what_was_left_out(data)
    if as_json:
        emit_json(data)
    else:
        _print_result(data)


def _say_what_was_left_out(data: dict[str, Any]) -> None:
    """On stderr, beside the table or the JSON: labels held back and annotators with none."""
    left = data.get("left_out") or {}
    if left.get("labels"):
        say(f"agreement: left out {plural(left['labels'], 'label')} {left['reason']}", err=True)
    if data.get("without_labels"):
        where = f" on {data['rubric']}" if data.get("rubric") else ""
        names = ", ".join(data["without_labels"])
        say(f"agreement: no labels{where} from {names}", err=True)


def _judge_agreement(obj: Context, rubric_name: str | None, model: str, bootstrap: int,
                     seed: int, as_json: bool) -> None:  # fmt: skip
    from tui_annotate.core import agreement_report, judge_report

    if not obj.db_path.exists():
        raise InputError(f"no database at {obj.db_path}")
    with obj.repo(readonly=True) as repo:
        rubric = obj.rubric(rubric_name or agreement_report.only_rubric(repo, None))
        data = judge_report.judge_vs_humans(
            repo, rubric, model, bootstrap=bootstrap, seed=seed,
            threshold=_thresholds(obj).pass_at, min_kappa=obj.settings.judge_min_kappa,
        )  # fmt: skip
    if as_json:
        emit_json(data)
    else:
        _print_judge_agreement(data)
    if not data["trustworthy"]:
        sys.exit(1)  # a failed check, like a round below threshold


def _print_judge_agreement(data: dict[str, Any]) -> None:
    out = console()
    vs = data["vs_consensus"]
    pf = data["pass_fail"]
    out.print(literal(f"{data['judge']} vs people on {data['rubric']}: "
                      f"{plural(data['items'], 'item')} labelled by both", "bold"))  # fmt: skip
    ci = f" [{vs['ci'][0]:.3f}, {vs['ci'][1]:.3f}]" if vs.get("ci") else ""
    out.print(literal(f"alpha judge vs human consensus = {fmt(vs['alpha'])}{ci}"
                      + (f" ({vs['reason']})" if vs["alpha"] is None else "")))  # fmt: skip
    out.print(
        literal(f"alpha with the judge as one more annotator = {fmt(data['with_judge']['alpha'])}")
    )
    out.print(literal(f"PASS/FAIL: kappa {fmt(pf['kappa'])}, agreement {fmt(pf['percent'])}"))
    style = "bold green" if data["trustworthy"] else "bold red"
    out.print(literal(("TRUSTWORTHY: " if data["trustworthy"] else "NOT TRUSTWORTHY: ")
                      + data["trust_reason"], style))  # fmt: skip
    grid = table("", "judge PASS", "judge FAIL", title="PASS/FAIL confusion")
    for human, row in data["confusion"].items():
        add_row(grid, human, row["judge PASS"], row["judge FAIL"])
    out.print(grid)
    if data["tags"]:
        tags = table("tag", "humans", "judge", "both", "recall", "precision", title="failure tags")
        for name, t in data["tags"].items():
            add_row(tags, name, t["humans"], t["judge"], t["both"],
                    fmt(t["recall"], 2), fmt(t["precision"], 2))  # fmt: skip
        out.print(tags)
    if data["largest_disagreements"]:
        gaps = table("item", "judge", "humans", "judge's rationale", title="largest disagreements")
        for g in data["largest_disagreements"]:
            add_row(gaps, g["item"], g["judge"], g["humans"], g["rationale"])
        out.print(gaps)


# -- import-labels --------------------------------------------------------------


@main.command("import-labels")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--rubric", "rubric_name", default=None, help="Rubric for rows without a rubric column."
)
@click.option(
    "--format",
    "fmt_name",
    type=click.Choice(["jsonl", "csv"]),
    default=None,
    help="Override the format guessed from the extension.",
)
@click.pass_obj
@errors_to_exit
@lead_only("import-labels")
@stops_cleanly("stopped: no label of the file was imported; run the same command to import it")
def import_labels_cmd(
    obj: Context, file: Path, rubric_name: str | None, fmt_name: str | None
) -> None:
    """Labels made elsewhere (item_id, annotator, score; optional rubric, comment, tags).

    FILE '-' reads standard input (with --format).
    """
    from tui_annotate.core import label_import

    if not obj.db_path.exists():
        raise InputError(f"no database at {obj.db_path} (import the items first)")
    # The file is read once, by import_labels (a FIFO or <(cmd) can't be read twice), so
    # the rubrics it names are loaded as it asks for them.
    with obj.repo() as repo:
        count = label_import.import_labels(repo, file, _RubricsByName(obj), rubric_name, fmt_name)
    say(f"{source.display_name(file)}: imported {plural(count, 'label')} into {obj.db_path}")


class _RubricsByName(dict[str, Any]):
    """The rubrics a label file names, loaded when first asked for; unknown ones are absent."""

    def __init__(self, obj: Context) -> None:
        super().__init__()
        self._obj = obj

    def _load(self, name: str) -> bool:
        if not dict.__contains__(self, name):
            try:
                self[name] = self._obj.rubric(name)
            except NotFound:
                return False  # reported per line by import_labels
        return True

    def __missing__(self, name: str) -> Any:
        if self._load(name):
            return self[name]
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._load(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._load(name)
        return dict.get(self, name, default)
