"""`prompt add|list|show|diff` and the versions `status` finds without registry text."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run, bad, ok, write_jsonl


def test_prompt_commands(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "v1.txt").write_text('Answer briefly.\nRespond in JSON with "answer":\n')
    (tmp_path / "v2.txt").write_text('Answer briefly.\nRespond in JSON with "reply":\n')
    added = ok(cli("prompt", "add", "qa", "--version", "1.0.0", "--from", "v1.txt"))
    assert "added qa 1.0.0" in added.stdout and not added.stderr
    warned = ok(cli("prompt", "add", "qa", "--version", "1.0.1", "--from", "v2.txt"))
    assert "warning: the output format looks changed" in warned.stderr
    refused = bad(cli("prompt", "add", "qa", "--version", "1.0.1", "--from", "v2.txt"))
    assert "already has version" in refused.stderr
    assert (
        "semantic" in bad(cli("prompt", "add", "qa", "--version", "2", "--from", "v2.txt")).stderr
    )
    listed = json.loads(ok(cli("prompt", "list", "--json")).stdout)
    assert listed == {"qa": {"versions": ["1.0.0", "1.0.1"], "drafts": []}}
    shown = json.loads(ok(cli("prompt", "show", "qa", "1.0.0", "--json")).stdout)
    assert shown["text"].startswith("Answer briefly.")
    assert 'Respond in JSON with "reply":' in ok(cli("prompt", "show", "qa")).stdout
    diff = ok(cli("prompt", "diff", "qa", "1.0.0", "1.0.1"))
    assert '+Respond in JSON with "reply":' in diff.stdout
    assert "output format: JSON keys" in diff.stderr
    assert "no version '9.9.9'" in bad(cli("prompt", "show", "qa", "9.9.9")).stderr
    assert "no prompt 'nope'" in bad(cli("prompt", "show", "nope")).stderr


def test_status_lists_versions_without_registry_text(cli: Run, tmp_path: Path) -> None:
    items = [
        {"id": "a", "output": "x", "prompt": "qa", "prompt_version": "1.0.0"},
        {"id": "b", "output": "y", "prompt": "qa", "prompt_version": "1.1.0"},
        {"id": "c", "output": "z", "prompt": "other", "prompt_version": "0.1.0"},
    ]
    ok(cli("import", str(write_jsonl(tmp_path / "items.jsonl", items))))
    # No registry: nothing to nag about.
    assert json.loads(ok(cli("status", "--json")).stdout)["unregistered_prompt_versions"] == []
    (tmp_path / "v1.txt").write_text("Answer.\n")
    ok(cli("prompt", "add", "qa", "--version", "1.0.0", "--from", "v1.txt"))
    data = json.loads(ok(cli("status", "--json")).stdout)
    assert data["unregistered_prompt_versions"] == [
        {"prompt": "other", "version": "0.1.0", "items": 1},
        {"prompt": "qa", "version": "1.1.0", "items": 1},
    ]
    assert "qa 1.1.0 (1 items)" in ok(cli("status")).stdout
