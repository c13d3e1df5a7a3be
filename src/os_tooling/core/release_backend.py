"""The release back-end interface: tags and releases of one repository.

Shaped like python-semantic-release's ``hvcs/``: each hosting service is one module with one
class; the orchestration (``service.py``) only talks to this interface, so a back end is
replaceable in tests and a new one (GitLab, Gitea) is one file.

Contract for implementations:

- ``create_tag`` makes an *annotated* tag at a commit, never moves or overwrites a tag: when
  the name exists it raises ``TagExists`` carrying the commit the tag points at;
- ``create_release`` and ``upload_asset`` are idempotent: when the release (or the asset of
  that name) already exists they return it instead of failing, so a replayed request and a
  concurrent run both end with exactly one;
- errors that a person must act on raise ``BackendError`` with one clear line (and
  ``usage=True`` when it is a setup problem: bad token, missing permission, unknown repo).

The history helpers (``commit_of``, ``file_at``, ``commits_between``, ``changed_files``,
``relation``) answer from the back end when the local clone lacks the objects (a shallow CI
checkout); the local back end answers from git itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from os_tooling.core.versions import Version
from os_tooling.errors import ServiceError

ASSET_NAME = "os-tooling.json"


class BackendError(ServiceError):
    """A back-end operation failed; the message is one line for a person."""


class TagExists(BackendError):
    def __init__(self, name: str, commit: str | None):
        super().__init__(f"tag {name} already exists"
                         + (f" on commit {commit[:12]}" if commit else ""))
        self.name = name
        self.commit = commit


@dataclass(frozen=True)
class TagRef:
    """A version tag as the back end lists it; ``commit`` is filled when known cheaply."""

    name: str
    version: Version | None  # None when looked up by name alone
    target: str  # the sha the ref points at (a tag object for an annotated tag)
    target_type: str = "tag"  # "tag" (annotated) or "commit" (lightweight)
    commit: str | None = None


@dataclass(frozen=True)
class ReleaseInfo:
    tag: str
    url: str | None = None  # the release page (None for the local back end)
    body: str = ""
    assets: tuple[str, ...] = ()
    id: int | None = None
    upload_url: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


class ReleaseBackend(Protocol):
    name: str  # "github" | "local" (`backend` in release's JSON)
    location: str  # e.g. "acme/capi-image-builder" or a path, for messages

    # -- tags ----------------------------------------------------------------------------------
    def version_tags(self, prefix: str) -> list[TagRef]:
        """Tags whose name is ``prefix`` + a semantic version (others ignored), any order."""
        ...

    def find_tag(self, name: str) -> TagRef | None:
        ...

    def commit_of(self, tag: TagRef) -> str:
        """The commit a tag points at (annotated tags peeled)."""
        ...

    def create_tag(self, name: str, commit: str, message: str) -> TagRef:
        """An annotated tag; raises ``TagExists`` (with the existing commit) if the name is taken."""
        ...

    def tag_message(self, tag: TagRef) -> str | None:
        """The message of an annotated tag (None for a lightweight one)."""
        ...

    # -- releases ------------------------------------------------------------------------------
    def find_release(self, tag: str) -> ReleaseInfo | None:
        ...

    def create_release(self, tag: str, title: str, notes: str) -> tuple[ReleaseInfo, bool]:
        """The release of ``tag`` and whether this call created it (False: it existed)."""
        ...

    def upload_asset(self, release: ReleaseInfo, name: str, data: bytes,
                     content_type: str) -> bool:
        """Attach an asset; False when an asset of that name was already there."""
        ...

    # -- history the local clone may lack ------------------------------------------------------
    def file_at(self, commit: str, path: str) -> str | None:
        ...

    def commits_between(self, base: str, head: str) -> list[tuple[str, str]]:
        """``(sha, message)`` of the commits in ``head`` but not in ``base``."""
        ...

    def changed_files(self, base: str, head: str) -> tuple[list[str], bool]:
        """Paths changed from ``base`` to ``head`` (a rename: both paths), and whether the list
        is complete (a hosting API may cap it)."""
        ...

    def relation(self, base: str, head: str) -> str:
        """``identical``, ``ahead`` (head descends from base), ``behind`` or ``diverged``."""
        ...

    def pr_labels(self, commits: set[str]) -> list[tuple[str, int]]:
        """``(label, pr number)`` of the merged pull requests whose merge commit is in ``commits``."""
        ...
