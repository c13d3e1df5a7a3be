"""Where os-tooling versions are looked up: which versions are real releases (tags of the image
builder repository) and which binaries each holds (its manifest at that tag).

One small interface, ``ToolingSource``; the local git checkout (``--tooling-repo``) implements
it here, the GitHub repository (``imageBuilderRepo``) through the GitHub adapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from os_tooling.adapters.github_client import ClientSettings
from os_tooling.adapters.tooling_github import GitHubToolingRepo, ToolingRepoError
from os_tooling.adapters.tooling_repo import LocalToolingRepo, ManifestAnswer
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError


class ToolingSource(Protocol):
    label: str  # e.g. "local repository /src/capi-image-builder"

    def has_version(self, version: Version) -> bool:
        """Is ``version`` a release (a tag) of the image builder repository?"""
        ...

    def tag_of(self, version: Version) -> str | None:
        ...

    def newest(self, count: int = 3) -> list[str]:
        """The newest release tags, for hints."""
        ...

    def manifest(self, version: Version) -> ManifestAnswer:
        """The tooling manifest at the version's tag, or why there is none."""
        ...


class LocalTooling:
    """A local checkout of the image builder repository (``--tooling-repo PATH``)."""

    def __init__(self, path: str | Path, manifest_path: str = "os-tooling.yaml",
                 tag_prefix: str = "v"):

        self.repo = LocalToolingRepo(path, manifest_path=manifest_path, tag_prefix=tag_prefix)
        self.label = f"the tooling repository {self.repo.root}"
        self._manifests: dict[Version, ManifestAnswer] = {}

    def has_version(self, version: Version) -> bool:
        return self.repo.has_version(version)

    def tag_of(self, version: Version) -> str | None:
        return self.repo.tags().get(version)

    def newest(self, count: int = 3) -> list[str]:
        tags = self.repo.tags()
        return [tags[v] for v in self.repo.versions() if v.prerelease is None][:count]

    def manifest(self, version: Version) -> ManifestAnswer:
        if version not in self._manifests:
            self._manifests[version] = self._load(version)
        return self._manifests[version]

    def _load(self, version: Version) -> ManifestAnswer:
        return self.repo.manifest(version)


class ToolingLookupError(Exception):
    """The tooling source could not answer (e.g. GitHub kept failing): the check is an error."""


class GitHubTooling:
    """The image builder repository on GitHub (``imageBuilderRepo``), through the shared client."""

    def __init__(self, full_name: str, settings: object, manifest_path: str = "os-tooling.yaml",
                 tag_prefix: str = "v"):

        self.repo = GitHubToolingRepo.from_settings(settings, full_name,  # type: ignore[arg-type]
                                                    manifest_path=manifest_path,
                                                    tag_prefix=tag_prefix)
        self.label = f"{full_name} on GitHub"

    def _guard(self, call):
        try:
            return call()
        except ToolingRepoError as exc:
            if exc.usage:  # bad token, unknown repository: a setup problem, exit 2
                raise UsageError(str(exc)) from None
            raise ToolingLookupError(str(exc)) from None

    def has_version(self, version: Version) -> bool:
        return bool(self._guard(lambda: self.repo.has_version(version)))

    def tag_of(self, version: Version) -> str | None:
        return self._guard(lambda: self.repo.tags().get(version))

    def newest(self, count: int = 3) -> list[str]:
        tags = self._guard(self.repo.tags)
        return [tags[v] for v in sorted(tags, reverse=True) if v.prerelease is None][:count]

    def manifest(self, version: Version) -> ManifestAnswer:
        return self._guard(lambda: self.repo.manifest(version))


class LazyTooling:
    """A tooling source made when first asked: ``bump`` and ``available`` need the binaries of
    a version only for a binary request, and need no GitHub client otherwise."""

    def __init__(self, make, label: str):
        self._make = make
        self._source: ToolingSource | None = None
        self.label = label

    def _get(self) -> ToolingSource:
        if self._source is None:
            self._source = self._make()
        return self._source

    def has_version(self, version: Version) -> bool:
        return self._get().has_version(version)

    def tag_of(self, version: Version) -> str | None:
        return self._get().tag_of(version)

    def newest(self, count: int = 3) -> list[str]:
        return self._get().newest(count)

    def manifest(self, version: Version) -> ManifestAnswer:
        return self._get().manifest(version)


NO_TOOLING_SOURCE = ("no tooling source to read the binaries from: give --tooling-repo PATH or "
                     "imageBuilderRepo in the gate config")


class ToolingSettings(Protocol):
    """Where the store config says os-tooling versions live (``GateConfig`` has these)."""

    image_builder_repo: str | None
    tooling_manifest: str
    tooling_tag_prefix: str


def tooling_for(tooling_repo: str | None, config: ToolingSettings) -> ToolingSource | None:
    """The tooling source of ``bump``/``available``: ``--tooling-repo``, else the gate config's
    ``imageBuilderRepo`` on GitHub (token from the environment), else none."""
    manifest_path, tag_prefix = config.tooling_manifest, config.tooling_tag_prefix
    if tooling_repo:
        return LocalTooling(tooling_repo, manifest_path, tag_prefix)
    full_name = config.image_builder_repo
    if not full_name:
        return None

    def make() -> ToolingSource:
        return GitHubTooling(full_name, ClientSettings.from_env(), manifest_path, tag_prefix)

    return LazyTooling(make, f"{full_name} on GitHub")
