"""Release files on disk, found by the directory layout, for the previous-release lookup."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from os_tooling.adapters.files import read_text
from os_tooling.core.release_cr import ARCHIVED, RELEASE_FILE, ReleaseCR, parse_release
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError


@dataclass(frozen=True)
class LoadedRelease:
    """A release file read from the tree: the parsed release, or why it cannot be read."""

    release: ReleaseCR | None
    reason: str = ""


class ReleaseTree:
    """Lists ``<root>/<dir>/[archived/]v<version>/release.yaml`` and parses files on demand;
    both are cached, so many releases of one run share the work."""

    def __init__(self) -> None:
        self._listings: dict[tuple[str, str], list[tuple[Version, Path]]] = {}
        self._parsed: dict[str, LoadedRelease] = {}
        self._roots: dict[str, Path] = {}  # a listed release file -> the root it must stay in

    def releases(self, root: Path, directory: str) -> list[tuple[Version, Path]]:
        key = (str(root), directory)
        if key not in self._listings:
            self._listings[key] = _scan(root, directory)
            self._roots.update((str(path), root) for _, path in self._listings[key])
        return self._listings[key]

    def remember(self, path: Path, release: ReleaseCR) -> None:
        """A release already parsed (an input of this run): no second parse as a previous."""
        self._parsed.setdefault(str(path), LoadedRelease(release))

    def load(self, path: Path, label: str) -> LoadedRelease:
        """The parsed release, or a one-line reason why it cannot be read."""
        key = str(path)
        if key not in self._parsed:
            try:
                text = read_text(path, "release file", root=self._roots.get(key))
                self._parsed[key] = LoadedRelease(parse_release(text, label, path))
            except UsageError as exc:
                self._parsed[key] = LoadedRelease(None, str(exc))
        return self._parsed[key]


def _scan(root: Path, directory: str) -> list[tuple[Version, Path]]:
    found: dict[Version, Path] = {}
    for base in (root / directory, root / directory / ARCHIVED):  # current ones win a tie
        try:
            entries = list(os.scandir(base))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if not name.startswith("v") or name.startswith("vv"):
                continue
            version = Version.try_parse(name[1:])
            if version is None or version in found:
                continue
            candidate = Path(entry.path) / RELEASE_FILE
            if candidate.is_file():
                found[version] = candidate
    return sorted(found.items())
