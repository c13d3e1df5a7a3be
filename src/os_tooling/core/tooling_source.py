"""The tooling source interface: where os-tooling versions are looked up.

An os-tooling version is a release when the image builder repository (capi-image-builder) has
its tag; its binaries are the manifest at that tag (or the ``os-tooling.json`` asset of its
GitHub release). Every command that asks (describe, diff, build-vars, build-matrix, gate,
bump, available) talks to this one interface; the sources are adapters, one file each:

- ``adapters/tooling_local.py``: a local git checkout (``--tooling-repo PATH``);
- ``adapters/tooling_github.py``: the repository on GitHub (``--image-builder-repo`` or the
  store config's ``imageBuilderRepo``), reading the manifest at the tag or the release asset.

A manifest that cannot be had is an answer, ``ManifestAnswer(None, reason)``, not an error:
the gate turns it into a finding about one release. A source that cannot answer at all (GitHub
kept failing) raises ``ToolingLookupError`` (exit 1; the gate makes that check an error); a
setup problem (bad token, unknown repository, not a git repository) is a ``UsageError``
(exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from os_tooling.core.manifest import Manifest
from os_tooling.core.versions import Version
from os_tooling.errors import ExitCode, OsToolingError


@dataclass(frozen=True)
class ManifestAnswer:
    """The manifest of an os-tooling version, or why there is none."""

    manifest: Manifest | None
    reason: str = ""


class ToolingLookupError(OsToolingError):
    """The tooling source could not answer (e.g. GitHub kept failing after its retries)."""

    exit_code = ExitCode.FINDING


class ToolingSource(Protocol):
    label: str  # for messages: "the tooling repository /src/capi-image-builder"
    location: str  # for reports: "/src/capi-image-builder", "giantswarm/capi-image-builder (GitHub)"

    def tags(self) -> dict[Version, str]:
        """Every version tag of the source: version -> tag name."""
        ...

    def has_version(self, version: Version) -> bool:
        """Is ``version`` a release (a tag) of the image builder repository?"""
        ...

    def tag_of(self, version: Version) -> str | None:
        ...

    def versions(self) -> list[Version]:
        """Every tagged version, newest first (pre-releases included)."""
        ...

    def newest(self, count: int = 3) -> list[str]:
        """The newest release tags (no pre-releases), for hints."""
        ...

    def manifest(self, version: Version) -> ManifestAnswer:
        """The binaries at the version's tag, or why there are none; asked once per version."""
        ...


class TaggedTooling:
    """What every source answers from its tags; a source gives ``_read_tags`` and
    ``_read_manifest`` and gets the rest, each answer cached for the instance's life."""

    label = "the tooling source"
    location = "?"

    def __init__(self) -> None:
        self._tags: dict[Version, str] | None = None
        self._manifests: dict[Version, ManifestAnswer] = {}

    def _read_tags(self) -> dict[Version, str]:
        raise NotImplementedError

    def _read_manifest(self, version: Version, tag: str) -> ManifestAnswer:
        raise NotImplementedError

    def _no_tag(self, version: Version) -> str:
        return f"os-tooling {version} is not a tag of {self.label}"

    def tags(self) -> dict[Version, str]:
        if self._tags is None:
            self._tags = self._read_tags()
        return self._tags

    def has_version(self, version: Version) -> bool:
        return version in self.tags()

    def tag_of(self, version: Version) -> str | None:
        return self.tags().get(version)

    def versions(self) -> list[Version]:
        return sorted(self.tags(), reverse=True)

    def newest(self, count: int = 3) -> list[str]:
        tags = self.tags()
        return [tags[v] for v in self.versions() if v.prerelease is None][:count]

    def manifest(self, version: Version) -> ManifestAnswer:
        if version not in self._manifests:
            tag = self.tag_of(version)
            self._manifests[version] = (ManifestAnswer(None, self._no_tag(version)) if tag is None
                                        else self._read_manifest(version, tag))
        return self._manifests[version]
