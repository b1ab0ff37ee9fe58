"""Settings precedence: defaults < ./tui-annotate.toml < TUI_ANNOTATE_* env, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_annotate import config
from tui_annotate.config import CONFIG_FILE, Settings
from tui_annotate.errors import InputError


def write(folder: Path, text: str) -> Path:
    path = folder / CONFIG_FILE
    path.write_text(text, "utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = config.load(tmp_path, {})
    assert settings == Settings()
    assert (settings.db, settings.rubrics, settings.overlap, settings.show_prompt_version) == (
        "annotations.db",
        "",
        1,
        False,
    )


def test_file_overrides_defaults(tmp_path: Path) -> None:
    write(tmp_path, 'db = "team.db"\noverlap = 3\nshow_prompt_version = true\nrubrics = "rb"\n')
    assert config.load(tmp_path, {}) == Settings(
        db="team.db", rubrics="rb", overlap=3, show_prompt_version=True
    )


def test_file_sets_only_what_it_names(tmp_path: Path) -> None:
    write(tmp_path, "overlap = 2\n")
    assert config.load(tmp_path, {}) == Settings(overlap=2)


def test_env_overrides_file(tmp_path: Path) -> None:
    write(tmp_path, 'db = "team.db"\noverlap = 3\nshow_prompt_version = true\n')
    env = {
        "TUI_ANNOTATE_DB": "mine.db",
        "TUI_ANNOTATE_OVERLAP": "5",
        "TUI_ANNOTATE_SHOW_PROMPT_VERSION": "no",
    }
    assert config.load(tmp_path, env) == Settings(
        db="mine.db", overlap=5, show_prompt_version=False
    )


def test_env_overrides_defaults_without_a_file(tmp_path: Path) -> None:
    assert config.load(tmp_path, {"TUI_ANNOTATE_RUBRICS": "/srv/rubrics"}).rubrics == "/srv/rubrics"


def test_empty_env_value_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "overlap = 3\n")
    assert config.load(tmp_path, {"TUI_ANNOTATE_OVERLAP": ""}).overlap == 3


def test_unrelated_env_is_ignored(tmp_path: Path) -> None:
    assert config.load(tmp_path, {"TUI_ANNOTATE_COLOUR": "red", "OVERLAP": "9"}) == Settings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_env_booleans(tmp_path: Path, text: str, expected: bool) -> None:
    env = {"TUI_ANNOTATE_SHOW_PROMPT_VERSION": text}
    assert config.load(tmp_path, env).show_prompt_version is expected


def test_load_reads_cwd_and_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "overlap = 4\n")  # conftest has chdir'd into tmp_path
    monkeypatch.setenv("TUI_ANNOTATE_DB", "env.db")
    assert config.load() == Settings(db="env.db", overlap=4)


BAD_FILE = [
    # (id, file text, field, phrase)
    ("overlap-not-a-number", 'overlap = "many"\n', "overlap", "whole number"),
    ("overlap-zero", "overlap = 0\n", "overlap", "at least 1"),
    ("overlap-negative", "overlap = -2\n", "overlap", "at least 1"),
    ("overlap-bool", "overlap = true\n", "overlap", ""),
    ("overlap-fraction", "overlap = 2.5\n", "overlap", ""),
    ("bool-not-a-bool", 'show_prompt_version = "maybe"\n', "show_prompt_version", "true or false"),
    ("unknown-setting", "colour = 1\n", "colour", "unknown setting"),
    ("a-table", "[annotate]\noverlap = 2\n", "annotate", "unknown setting"),
]


@pytest.mark.parametrize(
    ("text", "field", "phrase"), [c[1:] for c in BAD_FILE], ids=[c[0] for c in BAD_FILE]
)
def test_bad_file_value_names_file_and_field(
    tmp_path: Path, text: str, field: str, phrase: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        config.load(tmp_path, {})
    assert info.value.file == str(path)
    assert info.value.field == field
    assert phrase in info.value.reason
    assert str(info.value).startswith(f"{path}: field '{field}': ")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "overlap = = 2\n")
    with pytest.raises(InputError) as info:
        config.load(tmp_path, {})
    assert info.value.file == str(path)
    assert "TOML" in info.value.reason


def test_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_bytes(b'db = "caf\xe9.db"\n')
    with pytest.raises(InputError) as info:
        config.load(tmp_path, {})
    assert info.value.file == str(path)


BAD_ENV = [
    ("TUI_ANNOTATE_OVERLAP", "abc", "overlap", "whole number"),
    ("TUI_ANNOTATE_OVERLAP", "2.5", "overlap", "whole number"),
    ("TUI_ANNOTATE_OVERLAP", "0", "overlap", "at least 1"),
    ("TUI_ANNOTATE_SHOW_PROMPT_VERSION", "perhaps", "show_prompt_version", "true or false"),
]


@pytest.mark.parametrize(("variable", "value", "field", "phrase"), BAD_ENV)
def test_bad_env_value_names_variable_and_field(
    tmp_path: Path, variable: str, value: str, field: str, phrase: str
) -> None:
    with pytest.raises(InputError) as info:
        config.load(tmp_path, {variable: value})
    assert info.value.file == variable
    assert info.value.field == field
    assert phrase in info.value.reason
    assert str(info.value).startswith(f"{variable}: field '{field}': ")


def test_bad_env_value_wins_over_a_good_file(tmp_path: Path) -> None:
    write(tmp_path, "overlap = 2\n")
    with pytest.raises(InputError) as info:
        config.load(tmp_path, {"TUI_ANNOTATE_OVERLAP": "lots"})
    assert info.value.file == "TUI_ANNOTATE_OVERLAP"


def test_team_settings_from_the_file(tmp_path: Path) -> None:
    write(tmp_path, 'leads = ["ana", " bo "]\nannotators_from_login = true\nlease_seconds = 90\n')
    settings = config.load(tmp_path, {})
    assert settings.leads == ("ana", "bo")
    assert settings.annotators_from_login is True
    assert settings.lease_seconds == 90


def test_who_may_do_what_is_not_set_from_the_environment(tmp_path: Path) -> None:
    write(tmp_path, 'leads = ["ana"]\nannotators_from_login = true\n')
    env = {
        "TUI_ANNOTATE_LEADS": "mallory",
        "TUI_ANNOTATE_ANNOTATORS_FROM_LOGIN": "false",
        "TUI_ANNOTATE_LEASE_SECONDS": "5",
    }
    settings = config.load(tmp_path, env)
    assert (settings.leads, settings.annotators_from_login) == (("ana",), True)
    assert settings.lease_seconds == 5  # an operational knob, fine to set per process


@pytest.mark.parametrize("text", ["leads = [1, 2]\n", "leads = 3\n", 'leads = [["a"]]\n'])
def test_leads_must_be_names(tmp_path: Path, text: str) -> None:
    write(tmp_path, text)
    with pytest.raises(InputError) as err:
        config.load(tmp_path, {})
    assert "field 'leads': must be a list of names" in str(err.value)
    assert CONFIG_FILE in str(err.value)
