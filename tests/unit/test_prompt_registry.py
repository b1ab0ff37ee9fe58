"""The prompt registry: semantic versions, refusals, the format-change warning, diffs, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_annotate.core import prompt_registry as registry
from tui_annotate.errors import InputError

V1 = 'Answer the question from the context.\nRespond in JSON: {"answer": "...", "sources": []}\n'


def test_semver_orders_releases_and_pre_releases() -> None:
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.0.1", "1.2.0", "2.0.0"]
    keys = [registry.semver(v) for v in order]
    assert None not in keys
    assert sorted(order, key=registry.semver) == order  # type: ignore[arg-type]
    for bad in ("1.0", "v1.0.0", "01.0.0", "1.0.0.0", ""):
        assert registry.semver(bad) is None, bad
    assert registry.bump_kind("1.2.3", "2.0.0") == "major"
    assert registry.bump_kind("1.2.3", "1.3.0") == "minor"
    assert registry.bump_kind("1.2.3", "1.2.4") == "patch"


def test_add_round_trips_and_refuses_bad_versions(tmp_path: Path) -> None:
    registry.add("qa", "1.0.0", V1, notes="first", directory=tmp_path)
    tricky = "It's a prompt with ''' and a trailing quote'"
    registry.add("qa", "1.1.0", tricky, directory=tmp_path)
    p = registry.load(tmp_path / "qa.toml")
    assert [(v.version, v.text, v.notes) for v in p.versions] == [
        ("1.0.0", V1, "first"),
        ("1.1.0", tricky, ""),
    ]
    with pytest.raises(InputError, match="not a semantic version"):
        registry.add("qa", "1.2", V1, directory=tmp_path)
    with pytest.raises(InputError, match=r"already has version 1\.0\.0"):
        registry.add("qa", "1.0.0", V1, directory=tmp_path)
    with pytest.raises(InputError, match=r"not greater than the last version, 1\.1\.0"):
        registry.add("qa", "1.0.5", V1, directory=tmp_path)
    with pytest.raises(InputError, match="prompt name"):
        registry.add("../evil", "1.0.0", V1, directory=tmp_path)
    assert len(registry.load(tmp_path / "qa.toml").versions) == 2


def test_a_format_change_on_a_small_bump_is_warned_about(tmp_path: Path) -> None:
    registry.add("qa", "1.0.0", V1, directory=tmp_path)
    wording = V1.replace("Answer the question", "Answer the user's question")
    assert registry.add("qa", "1.0.1", wording, directory=tmp_path).warnings == ()
    keys = wording.replace('"sources"', '"citations"')
    [warning] = registry.add("qa", "1.1.0", keys, directory=tmp_path).warnings
    assert "JSON keys: -'sources', +'citations'" in warning and "minor bump" in warning
    plain = "Answer the question from the context.\nAnswer in one sentence.\n"
    assert registry.add("qa", "2.0.0", plain, directory=tmp_path).warnings == ()
    heading = plain + "\n## Sources\n"
    [warning] = registry.add("qa", "2.0.1", heading, directory=tmp_path).warnings
    assert "headings: +'## sources'" in warning


def test_format_signature_is_concrete() -> None:
    sig = registry.format_signature(V1 + "\n# Answer\nReturn a list of bullets.\n")
    assert sig["json_keys"] == {"answer", "sources"}
    assert sig["headings"] == {"# answer"}
    assert sig["instructions"] == {"respond in json", "return a list"}


def test_diff_and_a_bad_file(tmp_path: Path) -> None:
    registry.add("qa", "1.0.0", V1, directory=tmp_path)
    registry.add("qa", "1.0.1", V1 + "Be brief.\n", directory=tmp_path)
    text = registry.diff(registry.load(tmp_path / "qa.toml"), "1.0.0", "1.0.1")
    assert "--- qa@1.0.0" in text and "+Be brief." in text
    broken = tmp_path / "broken.toml"
    broken.write_text('[[versions]]\nversion = "one"\ntext = "x"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        registry.load(broken)
    assert "broken.toml" in err.value.format() and "versions[0].version" in err.value.format()
