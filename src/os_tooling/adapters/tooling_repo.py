"""os-tooling versions as tags of a local capi-image-builder checkout, and their manifests.

Used by ``describe``/``diff`` (what binaries does a version hold) and by the gate (is this
os-tooling version a real release; which binary majors does a cluster release bring).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.core.manifest import Manifest, parse_manifest
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError


@dataclass(frozen=True)
class ManifestAnswer:
    """The manifest of an os-tooling version, or why there is none (every tooling source
    answers with this value: no mutable "last problem" to read afterwards)."""

    manifest: Manifest | None
    reason: str = ""


class TaggedVersions:
    """What a tooling repository answers from its version tags; ``tags()`` is the source's own."""

    def tags(self) -> dict[Version, str]:
        raise NotImplementedError

    def has_version(self, version: Version) -> bool:
        return version in self.tags()

    def versions(self) -> list[Version]:
        return sorted(self.tags(), reverse=True)


class LocalToolingRepo(TaggedVersions):
    def __init__(self, path: str | Path, *, manifest_path: str = "os-tooling.yaml",
                 tag_prefix: str = "v"):
        root = git.toplevel(path) if Path(path).is_dir() else None
        if root is None:
            raise UsageError(f"tooling repository {str(path)!r} is not a git repository")
        self.root = root
        self.manifest_path = manifest_path
        self.tag_prefix = tag_prefix
        self._tags: dict[Version, str] | None = None

    def tags(self) -> dict[Version, str]:
        if self._tags is None:
            self._tags = {v: name for name, v in git.version_tags(self.root, self.tag_prefix)}
        return self._tags

    def manifest(self, version: Version) -> ManifestAnswer:
        """The manifest at the version's tag, or why there is none."""
        tag = self.tags().get(version)
        if tag is None:
            return ManifestAnswer(None, f"os-tooling {version} is not a tag of the tooling "
                                  f"repository {self.root}")
        text = git.show_file(self.root, tag, self.manifest_path)
        if text is None:
            return ManifestAnswer(None, f"tag {tag} has no {self.manifest_path}")
        report = parse_manifest(text, f"{tag}:{self.manifest_path}")
        if report.manifest is None:
            first = report.errors[0]
            return ManifestAnswer(None, f"{self.manifest_path} at tag {tag} is invalid "
                                  f"({first.where()}: {first.message})")
        return ManifestAnswer(report.manifest)
