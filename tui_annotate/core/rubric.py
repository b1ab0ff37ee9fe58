"""Load and validate rubric TOML files, with errors that name the file, the field and the fault."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from tui_annotate.core.models import (
    Direction,
    Example,
    ExampleKind,
    Level,
    Rubric,
    ScaleLevel,
    Tag,
)
from tui_annotate.errors import NotFound, RubricError

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
KINDS: tuple[ExampleKind, ...] = ("positive", "negative", "edge")
# Keys the annotation app binds itself; a rating key may not shadow them.
RESERVED_KEYS = frozenset("tcusfnpeqm?")

TOP_KEYS = {
    "name",
    "version",
    "title",
    "question",
    "level",
    "pass_threshold",
    "guidelines",
    "scale",
    "tags",
    "examples",
    "judge_instructions",
    "direction",
    "pairwise_question",
}
DIRECTIONS = ("higher", "lower")
SCALE_KEYS = {"value", "label", "description", "key"}
TAG_KEYS = {"name", "key", "description"}
EXAMPLE_KEYS = {"kind", "input", "context", "output", "score", "rationale", "tags"}


class _Check:
    """Collects the context (file) so each check reads as one line."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text

    def fail(self, field: str, reason: str) -> RubricError:
        return RubricError(reason, file=self.file, line=self._line_of(field), field=field)

    def _line_of(self, field: str) -> int | None:
        """Best-effort line of FIELD, so editors can jump to it.

        'scale[2].key' is the `key` line of the third [[scale]] table (or that
        table's header when the key is left out), not the first [[scale]].
        """
        key = field.split("[", 1)[0].split(".", 1)[0]
        table = re.match(r"^\w+\[(\d+)\](?:\.(\w+))?", field)
        if table:
            line = self._line_in_table(key, int(table.group(1)), table.group(2))
            if line is not None:
                return line
        pattern = re.compile(rf"^\s*(\[\[)?\s*{re.escape(key)}\b", re.MULTILINE)
        match = pattern.search(self.text)
        return self._line_at(match.start()) if match else None

    def _line_in_table(self, key: str, index: int, sub: str | None) -> int | None:
        headers = list(re.finditer(rf"^\s*\[\[\s*{re.escape(key)}\s*\]\]", self.text, re.M))
        if index >= len(headers):
            return None  # an inline array, say: the caller falls back to the key
        start = headers[index].start()
        after = re.compile(r"^\s*\[", re.MULTILINE).search(self.text, headers[index].end())
        end = after.start() if after else len(self.text)
        if sub:
            found = re.compile(rf"^\s*{re.escape(sub)}\s*=", re.MULTILINE).search(
                self.text, start, end
            )
            if found:
                return self._line_at(found.start())
        return self._line_at(start)

    def _line_at(self, offset: int) -> int:
        # The match may begin on the blank line before the key (\s* spans newlines).
        while offset < len(self.text) and self.text[offset] in " \t\r\n":
            offset += 1
        return self.text.count("\n", 0, offset) + 1

    def string(self, data: Mapping[str, Any], key: str, where: str, *, required: bool) -> str:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(where + key, "is required")
            return ""
        if not isinstance(value, str):
            raise self.fail(where + key, f"must be a string, not {type(value).__name__}")
        if required and not value:
            raise self.fail(where + key, "must not be empty")
        if required and not value.strip():
            raise self.fail(where + key, f"is blank: {value!r} holds only white space")
        return value

    def integer(self, data: Mapping[str, Any], key: str, where: str) -> int:
        value = data.get(key)
        if value is None:
            raise self.fail(where + key, "is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where + key, f"must be an integer, not {value!r}")
        return value

    def unknown(self, data: Mapping[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            raise self.fail(
                where + extra[0],
                f"unknown key (allowed: {', '.join(sorted(allowed))})",
            )

    def tables(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, f"must be an array of tables ([[{key}]])")
        return cast(list[Mapping[str, Any]], value)


def parse_rubric(text: str, file: str = "<rubric>", *, file_name: str | None = None) -> Rubric:
    """Parse and validate rubric TOML text; raise RubricError naming the field at fault.

    FILE_NAME is the name the rubric's file gives it (its stem): rubrics are
    found by file name, so a `name` that differs would make `list` and
    `check` show one rubric that `show` and `annotate` can't find.
    """
    check = _Check(file, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise RubricError(
            f"not valid TOML: {exc}", file=file, line=int(match.group(1)) if match else None
        ) from None
    check.unknown(data, TOP_KEYS, "")

    name = check.string(data, "name", "", required=True)
    if not SLUG.match(name):
        raise check.fail("name", f"{name!r} must be lowercase letters, digits, '-' or '_'")
    version = check.string(data, "version", "", required=True)
    if not SEMVER.match(version):
        raise check.fail("version", f"{version!r} is not a semantic version like 1.0.0")
    question = check.string(data, "question", "", required=True)
    title = check.string(data, "title", "", required=False) or name
    guidelines = check.string(data, "guidelines", "", required=False).strip()
    judge_instructions = check.string(data, "judge_instructions", "", required=False).strip()
    level = data.get("level", "ordinal")
    if level not in LEVELS:
        raise check.fail("level", f"{level!r} must be one of {', '.join(LEVELS)}")

    scale = _scale(check, data)
    values = [s.value for s in scale]
    threshold = check.integer(data, "pass_threshold", "")
    if threshold not in values:
        raise check.fail("pass_threshold", f"{threshold} is not a value on the scale {values}")
    direction = data.get("direction", "higher")
    if direction not in DIRECTIONS:
        raise check.fail(
            "direction",
            f"{direction!r} must be one of {', '.join(DIRECTIONS)} (which scores are good)",
        )
    if direction == "higher" and threshold == min(values):
        raise check.fail("pass_threshold", "every score would PASS; raise the threshold")
    if direction == "lower" and threshold == max(values):
        raise check.fail("pass_threshold", "every score would PASS; lower the threshold")
    pairwise_question = check.string(data, "pairwise_question", "", required=False).strip()

    tags = _tags(check, data)
    examples = _examples(check, data, set(values), {t.name for t in tags})
    # Last, so a copy of a rubric under a new file name hears of its other faults first.
    if file_name is not None and name != file_name:
        raise check.fail(
            "name", f"is {name!r} but the file is named {file_name}.toml; they must match"
        )
    return Rubric(
        name=name,
        version=version,
        title=title,
        question=question.strip(),
        scale=tuple(scale),
        pass_threshold=threshold,
        level=cast(Level, level),
        guidelines=guidelines,
        tags=tuple(tags),
        examples=tuple(examples),
        path=file,
        judge_instructions=judge_instructions,
        direction=cast(Direction, direction),
        pairwise_question=pairwise_question,
    )


def _scale(check: _Check, data: Mapping[str, Any]) -> list[ScaleLevel]:
    tables = check.tables(data, "scale")
    if len(tables) < 2:
        raise check.fail("scale", "needs at least two points ([[scale]] tables)")
    scale: list[ScaleLevel] = []
    for i, entry in enumerate(tables):
        where = f"scale[{i}]."
        check.unknown(entry, SCALE_KEYS, where)
        value = check.integer(entry, "value", where)
        label = check.string(entry, "label", where, required=True)
        description = check.string(entry, "description", where, required=True)
        given = check.string(entry, "key", where, required=False)
        key = given or str(value)
        if len(key) != 1 and not given:
            raise check.fail(
                where + "key",
                f"value {value} has no single key to rate it with (the key defaults to the "
                f'value): add key = "{_free_key(tables)}" to this [[scale]]',
            )
        if len(key) != 1:
            raise check.fail(where + "key", f"{key!r} must be a single key (value {value})")
        if key in RESERVED_KEYS:
            raise check.fail(where + "key", f"{key!r} is used by the app; choose another")
        if any(s.value == value for s in scale):
            raise check.fail(where + "value", f"{value} appears twice on the scale")
        if any(s.key == key for s in scale):
            raise check.fail(where + "key", f"{key!r} is bound to two points")
        scale.append(ScaleLevel(value, label.strip(), description.strip(), key))
    return scale


def _free_key(tables: list[Mapping[str, Any]]) -> str:
    """A key no point of the scale takes, for the message: '0' for a 1-10 scale."""
    taken = {str(t.get("key") or t.get("value")) for t in tables}
    free = (k for k in "0123456789abdghijklorvwxyz" if k not in taken and k not in RESERVED_KEYS)
    return next(free, "x")


def _tags(check: _Check, data: Mapping[str, Any]) -> list[Tag]:
    tags: list[Tag] = []
    for i, entry in enumerate(check.tables(data, "tags")):
        where = f"tags[{i}]."
        check.unknown(entry, TAG_KEYS, where)
        name = check.string(entry, "name", where, required=True)
        if not SLUG.match(name):
            raise check.fail(where + "name", f"{name!r} must be lowercase letters, digits, - or _")
        key = check.string(entry, "key", where, required=True)
        if len(key) != 1:
            raise check.fail(where + "key", f"{key!r} must be a single key")
        if any(t.name == name for t in tags):
            raise check.fail(where + "name", f"{name!r} appears twice")
        if any(t.key == key for t in tags):
            raise check.fail(where + "key", f"{key!r} is bound to two tags")
        description = check.string(entry, "description", where, required=False)
        tags.append(Tag(name, key, description.strip()))
    return tags


def _examples(
    check: _Check, data: Mapping[str, Any], values: set[int], tag_names: set[str]
) -> list[Example]:
    examples: list[Example] = []
    for i, entry in enumerate(check.tables(data, "examples")):
        where = f"examples[{i}]."
        check.unknown(entry, EXAMPLE_KEYS, where)
        kind = check.string(entry, "kind", where, required=True)
        if kind not in KINDS:
            raise check.fail(where + "kind", f"{kind!r} must be one of {', '.join(KINDS)}")
        score = check.integer(entry, "score", where)
        if score not in values:
            raise check.fail(where + "score", f"{score} is not on the scale {sorted(values)}")
        tags = entry.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise check.fail(where + "tags", "must be a list of tag names")
        unknown = [t for t in tags if t not in tag_names]
        if unknown:
            raise check.fail(where + "tags", f"unknown tag {unknown[0]!r}")
        examples.append(
            Example(
                kind=kind,
                input=check.string(entry, "input", where, required=False),
                context=check.string(entry, "context", where, required=False),
                output=check.string(entry, "output", where, required=True),
                score=score,
                rationale=check.string(entry, "rationale", where, required=True).strip(),
                tags=tuple(tags),
            )
        )
    return examples


def load_rubric(path: Path) -> Rubric:
    """Read one rubric file; unreadable files are RubricErrors too."""
    if path.is_dir():
        raise RubricError("is a directory, not a rubric file", file=str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"can't be read: {exc.strerror}", file=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise RubricError("is not valid UTF-8", file=str(path), line=line) from None
    return parse_rubric(text, str(path), file_name=path.stem)


def shipped_rubrics_dir() -> Path:
    """The rubrics that come with the package (inside a wheel, or the checkout's rubrics/)."""
    package = Path(__file__).resolve().parent.parent
    inside = package / "rubrics"
    return inside if inside.is_dir() else package.parent / "rubrics"


def search_path(extra: Path | None = None, cwd: Path | None = None) -> list[Path]:
    """Where rubrics are looked for, first match wins: --rubrics DIR, ./rubrics, shipped."""
    dirs = []
    if extra is not None:
        dirs.append(extra)
    dirs.append((cwd or Path.cwd()) / "rubrics")
    dirs.append(shipped_rubrics_dir())
    seen: list[Path] = []
    for d in dirs:
        if d.is_dir() and all(d.resolve() != s.resolve() for s in seen):
            seen.append(d)
    return seen


def discover(dirs: Iterable[Path]) -> dict[str, Path]:
    """Map rubric name (the file stem) to its file; earlier directories shadow later ones."""
    found: dict[str, Path] = {}
    for d in dirs:
        for path in sorted(d.glob("*.toml")):
            found.setdefault(path.stem, path)
    return found


def find_rubric(name: str, dirs: Iterable[Path]) -> Rubric:
    """Load the rubric called NAME (or a path to a .toml file)."""
    as_path = Path(name)
    if name.endswith(".toml") and as_path.is_file():
        return load_rubric(as_path)
    dirs = list(dirs)
    found = discover(dirs)
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        where = ", ".join(str(d) for d in dirs) or "no rubric directories"
        raise NotFound(f"no rubric named {name!r} (known: {known}; looked in {where})")
    return load_rubric(found[name])  # which checks the name against the file's
