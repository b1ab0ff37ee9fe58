"""Every CLI report prints data as visible text: no escape sequence from data reaches the terminal.

Annotator names, item ids, tags, comments, a judge's rationale, rubric text
and file names are all data. Each printing command runs on a real pty (where
Rich styles its own output, as at a user's terminal) against a project full
of hostile strings: OSC title changes, CSI screen clears, C1 controls (U+009B
is a one-byte CSI), BEL and Rich markup. The program's own styling escapes
are fine; the data's sequences must not appear, and their visible stand-ins
(␛, ␇, <U+009B>) must.

The hostile data goes in through the store, not `import-labels`, which
refuses such names.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, load_shipped
from tests.e2e.conftest import TIMEOUT
from tests.e2e.ptyapp import PtyApp
from tui_annotate.core import calibration, ingest, snapshot
from tui_annotate.store.repository import Repository


def evil(tag: str) -> str:
    """A string that retitles the terminal, clears it, turns text red and uses Rich markup.

    No '/' (so it can be a file name): Rich applies an unclosed '[bold]' all the same.
    """
    return f"{tag}\x1b]2;PWNED-{tag}\x07\x9b31m[bold]{tag}\x1b[2JCLEAR-{tag}"


def shown(tag: str) -> list[str]:
    """What evil(TAG) looks like when printed literally (in pieces: tables may fold a cell)."""
    return [f"␛]2;PWNED-{tag}␇", "<U+009B>31m", f"[bold]{tag}", f"␛[2JCLEAR-{tag}"]


ANA, BOB = evil("ana"), evil("bob")
# JSON strings are TOML basic strings: ESC, BEL and U+009B go in as \u escapes.
HOSTILE_RUBRIC = f"""
name = "hostile"
version = "1.0.0"
title = {json.dumps(evil("title"))}
question = {json.dumps(evil("question"))}
pass_threshold = 2

[[scale]]
value = 1
label = {json.dumps(evil("label"))}
description = {json.dumps(evil("anchor"))}

[[scale]]
value = 2
label = "good"
description = "fine"

[[tags]]
name = "wrong"
key = "w"
description = {json.dumps(evil("tagtext"))}

[[examples]]
kind = "positive"
output = {json.dumps(evil("example"))}
score = 2
rationale = "ok"
"""
JUDGE_MODEL = "m"
ROUND_ITEMS = 6


@dataclass(frozen=True)
class Project:
    folder: Path
    db: Path
    rubrics: Path
    labels: Path
    evil_file: Path


def _label(
    repo: Repository,
    item_id: int,
    rubric: str,
    version: str,
    annotator: str,
    score: int,
    **extra: object,
) -> None:
    repo.append_event(
        item_id=item_id,
        rubric=rubric,
        rubric_version=version,
        annotator=annotator,
        kind="rate",
        score=score,
        **extra,
    )  # type: ignore[misc]


def _round(repo: Repository, name: str, *, close: bool, scores: tuple[int, int]) -> int:
    rubric = load_shipped(name)
    snapshot.register(repo, rubric)
    # Straight into the store: `calibrate start` may come to refuse such names.
    first = 0 if name == "faithfulness" else ROUND_ITEMS
    items = [row[0] for row in repo.conn.execute("SELECT id FROM items ORDER BY id")]
    round_id = repo.rounds.create(
        rubric=rubric.name,
        rubric_version=rubric.version,
        rubric_major=rubric.major,
        source="sample",
        seed=1,
        created_by="lead",
        annotators=[ANA, BOB],
        item_ids=items[first : first + ROUND_ITEMS],
    )
    tags = [rubric.tags[0].name] if rubric.tags else []
    for n, item_id in enumerate(repo.rounds.item_ids(round_id)):
        for annotator, score in zip((ANA, BOB), scores, strict=True):
            value = rubric.values[(score + n) % len(rubric.values)]
            _label(
                repo,
                item_id,
                rubric.name,
                rubric.version,
                annotator,
                value,
                calibration=True,
                round_id=round_id,
                tags=tags,
                comment=evil(f"note{n}"),
            )
    if close:
        found = repo.rounds.get(round_id)
        assert found is not None
        calibration.close_round(repo, found, rubric, bootstrap=20)
    return round_id


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Items with hostile ids; a closed faithfulness round and an open helpfulness round
    between two hostile annotators; a judge whose rationales are hostile; a rubric whose
    text and file name are hostile; a label file with hostile names."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
        with repo.transaction():
            for n, (item_id,) in enumerate(repo.conn.execute("SELECT id FROM items").fetchall()):
                repo.conn.execute(
                    "UPDATE items_all SET external_id = ? WHERE id = ?", (evil(f"item{n}"), item_id)
                )
        _round(repo, "faithfulness", close=True, scores=(0, 2))
        _round(repo, "helpfulness", close=False, scores=(1, 3))
        faithfulness = load_shipped("faithfulness")
        humans = {label.item_id for label in repo.current_labels("faithfulness")}
        for n, item_id in enumerate(sorted(humans)):
            _label(
                repo,
                item_id,
                "faithfulness",
                faithfulness.version,
                f"judge:{JUDGE_MODEL}",
                faithfulness.values[n % 2],
                comment=evil(f"why{n}"),
            )

    rubrics = folder / "rubrics"
    rubrics.mkdir()
    (rubrics / "hostile.toml").write_text(HOSTILE_RUBRIC, encoding="utf-8")
    # A rubric file whose name is an escape sequence: `rubric list` prints the stem. Its
    # own directory: it declares another name, which may make it invalid to other commands.
    (folder / "named").mkdir()
    (folder / "named" / f"{evil('file')}.toml").write_text(HOSTILE_RUBRIC, encoding="utf-8")

    labels = folder / "labels.jsonl"
    labels.write_text(
        "".join(
            json.dumps({"item_id": evil(f"li{n}"), "annotator": who, "score": score}) + "\n"
            for n in range(4)
            for who, score in ((ANA, 1 + n), (BOB, 5 - n))
        ),
        encoding="utf-8",
    )
    evil_file = folder / f"{evil('path')}.jsonl"
    shutil.copy(SAMPLE, evil_file)
    return Project(folder, db, rubrics, labels, evil_file)


@pytest.fixture
def run(project: Project, tmp_path: Path) -> Iterator[Callable[..., tuple[int, bytes]]]:
    """run(*args) runs `tui-annotate --db <a copy of the project> --rubrics DIR ARGS` on a pty."""
    started: list[PtyApp] = []

    def start(*args: str, rubrics: Path = project.rubrics) -> tuple[int, bytes]:
        db = tmp_path / "copy.db"
        if not db.exists():
            shutil.copy(project.db, db)
        argv = [
            sys.executable,
            "-m",
            "tui_annotate",
            "--db",
            str(db),
            "--rubrics",
            str(rubrics),
            *args,
        ]
        env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
        app = PtyApp(argv, cols=250, rows=60, cwd=tmp_path, env=env)
        started.append(app)
        status = app.wait_exit(TIMEOUT)
        return status, bytes(app.output)

    yield start
    for app in started:
        app.close()


def assert_inert(raw: bytes, *tags: str, status: int | None = None) -> str:
    """No sequence from data in RAW; each TAG's visible stand-ins are there. Returns the text."""
    text = raw.decode("utf-8", errors="replace")
    why = f"exit {status}; output:\n{text}"
    assert b"\x1b]" not in raw, why  # no OSC at all: the program writes none of its own
    assert b"\x07" not in raw, why
    assert b"\x1b[2JCLEAR" not in raw, why
    assert "\x9b" not in text, why  # U+009B, the one-character CSI
    assert b"\x9b31m" not in raw, why
    for tag in tags:
        for piece in shown(tag):
            assert piece in text, (piece, why)
    return text


def test_status_shows_annotator_names_literally(run) -> None:
    status, raw = run("status")
    assert status == 0
    assert_inert(raw, "ana", "bob", status=status)


def test_agreement_shows_names_and_disputed_ids_literally(run) -> None:
    status, raw = run("agreement", "--rubric", "faithfulness", "--bootstrap", "20")
    text = assert_inert(raw, "ana", "bob", status=status)
    assert "most disputed" in text
    assert "␛]2;PWNED-item" in text  # a disputed item's id


def test_agreement_on_a_label_file_shows_ids_literally(run, project: Project) -> None:
    status, raw = run("agreement", "--file", str(project.labels), "--bootstrap", "20")
    text = assert_inert(raw, status=status)
    if status == 0:
        assert "␛]2;PWNED-li" in text


def test_agreement_judge_shows_the_rationale_literally(run) -> None:
    status, raw = run(
        "agreement", "--judge", JUDGE_MODEL, "--rubric", "faithfulness", "--bootstrap", "20"
    )
    text = assert_inert(raw, status=status)
    assert "largest disagreements" in text, text
    assert "␛]2;PWNED-why" in text  # a rationale
    assert "␛]2;PWNED-item" in text  # an item id


def test_calibrate_status_and_show(run) -> None:
    for args in (
        ("calibrate", "status", "1"),
        ("calibrate", "status"),
        ("calibrate", "show", "1", "--text"),
    ):
        status, raw = run(*args)
        assert status in (0, 1), raw
        assert_inert(raw, "ana", "bob", status=status)


def test_calibrate_close_prints_names_literally(run) -> None:
    status, raw = run("calibrate", "close", "2", "--bootstrap", "20")
    assert status in (0, 1), raw
    assert_inert(raw, "ana", "bob", status=status)


def test_calibrate_start_with_hostile_names(run) -> None:
    # Whether a future name rule refuses them or the round opens, nothing is obeyed.
    status, raw = run(
        "calibrate", "start", "--rubric", "safety", "--annotators", f"{ANA},{BOB}", "--items", "3"
    )
    assert_inert(raw, status=status)


def test_rubric_commands_show_rubric_text_literally(run, project: Project) -> None:
    status, raw = run("rubric", "show", "hostile")
    assert status == 0, raw
    assert_inert(raw, "title", "question", "label", "anchor", "tagtext", "example", status=status)
    status, raw = run("rubric", "list")
    assert status == 0, raw
    assert_inert(raw, "title", status=status)
    named = project.folder / "named"
    status, raw = run("rubric", "list", rubrics=named)
    assert_inert(raw, "file", status=status)
    status, raw = run("rubric", "check", str(named / f"{evil('file')}.toml"))
    assert_inert(raw, "file", status=status)


def test_import_names_a_hostile_file_literally(run, project: Project) -> None:
    status, raw = run("import", str(project.evil_file))
    assert status == 0, raw
    assert_inert(raw, "path", status=status)


def test_import_progress_bar_names_the_file_literally(run, tmp_path: Path) -> None:
    """Over 5 MB on a terminal, import shows a progress bar captioned with the file name."""
    big = tmp_path / f"{evil('big')}.jsonl"
    filler = "x" * 2000
    with big.open("w", encoding="utf-8") as out:
        for n in range(2700):
            out.write(json.dumps({"id": f"b{n}", "output": f"{n} {filler}"}) + "\n")
    status, raw = run("import", str(big))
    assert status == 0, raw
    text = assert_inert(raw, "big", status=status)
    assert "importing big␛]2;PWNED-big␇<U+009B>31m[bold]big␛[2JCLEAR-big.jsonl" in text, text


def test_export_and_backup_name_hostile_files_literally(run, tmp_path: Path) -> None:
    status, raw = run(
        "export", "--rubric", "faithfulness", "-o", str(tmp_path / f"{evil('out')}.csv")
    )
    assert status == 0, raw
    assert_inert(raw, "out", status=status)
    status, raw = run("backup", str(tmp_path / f"{evil('bak')}.db"))
    assert status == 0, raw
    assert_inert(raw, "bak", status=status)


def test_export_to_a_terminal_shows_comments_and_ids_literally(run) -> None:
    status, raw = run("export", "--rubric", "faithfulness")
    assert status == 0, raw
    text = assert_inert(raw, status=status)
    assert "␛]2;PWNED-note" in text  # a comment
    assert "␛]2;PWNED-item" in text  # an item id


def test_errors_quote_data_literally(run, project: Project, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"item_id": "x", "annotator": "ana", "score": 3, "rubric": evil("rub")}) + "\n",
        encoding="utf-8",
    )
    status, raw = run("import-labels", str(bad))
    assert status == 2, raw
    assert_inert(raw, status=status)
    status, raw = run("serve", "--rubric", "faithfulness", "--host", evil("host"))
    assert status == 2, raw
    assert_inert(raw, "host", status=status)
    status, raw = run("rubric", "show", evil("nope"))
    assert status == 2, raw
    assert_inert(raw, status=status)


def test_judge_summary_names_the_model_literally(run) -> None:
    """A run against a port nobody listens on: every request fails; the summary still prints."""
    status, raw = run(
        "judge",
        "--rubric",
        "faithfulness",
        "--model",
        evil("model"),
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--limit",
        "1",
        "--retries",
        "0",
        "--timeout",
        "5",
    )
    assert status == 1, raw
    assert_inert(raw, "model", status=status)
