"""The installed entry points start: `python -m tui_annotate` and the `tui-annotate` script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ("import", "annotate", "export", "status", "rubric", "demo")


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def test_python_m_help_lists_the_commands() -> None:
    done = run([sys.executable, "-m", "tui_annotate", "--help"])
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout
    for command in COMMANDS:
        assert f"  {command} " in done.stdout, f"{command} missing from --help"


def test_console_script_help() -> None:
    script = Path(sys.executable).with_name("tui-annotate")
    if not script.exists():
        pytest.skip("the tui-annotate script is not installed beside this Python")
    done = run([str(script), "--help"])
    assert done.returncode == 0, done.stderr
    assert "annotate" in done.stdout


def test_version() -> None:
    done = run([sys.executable, "-m", "tui_annotate", "--version"])
    assert done.returncode == 0, done.stderr
    assert "tui-annotate" in done.stdout
