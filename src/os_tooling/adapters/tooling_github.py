"""os-tooling versions as tags of capi-image-builder on GitHub, and the binaries they hold.

The GitHub sibling of ``adapters.tooling_repo.LocalToolingRepo`` with the same methods
(``tags``, ``has_version``, ``versions``, ``manifest``), so ``describe``, ``diff`` and the gate
take either. Two ways to read a version's binaries:

- ``source="contents"``: the manifest file at the tag (contents API, ``ref=<tag>``);
- ``source="asset"``: the ``os-tooling.json`` asset that ``release`` attaches (tools with
  versions and providers; no policy, no annotations).

Errors talking to GitHub raise ``ToolingRepoError`` (one line; ``usage`` is True for setup
problems such as a bad token or an unknown repository). Each answer is cached per instance.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.files import decode_text
from os_tooling.adapters.tooling_repo import ManifestAnswer, TaggedVersions
from os_tooling.core.manifest import Manifest, Tool, parse_manifest
from os_tooling.core.versions import Version, VersionError, version_from_tag
from os_tooling.errors import ServiceError

if TYPE_CHECKING:
    from github.Repository import Repository

ASSET_NAME = "os-tooling.json"
MAX_ASSET_BYTES = 5 * 1024 * 1024


class ToolingRepoError(ServiceError):
    """A tag or manifest of the tooling repository on GitHub cannot be read."""


class GitHubToolingRepo(TaggedVersions):
    def __init__(self, repo: Repository, full_name: str, *, manifest_path: str = "os-tooling.yaml",
                 tag_prefix: str = "v", source: str = "contents"):
        if source not in ("contents", "asset"):
            raise ValueError(f"unknown source {source!r}")
        self.repo = repo
        self.full_name = full_name
        self.manifest_path = manifest_path
        self.tag_prefix = tag_prefix
        self.source = source
        self._tags: dict[Version, str] | None = None
        self._manifests: dict[Version, ManifestAnswer] = {}

    @classmethod
    def from_settings(cls, settings: ghc.ClientSettings, full_name: str, **kwargs: Any
                      ) -> GitHubToolingRepo:
        return cls(ghc.open_repo(ghc.build_client(settings), full_name), full_name, **kwargs)

    def _call(self, doing: str, call: Any) -> Any:
        from github import UnknownObjectException

        try:
            return call()
        except UnknownObjectException:
            return None
        except Exception as exc:
            if ghc.is_github_error(exc):
                raise ToolingRepoError(ghc.explain(exc, f"{doing} ({self.full_name})"),
                                       usage=ghc.is_auth_problem(exc)) from None
            raise

    def tags(self) -> dict[Version, str]:
        if self._tags is None:
            refs = self._call("listing tags", lambda: list(
                self.repo.get_git_matching_refs(f"tags/{self.tag_prefix}")))
            if refs is None:  # 404: the repository itself is unknown (or invisible)
                raise ToolingRepoError(f"GitHub repository {self.full_name} not found (or the "
                                       "token cannot see it)", usage=True)
            tags: dict[Version, str] = {}
            for ref in refs:
                name = ref.ref.removeprefix("refs/tags/")
                version = version_from_tag(name, self.tag_prefix)
                if version is not None:
                    tags[version] = name
            self._tags = tags
        return self._tags

    def manifest(self, version: Version) -> ManifestAnswer:
        """The binaries of a version, or why there is none (tag, file or asset missing or
        invalid); cached per version."""
        if version not in self._manifests:
            self._manifests[version] = self._load(version)
        return self._manifests[version]

    def _load(self, version: Version) -> ManifestAnswer:
        tag = self.tags().get(version)
        if tag is None:
            return ManifestAnswer(None, f"no tag {self.tag_prefix}{version.core} in {self.full_name}")
        if self.source == "asset":
            return self._from_asset(tag)
        content = self._call(f"reading {self.manifest_path} at {tag}",
                             lambda: self.repo.get_contents(self.manifest_path, ref=tag))
        if content is None or isinstance(content, list):
            return ManifestAnswer(None, f"{self.manifest_path} does not exist at {tag}")

        try:
            text = decode_text(content.decoded_content, f"{tag}:{self.manifest_path}")
        except Exception as exc:  # UsageError: not text
            return ManifestAnswer(None, str(exc))
        report = parse_manifest(text, f"{tag}:{self.manifest_path}")
        if report.manifest is None:
            return ManifestAnswer(None, f"{tag}:{self.manifest_path} is invalid: " + "; ".join(
                e.message for e in report.errors[:3]))
        return ManifestAnswer(report.manifest)

    def _from_asset(self, tag: str) -> ManifestAnswer:
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
