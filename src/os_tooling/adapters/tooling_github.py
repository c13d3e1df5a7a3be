"""Tooling sources over the image builder repository on GitHub (``--image-builder-repo`` or
the store config's ``imageBuilderRepo``), through the shared client:

- ``GitHubTooling``: the manifest file at the tag (contents API, ``ref=<tag>``);
- ``GitHubAssetTooling``: the ``os-tooling.json`` asset that ``release`` attaches to the tag's
  GitHub release (tools with versions and providers; no policy, no annotations).

A setup problem (bad token, missing permission, unknown repository) is a ``UsageError``
(exit 2); GitHub failing after the client's retries is a ``ToolingLookupError`` (exit 1).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.files import decode_text
from os_tooling.core.manifest import Manifest, Tool, parse_manifest
from os_tooling.core.tooling_source import ManifestAnswer, TaggedTooling, ToolingLookupError
from os_tooling.core.versions import Version, VersionError, version_from_tag
from os_tooling.errors import UsageError

if TYPE_CHECKING:
    from github.Repository import Repository

ASSET_NAME = "os-tooling.json"
MAX_ASSET_BYTES = 5 * 1024 * 1024


class GitHubTooling(TaggedTooling):
    def __init__(self, repo: Repository, full_name: str, *, manifest_path: str = "os-tooling.yaml",
                 tag_prefix: str = "v"):
        super().__init__()
        self.repo = repo
        self.full_name = full_name
        self.manifest_path = manifest_path
        self.tag_prefix = tag_prefix
        self.label, self.location = self.names(full_name)

    @staticmethod
    def names(full_name: str) -> tuple[str, str]:
        """``(label, location)`` of this source for ``full_name``, before it is made."""
        return f"{full_name} on GitHub", f"{full_name} (GitHub)"

    @classmethod
    def from_settings(cls, settings: ghc.ClientSettings, full_name: str, **kwargs: Any
                      ) -> GitHubTooling:
        return cls(ghc.open_repo(ghc.build_client(settings), full_name), full_name, **kwargs)

    def _call(self, doing: str, call: Any) -> Any:
        return ghc.read_or_none(f"{doing} ({self.full_name})", call, ToolingLookupError)

    def _no_tag(self, version: Version) -> str:
        return f"no tag {self.tag_prefix}{version.core} in {self.full_name}"

    def _read_tags(self) -> dict[Version, str]:
        refs = self._call("listing tags", lambda: list(
            self.repo.get_git_matching_refs(f"tags/{self.tag_prefix}")))
        if refs is None:  # 404: the repository itself is unknown (or invisible)
            raise UsageError(f"GitHub repository {self.full_name} not found (or the token cannot "
                             "see it)")
        tags: dict[Version, str] = {}
        for ref in refs:
            name = ref.ref.removeprefix("refs/tags/")
            version = version_from_tag(name, self.tag_prefix)
            if version is not None:
                tags[version] = name
        return tags

    def _read_manifest(self, version: Version, tag: str) -> ManifestAnswer:
        content = self._call(f"reading {self.manifest_path} at {tag}",
                             lambda: self.repo.get_contents(self.manifest_path, ref=tag))
        if content is None or isinstance(content, list):
            return ManifestAnswer(None, f"{self.manifest_path} does not exist at {tag}")
        try:
            text = decode_text(content.decoded_content, f"{tag}:{self.manifest_path}")
        except UsageError as exc:  # not text
            return ManifestAnswer(None, str(exc))
        report = parse_manifest(text, f"{tag}:{self.manifest_path}")
        if report.manifest is None:
            return ManifestAnswer(None, f"{tag}:{self.manifest_path} is invalid: " + "; ".join(
                e.message for e in report.errors[:3]))
        return ManifestAnswer(report.manifest)


class GitHubAssetTooling(GitHubTooling):
    """The binaries of a version from the ``os-tooling.json`` asset of its GitHub release."""

    @staticmethod
    def names(full_name: str) -> tuple[str, str]:
        return f"{full_name} ({ASSET_NAME} asset)", f"{full_name} ({ASSET_NAME} asset)"

    def _read_manifest(self, version: Version, tag: str) -> ManifestAnswer:
        release = self._call(f"reading the release of {tag}", lambda: self.repo.get_release(tag))
        if release is None:
            return ManifestAnswer(None, f"{tag} has no GitHub release")
        asset = next((a for a in release.assets if a.name == ASSET_NAME), None)
        if asset is None:
            return ManifestAnswer(None, f"the release of {tag} has no {ASSET_NAME} asset")
        if asset.size > MAX_ASSET_BYTES:
            return ManifestAnswer(None, f"{ASSET_NAME} of {tag} is too large ({asset.size} "
                                  "bytes)")

        def download() -> bytes:
            _status, _headers, chunks = asset.download_asset(None, chunk_size=65536)
            return b"".join(chunks)

        data = self._call(f"downloading {ASSET_NAME} of {tag}", download)
        try:
            return ManifestAnswer(manifest_from_payload(json.loads(data)))
        except RecursionError:
            return ManifestAnswer(None, f"{ASSET_NAME} of {tag} is not a valid payload: nested too "
                                  "deeply")
        except (ValueError, TypeError, KeyError, VersionError) as exc:
            return ManifestAnswer(None, f"{ASSET_NAME} of {tag} is not a valid payload: {exc}")


def manifest_from_payload(data: object) -> Manifest:
    """The tools of an ``os-tooling.json`` payload as a Manifest (default policy); a payload of
    another shape is a ValueError saying where, never an AttributeError deep inside."""
    tools_data = data.get("tools") if isinstance(data, dict) else None
    if not isinstance(tools_data, list):
        raise ValueError('expected an object {"tools": [...]}')
    tools = []
    for index, item in enumerate(tools_data):
        if not isinstance(item, dict):
            raise ValueError(f"tools[{index}] is not an object")
        name, version, providers = item.get("name"), item.get("version"), item.get("providers") or []
        if not isinstance(name, str) or not isinstance(version, str):
            raise ValueError(f"tools[{index}]: name and version must be strings")
        if not isinstance(providers, list) or not all(isinstance(p, str) for p in providers):
            raise ValueError(f"tools[{index}]: providers must be a list of strings")
        tools.append(Tool(name, Version.parse(version), tuple(providers)))
    return Manifest(tuple(tools))
