"""Rubrics: the shipped ones meet the spec, broken ones fail naming file, field and reason."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tui_annotate.core.models import Rubric
from tui_annotate.core.rubric import (
    RESERVED_KEYS,
    SEMVER,
    find_rubric,
    load_rubric,
    parse_rubric,
    search_path,
    shipped_rubrics_dir,
)
from tui_annotate.errors import NotFound, RubricError

SHIPPED = ("helpfulness", "faithfulness", "safety")

# -- a tiny TOML writer, so each broken rubric is one readable edit of a good one ----------


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(v)


def dump(data: dict[str, Any]) -> str:
    """Top-level scalars first, then arrays of tables ([[scale]], [[tags]], [[examples]])."""
    lines: list[str] = []
    tables: list[tuple[str, list[dict[str, Any]]]] = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for key, entries in tables:
        for entry in entries:
            lines.append("")
            lines.append(f"[[{key}]]")
            lines.extend(f"{k} = {_value(v)}" for k, v in entry.items())
    return "\n".join(lines) + "\n"


GOOD: dict[str, Any] = {
    "name": "tone",
    "version": "1.2.0",
    "title": "Tone",
    "question": "Is the reply polite?",
    "pass_threshold": 2,
    "scale": [
        {"value": 3, "label": "Polite", "description": "Warm and respectful throughout."},
        {"value": 2, "label": "Neutral", "description": "Neither warm nor rude."},
        {"value": 1, "label": "Rude", "description": "Dismissive or insulting."},
    ],
    "tags": [
        {"name": "rude", "key": "r", "description": "Insults the customer."},
        {"name": "curt", "key": "k", "description": "Too short to be kind."},
    ],
    "examples": [
        {"kind": "positive", "output": "Happy to help!", "score": 3, "rationale": "Warm."},
        {
            "kind": "negative",
            "output": "Read the FAQ.",
            "score": 1,
            "rationale": "Dismissive.",
            "tags": ["rude"],
        },
        {
            "kind": "edge",
            "output": "Done.",
            "score": 2,
            "rationale": "Short, not rude.",
            "tags": ["curt"],
        },
    ],
}

FILE = "rubrics/tone.toml"


def edited(edit: Callable[[dict[str, Any]], None]) -> str:
    data = copy.deepcopy(GOOD)
    edit(data)
    return dump(data)


def test_the_good_rubric_parses() -> None:
    """The base every broken case edits must itself be valid, or the cases prove nothing."""
    rubric = parse_rubric(dump(GOOD), FILE)
    assert rubric.name == "tone"
    assert rubric.version == "1.2.0"
    assert rubric.values == (3, 2, 1)
    assert [level.key for level in rubric.scale] == ["3", "2", "1"]  # key defaults to the value
    assert rubric.pass_threshold == 2
    assert [t.name for t in rubric.tags] == ["rude", "curt"]
    assert [e.kind for e in rubric.examples] == ["positive", "negative", "edge"]
    assert rubric.examples[1].tags == ("rude",)
    assert rubric.path == FILE
    assert rubric.verdict(2) == "PASS"
    assert rubric.verdict(1) == "FAIL"


def test_judge_instructions_are_optional_and_kept() -> None:
    assert parse_rubric(dump(GOOD), FILE).judge_instructions == ""
    text = dump({**GOOD, "judge_instructions": "  You grade the tone of emails.  "})
    assert parse_rubric(text, FILE).judge_instructions == "You grade the tone of emails."


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets data[a][i][b] = value for path 'a.i.b'."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return edit


def _del(path: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return edit


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    # (id, edit, field named in the error, phrase of the reason)
    ("missing-name", _del("name"), "name", "is required"),
    ("empty-name", _set("name", ""), "name", "must not be empty"),
    ("name-not-a-slug", _set("name", "Tone Rubric"), "name", "lowercase"),
    ("name-wrong-type", _set("name", 5), "name", "must be a string"),
    ("missing-version", _del("version"), "version", "is required"),
    ("bad-semver-two-parts", _set("version", "1.0"), "version", "semantic version"),
    ("bad-semver-v-prefix", _set("version", "v1.0.0"), "version", "semantic version"),
    ("version-as-number", _set("version", 1.0), "version", "must be a string"),
    ("missing-question", _del("question"), "question", "is required"),
    ("blank-question", _set("question", "   "), "question", "holds only white space"),
    ("unknown-top-level-key", _set("colour", "blue"), "colour", "unknown key"),
    ("unknown-level", _set("level", "likert"), "level", "must be one of"),
    ("unknown-key-in-scale", _set("scale.1.emoji", ":)"), "scale[1].emoji", "unknown key"),
    ("duplicate-scale-value", _set("scale.1.value", 3), "scale[1].value", "appears twice"),
    (
        "duplicate-scale-key",
        lambda d: (d["scale"][0].update(key="a"), d["scale"][1].update(key="a")),
        "scale[1].key",
        "bound to two points",
    ),
    ("reserved-key-q", _set("scale.0.key", "q"), "scale[0].key", "used by the app"),
    ("reserved-key-u", _set("scale.2.key", "u"), "scale[2].key", "used by the app"),
    ("multi-char-key", _set("scale.0.key", "ab"), "scale[0].key", "single key"),
    ("scale-value-wrong-type", _set("scale.0.value", "3"), "scale[0].value", "must be an integer"),
    ("scale-value-bool", _set("scale.0.value", True), "scale[0].value", "must be an integer"),
    ("scale-missing-value", _del("scale.2.value"), "scale[2].value", "is required"),
    ("empty-anchor", _set("scale.2.description", ""), "scale[2].description", "must not be empty"),
    ("missing-anchor", _del("scale.1.description"), "scale[1].description", "is required"),
    ("missing-point-label", _del("scale.0.label"), "scale[0].label", "is required"),
    (
        "scale-with-one-point",
        lambda d: d.update(scale=d["scale"][:1], pass_threshold=3, examples=d["examples"][:1]),
        "scale",
        "at least two",
    ),
    ("no-scale", _del("scale"), "scale", "at least two"),
    ("scale-not-tables", _set("scale", 5), "scale", "array of tables"),
    ("missing-pass-threshold", _del("pass_threshold"), "pass_threshold", "is required"),
    ("pass-threshold-off-scale", _set("pass_threshold", 7), "pass_threshold", "not a value on"),
    (
        "pass-threshold-lowest",
        _set("pass_threshold", 1),
        "pass_threshold",
        "every score would PASS",
    ),
    ("pass-threshold-string", _set("pass_threshold", "2"), "pass_threshold", "must be an integer"),
    (
        "judge-instructions-not-a-string",
        _set("judge_instructions", ["be strict"]),
        "judge_instructions",
        "must be a string",
    ),
    ("tag-key-clash", _set("tags.1.key", "r"), "tags[1].key", "bound to two tags"),
    ("tag-name-twice", _set("tags.1.name", "rude"), "tags[1].name", "appears twice"),
    ("tag-missing-key", _del("tags.0.key"), "tags[0].key", "is required"),
    ("tag-key-blank", _set("tags.0.key", " "), "tags[0].key", "is blank: ' ' holds only white"),
    ("tag-name-not-a-slug", _set("tags.0.name", "Rude!"), "tags[0].name", "lowercase"),
    ("unknown-key-in-tag", _set("tags.0.color", "red"), "tags[0].color", "unknown key"),
    ("tags-not-tables", _set("tags", "rude"), "tags", "array of tables"),
    (
        "example-score-off-scale",
        _set("examples.0.score", 9),
        "examples[0].score",
        "not on the scale",
    ),
    ("example-unknown-tag", _set("examples.1.tags", ["snarky"]), "examples[1].tags", "unknown tag"),
    ("example-tags-not-list", _set("examples.1.tags", "rude"), "examples[1].tags", "list of tag"),
    (
        "example-kind-neutral",
        _set("examples.2.kind", "neutral"),
        "examples[2].kind",
        "must be one of",
    ),
    (
        "example-missing-rationale",
        _del("examples.0.rationale"),
        "examples[0].rationale",
        "is required",
    ),
    ("example-missing-output", _del("examples.0.output"), "examples[0].output", "is required"),
    (
        "example-score-wrong-type",
        _set("examples.0.score", "3"),
        "examples[0].score",
        "must be an integer",
    ),
    (
        "unknown-key-in-example",
        _set("examples.0.verdict", "PASS"),
        "examples[0].verdict",
        "unknown key",
    ),
]


@pytest.mark.parametrize(
    ("edit", "field", "phrase"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_rubric_names_file_field_and_reason(
    edit: Callable[[dict[str, Any]], None], field: str, phrase: str
) -> None:
    with pytest.raises(RubricError) as info:
        parse_rubric(edited(edit), FILE)
    exc = info.value
    assert exc.file == FILE
    assert exc.field == field
    assert phrase in exc.reason
    message = str(exc)
    assert message.startswith(FILE)
    assert f"'{field}'" in message
    assert phrase in message


def test_toml_syntax_error_reports_the_line() -> None:
    text = 'name = "tone"\nversion = "1.0.0"\nquestion = "ok?"\npass_threshold = = 2\n'
    with pytest.raises(RubricError) as info:
        parse_rubric(text, FILE)
    assert info.value.file == FILE
    assert info.value.line == 4
    assert "not valid TOML" in info.value.reason
    assert str(info.value).startswith(f"{FILE}:4: ")


def test_field_error_points_at_the_line_of_the_key() -> None:
    text = dump({**GOOD, "pass_threshold": 9})
    line = text.splitlines().index("pass_threshold = 9") + 1
    with pytest.raises(RubricError) as info:
        parse_rubric(text, FILE)
    assert info.value.line == line


def test_a_ten_point_scale_is_told_to_give_ten_a_key() -> None:
    """Keys default to the value; 10 has two characters, so the error says what to write."""
    points = [{"value": v, "label": f"p{v}", "description": f"point {v}"} for v in range(1, 11)]
    text = dump({**GOOD, "scale": points, "pass_threshold": 6, "examples": []})
    with pytest.raises(RubricError) as info:
        parse_rubric(text, FILE)
    assert info.value.field == "scale[9].key"
    assert 'add key = "0"' in info.value.reason
    header = [n for n, line in enumerate(text.splitlines(), 1) if line == "[[scale]]"][9]
    assert info.value.line == header  # the tenth [[scale]], where the key goes


def test_a_duplicate_point_is_reported_at_the_duplicate() -> None:
    """Not at the first [[scale]]: at the value line of the table that repeats it."""
    text = edited(_set("scale.2.value", 3))
    with pytest.raises(RubricError) as info:
        parse_rubric(text, FILE)
    lines = text.splitlines()
    third = [n for n, line in enumerate(lines) if line == "[[scale]]"][2]
    assert info.value.line == third + 2  # 1-based: the line after the header
    assert lines[info.value.line - 1] == "value = 3"
    assert info.value.field == "scale[2].value"


# -- the shipped rubrics -------------------------------------------------------------------


def shipped(name: str) -> Rubric:
    return load_rubric(shipped_rubrics_dir() / f"{name}.toml")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_rubric_is_complete(name: str) -> None:
    rubric = shipped(name)
    assert rubric.name == name
    assert SEMVER.match(rubric.version)
    assert rubric.question.strip()
    for level in rubric.scale:
        assert level.label.strip(), f"{name}: point {level.value} has no label"
        assert len(level.description.strip()) >= 20, f"{name}: point {level.value} has no anchor"
        assert level.key not in RESERVED_KEYS
    assert 3 <= len(rubric.tags) <= 6
    for tag in rubric.tags:
        assert tag.description.strip(), f"{name}: tag {tag.name} has no description"
    assert len(rubric.examples) >= 3
    assert {"positive", "negative", "edge"} <= {e.kind for e in rubric.examples}
    for example in rubric.examples:
        assert example.score in rubric.values
        assert example.rationale.strip()
        assert example.output.strip()


@pytest.mark.parametrize("name", ["helpfulness", "faithfulness"])
def test_five_point_rubrics_pass_at_four(name: str) -> None:
    rubric = shipped(name)
    assert sorted(rubric.values) == [1, 2, 3, 4, 5]
    assert rubric.level == "ordinal"
    assert rubric.pass_threshold == 4
    assert [rubric.verdict(v) for v in (1, 2, 3, 4, 5)] == ["FAIL", "FAIL", "FAIL", "PASS", "PASS"]
    assert {level.key for level in rubric.scale} == {"1", "2", "3", "4", "5"}


def test_faithfulness_runs_from_aligned_to_hallucinated() -> None:
    rubric = shipped("faithfulness")
    top, bottom = rubric.level_for(5), rubric.level_for(1)
    assert top is not None and bottom is not None
    assert top.label.lower() == "aligned"
    assert "misaligned" in bottom.label.lower()
    assert "hallucinat" in bottom.description.lower()


def test_safety_is_pass_fail() -> None:
    rubric = shipped("safety")
    assert len(rubric.scale) == 2
    best, worst = max(rubric.values), min(rubric.values)
    assert rubric.verdict(best) == "PASS"
    assert rubric.verdict(worst) == "FAIL"
    assert rubric.level_for(best).label.upper() == "PASS"  # type: ignore[union-attr]
    assert rubric.level_for(worst).label.upper() == "FAIL"  # type: ignore[union-attr]


def test_shipped_directory_holds_the_three() -> None:
    names = {p.stem for p in shipped_rubrics_dir().glob("*.toml")}
    assert set(SHIPPED) <= names


# -- loading files --------------------------------------------------------------------------


def test_load_rubric_on_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "tone.toml"
    folder.mkdir()
    with pytest.raises(RubricError) as info:
        load_rubric(folder)
    assert info.value.file == str(folder)
    assert "directory" in info.value.reason


def test_load_rubric_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "tone.toml"
    path.write_bytes(b'name = "tone"\nversion = "1.0.0"\nquestion = "caf\xe9?"\n')
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.file == str(path)
    assert info.value.line == 3
    assert "UTF-8" in info.value.reason


def test_load_rubric_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.file == str(path)


def test_load_rubric_sets_path(tmp_path: Path) -> None:
    path = tmp_path / "tone.toml"
    path.write_text(dump(GOOD), "utf-8")
    assert load_rubric(path).path == str(path)


# -- finding rubrics by name ------------------------------------------------------------------


def _write(folder: Path, name: str, version: str, declared: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(dump({**GOOD, "name": declared or name, "version": version}), "utf-8")
    return path


def test_shipped_found_when_nothing_shadows(tmp_path: Path) -> None:
    # conftest chdirs into tmp_path, which has no ./rubrics
    rubric = find_rubric("helpfulness", search_path())
    assert rubric.path == str(shipped_rubrics_dir() / "helpfulness.toml")


def test_local_rubrics_dir_shadows_shipped(tmp_path: Path) -> None:
    _write(tmp_path / "rubrics", "helpfulness", "9.0.0")
    rubric = find_rubric("helpfulness", search_path())
    assert rubric.version == "9.0.0"
    # the others still come from the shipped directory
    assert find_rubric("safety", search_path()).path == str(shipped_rubrics_dir() / "safety.toml")


def test_rubrics_option_shadows_local_dir(tmp_path: Path) -> None:
    _write(tmp_path / "rubrics", "helpfulness", "9.0.0")
    extra = _write(tmp_path / "team", "helpfulness", "8.0.0").parent
    rubric = find_rubric("helpfulness", search_path(extra))
    assert rubric.version == "8.0.0"
    assert search_path(extra)[:2] == [extra, tmp_path / "rubrics"]


def test_search_path_with_explicit_cwd(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    _write(other / "rubrics", "tone", "1.0.0")
    assert find_rubric("tone", search_path(cwd=other)).version == "1.0.0"
    with pytest.raises(NotFound):
        find_rubric("tone", search_path())


def test_unknown_rubric_lists_the_known_ones(tmp_path: Path) -> None:
    _write(tmp_path / "rubrics", "tone", "1.0.0")
    with pytest.raises(NotFound) as info:
        find_rubric("helpfulnes", search_path())
    message = str(info.value)
    assert "'helpfulnes'" in message
    listed = re.search(r"known: ([^;)]*)", message)
    assert listed is not None, message
    assert set(listed.group(1).split(", ")) >= {*SHIPPED, "tone"}


def test_file_name_and_declared_name_must_agree(tmp_path: Path) -> None:
    path = _write(tmp_path / "rubrics", "tone", "1.0.0", declared="politeness")
    with pytest.raises(RubricError) as info:
        find_rubric("tone", search_path())
    assert info.value.file == str(path)
    assert info.value.field == "name"
    assert "politeness" in info.value.reason


def test_find_rubric_by_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "drafts", "tone", "2.0.0")
    assert find_rubric(str(path), []).version == "2.0.0"


def test_a_broken_rubric_in_the_search_path_fails_loudly(tmp_path: Path) -> None:
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / "tone.toml").write_text(edited(_set("pass_threshold", 1)), "utf-8")
    with pytest.raises(RubricError) as info:
        find_rubric("tone", search_path())
    assert info.value.field == "pass_threshold"
    assert info.value.file == str(folder / "tone.toml")


def test_direction_defaults_to_higher() -> None:
    rubric = parse_rubric(dump(GOOD), FILE)
    assert rubric.direction == "higher"
    assert rubric.pass_rule == "PASS at 2+"


def test_a_lower_direction_passes_low_scores() -> None:
    """Toxicity-like rubrics: a low score is good, PASS at score <= threshold."""
    rubric = parse_rubric(edited(_set("direction", "lower")), FILE)
    assert rubric.direction == "lower"
    assert [rubric.verdict(v) for v in (1, 2, 3)] == ["PASS", "PASS", "FAIL"]
    assert rubric.pass_rule == "PASS at 2 or less"


def test_a_bad_direction_names_the_key_and_line() -> None:
    with pytest.raises(RubricError) as info:
        parse_rubric(edited(_set("direction", "down")), FILE)
    message = str(info.value)
    assert "direction" in message and "higher, lower" in message and FILE in message


def test_lower_with_the_top_threshold_would_pass_everything() -> None:
    edit = _set("direction", "lower")
    with pytest.raises(RubricError, match="every score would PASS"):
        parse_rubric(edited(lambda d: (edit(d), _set("pass_threshold", 3)(d))), FILE)
    # The same threshold is fine the usual way round.
    assert parse_rubric(edited(_set("pass_threshold", 3)), FILE).pass_threshold == 3


def test_pairwise_question_is_optional_and_kept() -> None:
    assert parse_rubric(dump(GOOD), FILE).pairwise_question == ""
    text = edited(_set("pairwise_question", " Which reply is kinder? "))
    assert parse_rubric(text, FILE).pairwise_question == "Which reply is kinder?"
