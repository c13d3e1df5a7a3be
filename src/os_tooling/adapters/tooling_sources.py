"""Which tooling source a command asks: the one place that turns options into a
``ToolingSource`` (the interface is in ``core/tooling_source.py``; the sources are
``tooling_local.py`` and ``tooling_github.py``).

Precedence everywhere: a local checkout (``--tooling-repo PATH``) wins, else the repository on
GitHub (``--image-builder-repo OWNER/NAME``, else the store config's ``imageBuilderRepo``).
GitHub sources are made lazily: a command that never asks makes no client and needs no token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.tooling_github import GitHubAssetTooling, GitHubTooling
from os_tooling.adapters.tooling_local import LocalTooling
from os_tooling.core.tooling_source import ManifestAnswer, ToolingSource
from os_tooling.core.versions import Version

NO_TOOLING_SOURCE = ("no tooling source to read the binaries from: give --tooling-repo PATH or "
                     "imageBuilderRepo in the gate config")


class ToolingSettings(Protocol):
    """Where the store config says os-tooling versions live (``StoreConfig`` has these)."""

    image_builder_repo: str | None
    tooling_manifest: str
    tooling_tag_prefix: str


class LazyTooling:
    """A tooling source made when first asked."""

    def __init__(self, make: Callable[[], ToolingSource], label: str, location: str):
        self._make = make
        self._source: ToolingSource | None = None
        self.label = label
        self.location = location

    def _get(self) -> ToolingSource:
        if self._source is None:
            self._source = self._make()
        return self._source

    def tags(self) -> dict[Version, str]:
        return self._get().tags()

    def has_version(self, version: Version) -> bool:
        return self._get().has_version(version)

    def tag_of(self, version: Version) -> str | None:
        return self._get().tag_of(version)

    def versions(self) -> list[Version]:
        return self._get().versions()

    def newest(self, count: int = 3) -> list[str]:
        return self._get().newest(count)

    def manifest(self, version: Version) -> ManifestAnswer:
        return self._get().manifest(version)


def open_tooling(tooling_repo: str | None, image_builder_repo: str | None, *,
                 manifest_path: str = "os-tooling.yaml", tag_prefix: str = "v",
                 settings: Callable[[], ghc.ClientSettings] = ghc.ClientSettings.from_env,
                 from_asset: bool = False) -> ToolingSource | None:
    """The tooling source the options name, or None when they name none. ``settings`` makes
    the GitHub client's settings (token, API URL) when GitHub is first asked."""
    if tooling_repo:
        return LocalTooling(tooling_repo, manifest_path=manifest_path, tag_prefix=tag_prefix)
    if not image_builder_repo:
        return None
    full_name = ghc.check_repo_name(image_builder_repo)
    kind = GitHubAssetTooling if from_asset else GitHubTooling

    def make() -> ToolingSource:
        return kind.from_settings(settings(), full_name, manifest_path=manifest_path,
                                  tag_prefix=tag_prefix)

    return LazyTooling(make, *kind.names(full_name))


def tooling_for(tooling_repo: str | None, config: ToolingSettings, *,
                image_builder_repo: str | None = None, manifest_path: str | None = None,
                settings: Callable[[], ghc.ClientSettings] = ghc.ClientSettings.from_env,
                ) -> ToolingSource | None:
    """The tooling source of a command that has a store config: ``--tooling-repo``, else
    ``--image-builder-repo``, else the config's ``imageBuilderRepo``, else none."""
    return open_tooling(tooling_repo, image_builder_repo or config.image_builder_repo,
                        manifest_path=manifest_path or config.tooling_manifest,
                        tag_prefix=config.tooling_tag_prefix, settings=settings)
