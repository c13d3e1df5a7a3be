"""Semantic versions as this project reads them (README, docs/versioning-policy.md).

- an optional ``v`` prefix is allowed and kept for display;
- ``1.2`` is read as ``1.2.0``;
- build metadata is ignored for ordering;
- numbers are bounded, so absurd input is a clear error rather than a crash.

Written against semver.org's grammar; the tests check it against the ``semver`` package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from os_tooling.core.levels import Level

MAX_VERSION_LENGTH = 256
_NUM = r"(?:0|[1-9][0-9]{0,17})"  # 18 digits: far past any real version, far below int limits
_IDENT = r"(?:0|[1-9][0-9]{0,17}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
VERSION_PATTERN = (
    rf"^(?P<prefix>v?)(?P<major>{_NUM})\.(?P<minor>{_NUM})(?:\.(?P<patch>{_NUM}))?"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
# The same pattern without Python-only named groups: what the JSON Schema ships (ECMA-262 regex).
PORTABLE_VERSION_PATTERN = re.sub(r"\(\?P<\w+>", "(", VERSION_PATTERN)
_VERSION_RE = re.compile(VERSION_PATTERN)  # used with fullmatch: "$" alone accepts a final "\n"
_LONG_NUMBER_RE = re.compile(r"^v?(?:[0-9]+\.){0,2}[0-9]{19,}")


class VersionError(ValueError):
    """The text is not a version this project accepts."""


@total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: str | None = None
    build: str | None = None
    prefix: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        if not isinstance(text, str):
            raise VersionError(f"expected a version string, got {type(text).__name__}")
        if len(text) > MAX_VERSION_LENGTH:
            raise VersionError(f"version is {len(text)} characters long (at most {MAX_VERSION_LENGTH})")
        match = _VERSION_RE.fullmatch(text)
        if match is None:
            if _LONG_NUMBER_RE.match(text):
                raise VersionError(f"{_shorten(text)!r} has a number with more than 18 digits")
            raise VersionError(f"{_shorten(text)!r} is not a semantic version (X.Y.Z, optional v prefix)")
        return cls(
            major=int(match["major"]),
            minor=int(match["minor"]),
            patch=int(match["patch"] or 0),
            prerelease=match["pre"],
            build=match["build"],
            prefix=match["prefix"],
        )

    @classmethod
    def try_parse(cls, text: str) -> Version | None:
        try:
            return cls.parse(text)
        except VersionError:
            return None

    # -- ordering: semver precedence, build metadata ignored --------------------------------
    def _key(self) -> tuple:
        if self.prerelease is None:
            pre: tuple = (1,)
        else:
            pre = (0, *(
                (0, int(part), "") if part.isdigit() else (1, 0, part)
                for part in self.prerelease.split(".")
            ))
        return (self.major, self.minor, self.patch, pre)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def same_text(self, other: Version) -> bool:
        """Equal including build metadata; only the ``v`` prefix may differ."""
        return self == other and self.build == other.build

    # -- display ------------------------------------------------------------------------------
    @property
    def core(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.build:
            text += f"+{self.build}"
        return text

    def __str__(self) -> str:
        return self.prefix + self.core

    def bump(self, level: Level) -> Version:
        """The next release version after this one (prefix and metadata dropped)."""
        if level is Level.MAJOR:
            return Version(self.major + 1, 0, 0)
        if level is Level.MINOR:
            return Version(self.major, self.minor + 1, 0)
        if level is Level.PATCH:
            if self.prerelease is not None:  # 1.2.0-rc.1 -> 1.2.0
                return Version(self.major, self.minor, self.patch)
            return Version(self.major, self.minor, self.patch + 1)
        return Version(self.major, self.minor, self.patch, self.prerelease)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


TAG_PREFIX_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


def check_tag_prefix(prefix: str) -> str:
    """A tag prefix as git and every command use it (``v``, ``os-tooling/v``, or empty): letters,
    digits, ``.``, ``_``, ``/``, ``-``, never starting with ``-`` (it would reach git as an
    option) and never a part git refuses in a ref name. Raises ValueError."""
    if prefix == "":
        return prefix
    if not TAG_PREFIX_RE.fullmatch(prefix) or ".." in prefix or "//" in prefix \
            or prefix.endswith((".", ".lock")) or "/." in prefix:
        raise ValueError(f"invalid tag prefix {prefix[:80]!r}: use letters, digits, '.', '_', '/' "
                         "and '-', starting with a letter or digit (e.g. v)")
    return prefix


def version_from_tag(name: str, prefix: str = "v") -> Version | None:
    """``v1.2.3`` -> 1.2.3 with prefix ``v``; None for anything else (build metadata included).

    The one rule for which tags are release versions, locally and on GitHub.
    """
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix):]
    if not rest or rest.startswith("v"):
        return None
    version = Version.try_parse(rest)
    return version if version is not None and version.build is None else None


def difference_level(old: Version, new: Version, pre_one_zero: Level = Level.MAJOR) -> Level:
    """Which part differs between two versions, as a level (direction ignored).

    For 0.y.z versions a change of y counts as ``pre_one_zero`` (docs/versioning-policy.md).
    """
    if old.major != new.major:
        return Level.MAJOR
    if old.minor != new.minor:
        return pre_one_zero if old.major == 0 else Level.MINOR
    if old.patch != new.patch or old.prerelease != new.prerelease or old.build != new.build:
        return Level.PATCH
    return Level.NONE


def highest(versions, *, include_prereleases: bool = False) -> Version | None:
    candidates = [v for v in versions if include_prereleases or v.prerelease is None]
    return max(candidates) if candidates else None
