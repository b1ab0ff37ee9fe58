"""Real third-party OpenAI-compatible servers, started on 127.0.0.1 for the judge tests.

They come from PyPI (pyproject's `test-servers` group) and live in their own virtualenv,
.cache/servers, which `make test` builds: litellm[proxy] pins a rich that Textual can't run
on, so they can't share ours. Each runs as a subprocess on a free port, is polled until it
answers, and is killed (by its own pid) when the test module is done. Nothing leaves the
machine: LiteLLM is told to use its bundled cost map and to send no telemetry.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVERS_BIN = ROOT / ".cache" / "servers" / "bin"
#: Starting a server on a busy 2-core machine takes a while (LiteLLM imports a lot).
START_SECONDS = 240.0

#: No network: LiteLLM's bundled model cost map, no telemetry, no update checks.
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
    "LITELLM_DONT_SHOW_FEEDBACK_BOX": "true",
    "HF_HUB_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "PYTHONUNBUFFERED": "1",
    "NO_PROXY": "127.0.0.1,localhost",
}


def server_python() -> Path:
    """The test servers' interpreter; a clear failure (never a skip) when it isn't installed."""
    python = SERVERS_BIN / "python"
    if not python.exists():
        raise AssertionError(
            f"{python} is missing: run `make test` (or `make servers`), which installs the "
            "test servers (LiteLLM's proxy, llama-cpp-python) into .cache/servers"
        )
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """A started server: its base URL, its process and the file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def count(self, needle: str) -> int:
        return self.output().count(needle)

    def wait_for_count(self, needle: str, at_least: int, seconds: float = 20.0) -> int:
        """NEEDLE's count in the output once it reaches AT_LEAST (log lines trail replies)."""
        deadline = time.monotonic() + seconds
        while (n := self.count(needle)) < at_least and time.monotonic() < deadline:
            time.sleep(0.05)
        return n


@contextlib.contextmanager
def start(
    args: Sequence[str],
    *,
    port: int,
    log: Path,
    ready_path: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[Running]:
    """Run ARGS (a server on PORT) until READY_PATH answers 200; kill it afterwards."""
    full_env = {**os.environ, **OFFLINE_ENV, **(env or {})}
    full_env.pop("OPENAI_API_KEY", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(args),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    running = Running(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(running, ready_path)
        yield running
    finally:
        process.kill()
        process.wait(timeout=30)


def _wait_ready(running: Running, path: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise AssertionError(
                f"the server exited with {running.process.returncode}:\n{running.output()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(running.url + path, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(
        f"the server did not answer within {START_SECONDS:.0f} s:\n{running.output()[-4000:]}"
    )


def executable(name: str) -> str:
    """A console script of the test servers' virtualenv, or its interpreter for `-m`."""
    path = SERVERS_BIN / name
    if not path.exists():
        server_python()  # the clear message
        raise AssertionError(f"{path} is missing")
    return str(path)


__all__ = ["Running", "executable", "free_port", "server_python", "start"]
