"""Prompt versions in release order: 1.2.0 before 1.10.0, a pre-release before its release.

Versions are free text in an item file; most are semantic versions and a lead
reads them in release order, not text order ("1.10.0" after "1.9.0"). Text
that is no version number sorts after every version, by its text, so any set
of versions still has one order.
"""

from __future__ import annotations

import re

# MAJOR.MINOR[.PATCH][-PRE][+BUILD], with an optional "v": what people write in files.
_SEMVER = re.compile(
    r"^[vV]?(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$"
)

#: A key's shape: (kind, numbers, pre-release, text); kind 0 for versions, 1 for other text.
VersionKey = tuple[int, tuple[int, ...], tuple[tuple[int, int, str], ...], str]


def semver_key(version: str) -> VersionKey:
    """The sort key of VERSION: semantic-version order, then non-versions by their text.

    A pre-release sorts before its release (1.0.0-rc.1 < 1.0.0); its dot-separated
    parts compare numbers numerically and below words, as semver.org says. The
    full text breaks remaining ties (build metadata, "v"), so the order is total.
    """
    match = _SEMVER.match(version.strip())
    if match is None:
        return (1, (), (), version)
    major, minor, patch, pre = match.groups()
    numbers = (int(major), int(minor), int(patch or 0))
    if pre is None:
        # (2, …) sorts after every pre-release part, whose first field is 0 or 1.
        return (0, numbers, ((2, 0, ""),), version)
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split("."))
    return (0, numbers, parts, version)


def sorted_versions(versions: list[str] | tuple[str, ...] | set[str]) -> tuple[str, ...]:
    """VERSIONS in release order (see `semver_key`)."""
    return tuple(sorted(versions, key=semver_key))
