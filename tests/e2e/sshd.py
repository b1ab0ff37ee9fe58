"""A real OpenSSH server on loopback for the end-to-end tests: one user, one key, one forced command."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"  # sshd re-executes itself, so it must be started by absolute path
PRIVSEP_DIR = Path("/run/sshd")  # Debian's privilege separation directory; sshd as root needs it
INSTALL_HINT = (
    "run `make test` or scripts/ensure-system-packages.sh (they install OpenSSH when it is "
    "missing), or install openssh-server and openssh-client "
    "(Debian: apt-get install openssh-server openssh-client)"
)


def login_name() -> str:
    """Whoever runs the tests (root in CI): the user the test logs in as."""
    return pwd.getpwuid(os.getuid()).pw_name


@dataclass
class Sshd:
    """A running sshd and what a client needs to log in to it."""

    port: int
    user: str
    key: Path
    config: Path
    log_path: Path
    proc: subprocess.Popen[bytes]
    banner: str = ""

    def client_argv(self) -> list[str]:
        """`ssh` with a pty, this server's key and port, and nothing read from the user's setup."""
        ssh = shutil.which("ssh")
        assert ssh is not None
        return [
            ssh,
            "-tt",
            "-F",
            "none",
            "-i",
            str(self.key),
            "-p",
            str(self.port),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "BatchMode=yes",
            f"{self.user}@127.0.0.1",
        ]

    def log(self) -> str:
        """What sshd has written to stderr so far (-e): put it in failure messages."""
        try:
            return self.log_path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return ""


def _require(program: str) -> str:
    found = program if os.path.isabs(program) else shutil.which(program)
    if not found or not os.access(found, os.X_OK):
        pytest.fail(f"{program} is not installed: {INSTALL_HINT}", pytrace=False)
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(
        [_require("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def _write_config(workdir: Path, port: int, force_command: str) -> Path:
    config = workdir / "sshd_config"
    lines = [
        "ListenAddress 127.0.0.1",
        f"Port {port}",
        f"HostKey {workdir / 'host_ed25519'}",
        f"PidFile {workdir / 'sshd.pid'}",
        f"AuthorizedKeysFile {workdir / 'authorized_keys'}",
        # The temp dir's modes are whatever the test runner's umask made them.
        "StrictModes no",
        "UsePAM no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "PermitUserEnvironment no",
        "DisableForwarding yes",
        "PrintMotd no",
        "PrintLastLog no",
        "LogLevel VERBOSE",
        # sshd runs this through the user's login shell, with a cleared environment.
        f"ForceCommand {force_command}",
    ]
    config.write_text("\n".join(lines) + "\n", "utf-8")
    return config


def _wait_ready(server: Sshd, timeout: float) -> None:
    """Until sshd answers on its port with an SSH banner (or exits, or the deadline passes)."""
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            raise RuntimeError(f"sshd exited ({server.proc.returncode}):\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1.0) as s:
                s.settimeout(max(1.0, deadline - time.monotonic()))
                server.banner = s.recv(256).decode("ascii", errors="replace").strip()
            if server.banner.startswith("SSH-"):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"sshd not accepting on port {server.port} after {timeout:.0f}s:\n{server.log()}"
            )
        time.sleep(0.05)  # poll interval for the port, not a wait for a result


def descendants(pid: int) -> list[int]:
    """Every live process below PID (sshd's per-connection children call setsid, so no killpg)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            # The comm field may hold spaces and parentheses: split after the last ')'.
            parents[int(entry)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill sshd and everything it started (sessions, the forced command); reap sshd."""
    for pid in descendants(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running_sshd(workdir: Path, force_command: str, *, timeout: float = 30.0) -> Iterator[Sshd]:
    """Start sshd on a free loopback port, letting only the current user in with a fresh key.

    Fails (never skips) when OpenSSH is not installed: `make test` and .ci/run install it
    first (scripts/ensure-system-packages.sh).
    """
    sshd = _require(SSHD)
    _require("ssh")
    workdir.mkdir(parents=True, exist_ok=True)
    _keygen(workdir / "host_ed25519")
    key = workdir / "user_ed25519"
    _keygen(key)
    shutil.copyfile(key.with_suffix(".pub"), workdir / "authorized_keys")
    if os.getuid() == 0:
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)

    for attempt in range(3):  # the free port can be taken between choosing and binding it
        port = _free_port()
        config = _write_config(workdir, port, force_command)
        checked = subprocess.run(
            [sshd, "-t", "-f", str(config)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if checked.returncode != 0:
            pytest.fail(
                f"sshd -t rejects {config}:\n{checked.stderr}{checked.stdout}", pytrace=False
            )
        log_path = workdir / f"sshd-{attempt}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sshd, "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Sshd(port, login_name(), key, config, log_path, proc)
        try:
            _wait_ready(server, timeout)
        except RuntimeError as exc:
            _stop(proc)
            if "Address already in use" in server.log() and attempt < 2:
                continue
            pytest.fail(str(exc), pytrace=False)
        break
    try:
        yield server
    finally:
        _stop(server.proc)
