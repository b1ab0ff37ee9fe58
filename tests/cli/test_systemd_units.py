"""The README's systemd units for the two followers: each starts a command line the CLI
accepts, and counts the exit a SIGTERM stop gives (143) as success, so a `systemctl stop`
is not logged as a failure and `Restart=on-failure` does not start it again."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from tui_annotate.cli.group import main
from tui_annotate.cli.stopping import TERMINATED

README = Path(__file__).resolve().parents[2] / "README.md"


def units() -> dict[str, dict[str, str]]:
    """{unit file name: {key: value}} of the ini blocks README names /etc/systemd/system/X."""
    found: dict[str, dict[str, str]] = {}
    for block in re.findall(r"```ini\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        name = re.search(r"# /etc/systemd/system/(\S+)", block)
        if name is None:
            continue
        text = re.sub(r"\\\n\s*", " ", block)  # systemd's line continuation
        keys = dict(
            line.strip().split("=", 1) for line in text.splitlines() if "=" in line.split("#")[0]
        )
        found[name.group(1)] = keys
    return found


def tui_annotate_args(exec_start: str) -> list[str]:
    """The arguments after the tui-annotate binary in EXEC_START (through `sh -c '…'` too)."""
    argv = shlex.split(exec_start)
    if argv[:2] == ["/bin/sh", "-c"]:
        argv = shlex.split(argv[2])
    at = next(i for i, a in enumerate(argv) if a.endswith("/tui-annotate"))
    return argv[at + 1 :]


def test_the_readme_has_a_unit_for_each_follower() -> None:
    found = units()
    assert set(found) == {"tui-annotate-follow.service", "tui-annotate-judge.service"}
    commands = {n: tui_annotate_args(u["ExecStart"]) for n, u in found.items()}
    assert "--follow" in commands["tui-annotate-follow.service"]
    assert commands["tui-annotate-follow.service"][2] == "import"
    assert commands["tui-annotate-judge.service"][2:4] == ["judge", "--follow"]


@pytest.mark.parametrize("name", ["tui-annotate-follow.service", "tui-annotate-judge.service"])
def test_a_unit_runs_a_command_line_the_cli_accepts(name: str) -> None:
    unit = units()[name]
    assert unit["SuccessExitStatus"] == str(TERMINATED) == "143"
    assert unit["Restart"] == "on-failure"
    assert unit.get("KillSignal", "SIGTERM") == "SIGTERM"
    args = tui_annotate_args(unit["ExecStart"])
    ctx = click.Context(main)
    at = next(i for i, a in enumerate(args) if a in main.list_commands(ctx))
    assert args[:at] == ["--db", "/srv/annotate/annotations.db"]
    sub = main.get_command(ctx, args[at])
    assert sub is not None
    try:
        sub.make_context(args[at], args[at + 1 :], parent=ctx)
    except click.UsageError as exc:  # an option the command does not have
        pytest.fail(f"{name}: {exc.format_message()}")
