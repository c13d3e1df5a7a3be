"""A tooling source over a local git checkout of the image builder repository
(``--tooling-repo PATH``): version tags with git, the manifest at a tag through git's blobs."""

from __future__ import annotations

from pathlib import Path

from os_tooling.adapters import git
from os_tooling.core.manifest import parse_manifest
from os_tooling.core.tooling_source import ManifestAnswer, TaggedTooling
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError


class LocalTooling(TaggedTooling):
    def __init__(self, path: str | Path, *, manifest_path: str = "os-tooling.yaml",
                 tag_prefix: str = "v"):
        super().__init__()
        root = git.toplevel(path) if Path(path).is_dir() else None
        if root is None:
            raise UsageError(f"tooling repository {str(path)!r} is not a git repository")
        self.root = root
        self.manifest_path = manifest_path
        self.tag_prefix = tag_prefix
        self.label = f"the tooling repository {root}"
        self.location = str(root)

    def _read_tags(self) -> dict[Version, str]:
        return {v: name for name, v in git.version_tags(self.root, self.tag_prefix)}

    def _read_manifest(self, version: Version, tag: str) -> ManifestAnswer:
        text = git.show_file(self.root, tag, self.manifest_path)
        if text is None:
            return ManifestAnswer(None, f"tag {tag} has no {self.manifest_path}")
        report = parse_manifest(text, f"{tag}:{self.manifest_path}")
        if report.manifest is None:
            first = report.errors[0]
            return ManifestAnswer(None, f"{self.manifest_path} at tag {tag} is invalid "
                                  f"({first.where()}: {first.message})")
        return ManifestAnswer(report.manifest)
