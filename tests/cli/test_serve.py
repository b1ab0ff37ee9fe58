"""`serve`: the real server as a subprocess, driven over its websocket the way the browser page does."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import SAMPLE
from tui_annotate import access
from tui_annotate.cli.serve import is_loopback
from tui_annotate.core import ingest
from tui_annotate.store.repository import Repository

#: Generous: a loaded 2-core CI machine can take seconds to start Python, the server and Textual.
TIMEOUT = 60.0
RUBRIC = "faithfulness"
#: The app's header: "… 0:00 on item │ nw-031" (the item's own id after the bar).
ITEM_HEADER = re.compile(r"on item │ ([A-Za-z0-9][A-Za-z0-9._:-]*)")
#: Terminal control sequences in what the web driver sends: CSI (colours, cursor moves),
#: OSC (pointer shape, title) and the two-byte escapes.
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
WEBSOCKET_URL = re.compile(r'data-session-websocket-url="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def screen_text(output: bytes | bytearray) -> str:
    """What the app drew, without the control sequences between the words."""
    return ESCAPES.sub(b"", bytes(output)).decode("utf-8", "replace")


class Served:
    """`python -m tui_annotate --db DB serve …` in its own process group, output kept in files."""

    def __init__(self, db: Path, port: int, *args: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.stdout_path = db.with_name(f"serve-{port}.out")
        self.stderr_path = db.with_name(f"serve-{port}.err")
        argv = [
            sys.executable,
            "-m",
            "tui_annotate",
            "--db",
            str(db),
            "serve",
            "--rubric",
            RUBRIC,
            "--port",
            str(port),
            *args,
        ]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            # A group of its own: the apps it starts (one per websocket) are killed with it.
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, start_new_session=True)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def log(self) -> str:
        out = self.stdout_path.read_text(encoding="utf-8", errors="replace")
        return f"exit {self.proc.poll()}\n--- stdout\n{out}\n--- stderr\n{self.stderr}"

    def wait_until_answers(self) -> tuple[str, str]:
        """Poll GET / until the server answers; its (Content-Type, body)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited before answering\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=10) as response:
                    assert response.status == 200, self.log()
                    body = response.read().decode("utf-8")
                    return response.headers.get("Content-Type", ""), body
            except (urllib.error.URLError, ConnectionError) as exc:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no answer on {self.url}: {exc}\n{self.log()}") from exc
                time.sleep(0.1)  # the next attempt; connecting fails at once until it listens

    def stop(self) -> None:
        """SIGTERM (the server shuts down its apps), then SIGKILL whatever is left of the group."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=TIMEOUT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=TIMEOUT)


Serve = Callable[..., Served]


@pytest.fixture
def sample_db(db_path: Path) -> Path:
    with Repository.open(db_path) as repo:
        ingest.import_items(repo, SAMPLE)
    return db_path


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(db, "--host", …) starts the server on a free port; every one is killed at the end."""
    started: list[Served] = []

    def start(db: Path, *args: str) -> Served:
        served = Served(db, free_port(), *args)
        started.append(served)
        return served

    try:
        yield start
    finally:
        for served in started:
            served.stop()


def refused(db: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `serve` expecting a refusal; a subprocess with a timeout, so a regression can't hang."""
    port = free_port()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui_annotate",
            "--db",
            str(db),
            "serve",
            "--rubric",
            RUBRIC,
            "--port",
            str(port),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return done, port


# -- refusals -------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_loopback_names(host: str) -> None:
    assert is_loopback(host.strip("[]"))


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.5", "example.com", "127.0.0.1.nip.io"]
)
def test_names_other_machines_reach_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.com"])
def test_a_non_loopback_host_is_refused_without_allow_remote(sample_db: Path, host: str) -> None:
    done, port = refused(sample_db, "--host", host)
    assert done.returncode == 2, done
    assert host in done.stderr and "--allow-remote" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not listening(port)


def test_a_missing_database_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    done, port = refused(missing)
    assert done.returncode == 2, done
    assert f"no database at {missing} (import items first, or pass --db)" in done.stderr
    assert not missing.exists()
    assert not listening(port)


def test_an_unknown_rubric_is_refused_before_serving(sample_db: Path) -> None:
    port = free_port()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui_annotate",
            "--db",
            str(sample_db),
            "serve",
            "--rubric",
            "no-such-rubric",
            "--port",
            str(port),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 2, done
    assert "no-such-rubric" in done.stderr
    assert not listening(port)


# -- serving ----------------------------------------------------------------------


def test_allow_remote_serves_on_every_address_with_a_warning(sample_db: Path, serve: Serve) -> None:
    served = serve(sample_db, "--host", "0.0.0.0", "--allow-remote")
    _, page = served.wait_until_answers()
    warning = served.stderr
    assert "WARNING" in warning, served.log()
    assert "anyone who can reach" in warning and access.login_name() in warning
    assert "unencrypted" in warning
    assert "ssh -L" in warning
    # The page must not send a browser on another machine to a websocket at 0.0.0.0.
    assert "ws://0.0.0.0" not in page


async def test_the_browser_page_opens_the_app_on_this_database(
    sample_db: Path, serve: Serve
) -> None:
    served = serve(sample_db)
    content_type, page = served.wait_until_answers()
    assert content_type.startswith("text/html")
    assert "<html" in page.lower()
    assert "Ctrl+C" in served.log() and served.url in served.log()  # the URL to open is printed
    found = WEBSOCKET_URL.search(page)
    assert found, page
    assert found.group(1) == f"ws://127.0.0.1:{served.port}/ws"

    user = access.login_name()
    # As textual.js does: the size in the query, then a resize message once open.
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"{found.group(1)}?width=120&height=40", headers={"Origin": served.url}
        ) as ws,
    ):
        await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
        drawn = bytearray()
        first = await read_until(ws, drawn, ITEM_HEADER, served)
        screen = screen_text(drawn)
        assert f"{RUBRIC} " in screen and user in screen, screen[-3000:]

        # A key typed in the page rates the item: the app moves on once the label is stored.
        rated = first.group(1)
        another = re.compile(rf"on item │ (?!{re.escape(rated)}(?![\w.:-]))[A-Za-z0-9]")
        await ws.send_str(json.dumps(["stdin", "5"]))
        await read_until(ws, bytearray(), another, served)

    with Repository.open(sample_db, readonly=True) as repo:
        item = repo.item_ids_by_external([rated])[rated]
        label = repo.current_label(item, RUBRIC, user)
    assert label is not None and label.score == 5


async def test_a_page_from_another_site_cannot_open_the_app(sample_db: Path, serve: Serve) -> None:
    served = serve(sample_db)
    served.wait_until_answers()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refusal:
            await session.ws_connect(
                f"ws://127.0.0.1:{served.port}/ws", headers={"Origin": "http://evil.example"}
            )
    assert refusal.value.status == 403


async def read_until(
    ws: aiohttp.ClientWebSocketResponse, output: bytearray, pattern: re.Pattern[str], served: Served
) -> re.Match[str]:
    """Append what the app sends to OUTPUT until PATTERN shows in its text; the match."""
    deadline = time.monotonic() + TIMEOUT
    while not (found := pattern.search(screen_text(output))):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"{pattern.pattern!r} not drawn in {TIMEOUT} s; the screen so far ends:\n"
                f"{screen_text(output)[-3000:]}\n{served.log()}"
            )
        message = await ws.receive(timeout=remaining)
        if message.type == aiohttp.WSMsgType.BINARY:
            output += message.data  # terminal output; text messages are JSON (pong, open_url)
        elif message.type != aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"the websocket ended: {message!r}\n{served.log()}")
    return found
