"""The prompt registry: `prompts/NAME.toml`, one file per prompt, holding its versions.

Each file is a list of `[[versions]]` (`version` semantic, `text`, `notes`,
`created`) and, from `suggest`, `[[drafts]]` (never the current version).
The registry is optional: items whose prompt version has no text here still
import, and `status` lists them. A version is added only if it is semantic
and greater than the last; a change that looks like a new output format
(see `format_signature`) tagged as a minor or patch bump is warned about,
since whoever parses the output breaks on it.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui_annotate.errors import InputError

#: Where the registry lives, relative to the project (the working directory).
DEFAULT_DIR = Path("prompts")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


@dataclass(frozen=True, slots=True)
class PromptVersion:
    version: str
    text: str
    notes: str = ""
    created: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "text": self.text,
            "notes": self.notes,
            "created": self.created,
        }


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt's versions in the order they were added (also semantic order)."""

    name: str
    path: Path
    versions: tuple[PromptVersion, ...] = ()
    drafts: tuple[PromptVersion, ...] = field(default=())

    def get(self, version: str | None = None, *, drafts: bool = False) -> PromptVersion:
        pool = self.versions + (self.drafts if drafts else ())
        if not pool:
            raise InputError(f"prompt {self.name!r} has no versions", file=str(self.path))
        if version is None:
            return self.versions[-1] if self.versions else pool[-1]
        for v in pool:
            if v.version == version:
                return v
        known = ", ".join(v.version for v in pool)
        raise InputError(f"prompt {self.name!r} has no version {version!r} (it has: {known})")


def semver(version: str) -> tuple[int, int, int, tuple[tuple[int, int | str], ...]] | None:
    """A sortable key for a semantic version (pre-releases before the release), None if not one."""
    m = _SEMVER.match(version)
    if m is None:
        return None
    major, minor, patch, pre = m.groups()
    if pre is None:
        # A release sorts after any of its pre-releases: an empty-first marker larger than all.
        tag: tuple[tuple[int, int | str], ...] = ((2, 0),)
    else:
        tag = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
    return int(major), int(minor), int(patch), tag


def bump_kind(old: str, new: str) -> str:
    """'major', 'minor' or 'patch' (or 'pre-release'): what NEW changes over OLD."""
    a, b = semver(old), semver(new)
    if a is None or b is None:
        return "unknown"
    if b[0] != a[0]:
        return "major"
    if b[1] != a[1]:
        return "minor"
    if b[2] != a[2]:
        return "patch"
    return "pre-release"


_JSON_KEY = re.compile(r"[\"']([A-Za-z_][\w -]{0,40})[\"']\s*:")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FORMAT_WORDS = re.compile(
    r"\b(respond|reply|answer|output|return|format|write)\b[^.\n]{0,60}?"
    r"\b(json|yaml|xml|csv|markdown|table|list|bullet\w*|plain text|one word|a number|"
    r"sentences?|paragraphs?|lines?|keys?|fields?|schema)\b",
    re.IGNORECASE,
)


def format_signature(text: str) -> dict[str, frozenset[str]]:
    """What a prompt says about the shape of its output, concretely:

    - `json_keys`: keys written as `"key":` (an output schema or an example answer);
    - `headings`: Markdown headings the answer is told to use (`## Summary`);
    - `instructions`: the format phrases, e.g. "respond in JSON", "answer in one
      word", "return a list of bullets" (verb … format noun, lower-cased).
    Two texts whose signatures differ ask for differently shaped output.
    """
    return {
        "json_keys": frozenset(m.group(1).strip() for m in _JSON_KEY.finditer(text)),
        "headings": frozenset(
            f"{m.group(1)} {m.group(2).strip().lower()}" for m in _HEADING.finditer(text)
        ),
        "instructions": frozenset(
            " ".join(m.group(0).lower().split()) for m in _FORMAT_WORDS.finditer(text)
        ),
    }


def format_changes(old: str, new: str) -> list[str]:
    """How the output format asked for differs between OLD and NEW text (empty: the same)."""
    a, b = format_signature(old), format_signature(new)
    changes: list[str] = []
    for part, label in (
        ("json_keys", "JSON keys"),
        ("headings", "headings"),
        ("instructions", "format instructions"),
    ):
        gone, added = sorted(a[part] - b[part]), sorted(b[part] - a[part])
        if gone or added:
            bits = [f"-{x!r}" for x in gone] + [f"+{x!r}" for x in added]
            changes.append(f"{label}: {', '.join(bits)}")
    return changes


def diff(prompt: Prompt, a: str, b: str, *, drafts: bool = True) -> str:
    """A unified diff of version A's text to version B's."""
    old, new = prompt.get(a, drafts=drafts), prompt.get(b, drafts=drafts)
    return "".join(
        difflib.unified_diff(
            old.text.splitlines(keepends=True),
            new.text.splitlines(keepends=True),
            fromfile=f"{prompt.name}@{old.version}",
            tofile=f"{prompt.name}@{new.version}",
        )
    )


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise InputError(
            f"prompt name {name!r} must start with a letter or digit and hold only letters, "
            "digits, '.', '_' and '-' (it names the file prompts/NAME.toml)"
        )


def path_of(name: str, directory: Path = DEFAULT_DIR) -> Path:
    check_name(name)
    return directory / f"{name}.toml"


def load(path: Path) -> Prompt:
    """Read one registry file; a bad one is an error naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"is not valid TOML: {exc}", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"can't be read: {exc.strerror}", file=str(path)) from None
    groups: dict[str, tuple[PromptVersion, ...]] = {}
    for key in ("versions", "drafts"):
        entries = data.get(key, [])
        if not isinstance(entries, list):
            raise InputError("must be an array of tables", file=str(path), field=key)
        found = []
        for n, entry in enumerate(entries):
            where = f"{key}[{n}]"
            if not isinstance(entry, dict):
                raise InputError("must be a table", file=str(path), field=where)
            version, text = entry.get("version"), entry.get("text")
            if not isinstance(version, str) or semver(version) is None:
                raise InputError(
                    f"{version!r} is not a semantic version (X.Y.Z)",
                    file=str(path),
                    field=f"{where}.version",
                )
            if not isinstance(text, str):
                raise InputError("must be a string", file=str(path), field=f"{where}.text")
            notes, created = entry.get("notes", ""), entry.get("created", "")
            found.append(PromptVersion(version, text, str(notes), str(created)))
        groups[key] = tuple(found)
    return Prompt(path.stem, path, groups["versions"], groups["drafts"])


def discover(directory: Path = DEFAULT_DIR) -> dict[str, Path]:
    """Prompt name -> its file."""
    if not directory.is_dir():
        return {}
    return {p.stem: p for p in sorted(directory.glob("*.toml"))}


def load_all(directory: Path = DEFAULT_DIR) -> dict[str, Prompt]:
    return {name: load(path) for name, path in discover(directory).items()}


def registered(directory: Path = DEFAULT_DIR) -> set[tuple[str, str]]:
    """(prompt, version) pairs the registry holds text for (drafts included)."""
    return {
        (p.name, v.version) for p in load_all(directory).values() for v in p.versions + p.drafts
    }


@dataclass(frozen=True, slots=True)
class Added:
    """What `add` did: the new version, and its warnings (a format change on a small bump)."""

    prompt: str
    version: str
    path: Path
    warnings: tuple[str, ...]


def add(
    name: str,
    version: str,
    text: str,
    *,
    notes: str = "",
    directory: Path = DEFAULT_DIR,
    draft: bool = False,
    created: str | None = None,
) -> Added:
    """Add VERSION of NAME; refuse a non-semantic version or one not greater than the last."""
    path = path_of(name, directory)
    prompt = load(path) if path.exists() else Prompt(name, path)
    if semver(version) is None:
        raise InputError(f"--version {version!r} is not a semantic version (X.Y.Z)")
    everything = prompt.versions + prompt.drafts
    if any(v.version == version for v in everything):
        raise InputError(f"prompt {name!r} already has version {version}", file=str(path))
    warnings: list[str] = []
    if prompt.versions and not draft:
        last = prompt.versions[-1]
        if semver(version) <= semver(last.version):  # type: ignore[operator]
            raise InputError(
                f"--version {version} is not greater than the last version, {last.version}",
                file=str(path),
            )
        kind = bump_kind(last.version, version)
        changes = format_changes(last.text, text)
        if changes and kind != "major":
            warnings.append(
                f"the output format looks changed ({'; '.join(changes)}) but {last.version} → "
                f"{version} is a {kind} bump: whoever parses the output may break; "
                "consider a major version"
            )
    entry = PromptVersion(version, text, notes, created or _now())
    updated = Prompt(
        name,
        path,
        prompt.versions + (() if draft else (entry,)),
        prompt.drafts + ((entry,) if draft else ()),
    )
    save(updated)
    return Added(name, version, path, tuple(warnings))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _toml_string(text: str) -> str:
    """TEXT as a TOML string: a literal multi-line string where it can be (readable prompts)."""
    if (
        "'''" not in text
        and not text.endswith("'")
        and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    ):
        return "'''\n" + text + "'''"
    return json.dumps(text, ensure_ascii=False)  # JSON escapes are valid TOML basic strings


def dumps(prompt: Prompt) -> str:
    out = [f"# The prompt {prompt.name!r}: its versions (tui-annotate prompt add appends here).\n"]
    for key, entries in (("versions", prompt.versions), ("drafts", prompt.drafts)):
        for v in entries:
            out.append(f"\n[[{key}]]\n")
            out.append(f"version = {json.dumps(v.version)}\n")
            out.append(f"created = {json.dumps(v.created)}\n")
            out.append(f"notes = {_toml_string(v.notes) if v.notes else json.dumps('')}\n")
            out.append(f"text = {_toml_string(v.text)}\n")
    return "".join(out)


def save(prompt: Prompt) -> None:
    """Write the registry file whole (beside it, then renamed: never half a file)."""
    prompt.path.parent.mkdir(parents=True, exist_ok=True)
    part = prompt.path.with_name(prompt.path.name + ".part")
    part.write_text(dumps(prompt), encoding="utf-8")
    part.replace(prompt.path)
