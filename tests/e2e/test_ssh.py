"""Annotating over a real SSH login: identity from the login, labels kept across a dropped link."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import sys
import time
from pathlib import Path

from tests.conftest import SAMPLE
from tests.e2e.ptyapp import PtyApp, PtyTimeout
from tests.e2e.sshd import Sshd, login_name, running_sshd
from tests.e2e.test_kill9 import labelled
from tui_annotate.config import CONFIG_FILE
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

#: Python, Textual and a key exchange on a loaded 2-core machine.
START = 60.0
STEP = 30.0
N = 4  # rated before the link drops
M = 2  # rated after logging in again
#: What the half-typed comment says; seeing it on screen means the keys reached the app.
UNSAVED = "half a thought"
#: The comment editor's hint line: the editor is open.
COMMENT_HINT = "Ctrl+S or Esc save"


def app_processes(project: Path) -> list[int]:
    """Live tui-annotate processes working in PROJECT (the forced command cds there)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            cwd = os.readlink(f"/proc/{entry}/cwd")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # gone, or not ours to look at
        if state == "Z" or cwd != str(project):
            continue
        if b"tui-annotate" in cmdline or b"tui_annotate" in cmdline:
            found.append(int(entry))
    return found


def wait_gone(project: Path, server: Sshd, timeout: float) -> None:
    """Until no app runs in PROJECT; one still there at the deadline is killed, then reported.

    Once sshd's session process is gone the app's parent is init, so stopping
    sshd would not find it: a failing test must not leave it running.
    """
    deadline = time.monotonic() + timeout
    while left := app_processes(project):
        if time.monotonic() > deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise AssertionError(
                f"the app {left} still runs {timeout:.0f}s after the disconnect;"
                f" sshd log:\n{server.log()}"
            )
        time.sleep(0.1)  # poll interval for /proc, not a wait for a result


def annotators(db: Path) -> dict[str, int]:
    """How many current labels each annotator has in DB."""
    with Repository.open(db, readonly=True) as repo:
        counts: dict[str, int] = {}
        for label in repo.current_labels("faithfulness"):
            counts[label.annotator] = counts.get(label.annotator, 0) + 1
    return counts


def drafts(db: Path) -> dict[str, str]:
    """Unsaved-label drafts by item external id: comments typed before any rating."""
    with Repository.open(db, readonly=True) as repo:
        rows = repo.conn.execute(
            "SELECT i.external_id, d.comment FROM drafts d JOIN items i ON i.id = d.item_id"
        ).fetchall()
    return {str(ext): str(comment) for ext, comment in rows}


def rate(app: PtyApp, current: str, times: int) -> list[str]:
    """Press 4 TIMES, each after the header moved on; the items shown after each press."""
    shown = []
    for _ in range(times):
        mark = len(app.output)
        app.send("4")
        # The acknowledgement: the label is stored before the header moves on to another item.
        current = app.wait_for_new_item(current, STEP, start=mark)
        shown.append(current)
    return shown


def test_ssh_login_rates_survives_a_dropped_link_and_resumes(tmp_path: Path) -> None:
    user = login_name()
    project = tmp_path / "project"
    project.mkdir()
    db = project / "annotations.db"
    with Repository.open(db) as repo:
        ingest.import_items(repo, SAMPLE)
    # A team host: the annotator is the account sshd logged in, never a name typed in.
    (project / CONFIG_FILE).write_text("annotators_from_login = true\n", "utf-8")
    exe = shutil.which("tui-annotate", path=str(Path(sys.executable).parent))
    assert exe, f"no tui-annotate next to {sys.executable}: install the project (make test)"
    # sshd clears the environment and runs this through the login shell: absolute paths only.
    command = (
        f"cd {shlex.quote(str(project))} && exec {shlex.quote(os.path.abspath(exe))}"
        " annotate --rubric faithfulness"
    )

    with running_sshd(tmp_path / "sshd", command) as server:
        client = PtyApp(server.client_argv(), cols=120, rows=40)
        try:
            first = client.wait_for_item(START)
        except PtyTimeout as exc:
            client.close()
            raise AssertionError(f"{exc}\nsshd log:\n{server.log()}") from None
        try:
            shown = [first, *rate(client, first, N)]
            assert app_processes(project), "the app is on screen but not found in /proc"
            # Start a comment and leave it half typed: the link drops mid-item.
            mark = len(client.output)
            client.send("c")
            # Keys typed before the editor is up are lost (as on a local terminal): wait for it.
            client.wait_for(lambda app: COMMENT_HINT in app.text(mark), STEP)
            mark = len(client.output)
            client.send(UNSAVED)
            client.wait_for(lambda app: UNSAVED in app.text(mark), STEP)
            status = client.kill(signal.SIGKILL)
        finally:
            client.close()
        assert status == -signal.SIGKILL, f"ssh had already exited ({status})"

        # Every acknowledged label is stored, under the login's name, and nothing more.
        assert annotators(db) == {user: N}
        rated = labelled(db, user)
        assert sorted(rated) == sorted(shown[:N])
        assert len(set(shown)) == N + 1, f"an item came round twice: {shown}"

        # sshd hangs up the session; the app on the other end must not linger.
        wait_gone(project, server, STEP)
        assert labelled(db, user) == rated
        # The half-typed comment was kept as the item's draft on the way out.
        assert drafts(db) == {shown[N]: UNSAVED}

        again = PtyApp(server.client_argv(), cols=120, rows=40)
        try:
            resumed = again.wait_for_item(START)
            # The item on screen at the disconnect was claimed but not rated: it comes back first.
            assert resumed == shown[N]
            more = rate(again, resumed, M)
            again.send("q")
            assert again.wait_exit(STEP) == 0, again._why("ssh did not exit cleanly after q")
        finally:
            again.close()
        wait_gone(project, server, STEP)

    assert annotators(db) == {user: N + M}
    after = labelled(db, user)
    assert sorted(after) == sorted([*shown, *more[:-1]])
    assert more[-1] not in after
    # The comment typed before the link dropped went out with the resumed item's rating.
    with Repository.open(db, readonly=True) as repo:
        item = repo.item_ids_by_external([shown[N]])[shown[N]]
        label = repo.current_label(item, "faithfulness", user)
    assert label is not None and label.comment == UNSAVED
    assert drafts(db) == {}
