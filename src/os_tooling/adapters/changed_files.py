"""Which release files a change touches: between ``--base-ref`` and HEAD in a local git
repository (the PR's own commits, like GitHub's three-dot diff), or a pull request's files
through the GitHub API (``--pr``).

Added, modified and retyped release files count; deleted files and moves of a release to
``archived/`` unchanged do not, whatever the folder (retired provider folders such as ``aws/`` or
``kvm/`` are archived too): those moves are counted, so that a report can say what happened.
A file named like a release file that does not follow the layout
(``capa/35.0.1/release.yaml``, ``capa/v35.0.0/release.yml``) counts too: the gate reports it as an
error rather than letting a PR slip past it. So does an unchanged release moved anywhere else
(``capa/v34.5.0`` renamed to ``capa/v35.2.0``): its name no longer agrees with its place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from os_tooling.adapters import git
from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.files import check_inside, decode_text, read_bytes, safe_relative_path
from os_tooling.core.release_cr import ARCHIVED, RELEASE_DIRECTORIES, is_version_folder, parse_release_path
from os_tooling.errors import UsageError

RELEASE_FILE_NAMES = ("release.yaml", "release.yml")


@dataclass
class ReleaseChanges:
    """What a change does to release files."""

    files: list[str] = field(default_factory=list)  # to gate, relative to the repository root
    archived: list[str] = field(default_factory=list)  # moved unchanged into archived/: not gated


def is_release_file(relative: str) -> bool:
    """``capa/v34.5.0/release.yaml`` (relative to the repository root) follows the layout."""
    location = parse_release_path(relative)
    return location is not None and str(location.root) == "."


def is_gated_file(relative: str) -> bool:
    """A release file of the layout, or a file that looks meant to be one: named release.yaml
    or release.yml under a provider directory or in a ``v<digit>...`` folder. Those are gated so
    that the gate says they are outside the layout, instead of not looking at them."""
    if is_release_file(relative):
        return True
    parts = relative.split("/")
    if parts[-1].lower() not in ("release.yaml", "release.yml"):
        return False
    parent = parts[-2] if len(parts) > 1 else ""
    return parts[0] in RELEASE_DIRECTORIES or is_version_folder(parent)


def is_archiving(old: str, new: str) -> bool:
    """``<dir>/v<version>/release.yaml`` -> ``<dir>/archived/v<version>/release.yaml``, for any
    folder ``<dir>``: today's provider directories and retired ones (``aws/``, ``kvm/``) alike."""
    before, after = PurePosixPath(old).parts, PurePosixPath(new).parts
    return (len(before) >= 3 and before[-1] in RELEASE_FILE_NAMES and is_version_folder(before[-2])
            and before[-3] != ARCHIVED
            and after == (*before[:-2], ARCHIVED, *before[-2:]))


def changed_release_files(repo_root: Path, base_ref: str) -> list[str]:
    """Release files changed between ``base_ref`` and HEAD, relative to ``repo_root``."""
    return release_changes(repo_root, base_ref).files


def release_changes(repo_root: Path, base_ref: str) -> ReleaseChanges:
    """Release files changed between ``base_ref`` and HEAD (relative to ``repo_root``), and
    those only moved into ``archived/``."""

    base = git.resolve_commit(repo_root, base_ref)
    head = git.resolve_commit(repo_root, "HEAD")
    out = git.run(["diff", "--name-status", "-z", "--relative", "--find-renames",
                   f"{base}...{head}", "--"], repo_root)
    changes = release_changes_from_name_status(out)
    return ReleaseChanges(sorted(changes.files), sorted(changes.archived))


def release_files_from_name_status(out: str) -> list[str]:
    """Parse ``git diff --name-status -z`` output into the changed release files."""
    return release_changes_from_name_status(out).files


def release_changes_from_name_status(out: str) -> ReleaseChanges:
    """Parse ``git diff --name-status -z`` output: release files to gate and release files
    moved unchanged into ``archived/`` (each once, in the diff's order)."""
    fields = out.split("\0")
    files: list[str] = []
    archived: list[str] = []
    i = 0
    while i < len(fields):
        status = fields[i]
        if not status:
            i += 1
            continue
        kind = status[0]
        if kind in "RC":  # R<score> old new / C<score> old new
            old = fields[i + 1] if i + 1 < len(fields) else ""
            new = fields[i + 2] if i + 2 < len(fields) else ""
            i += 3
            if kind == "R" and status[1:] == "100" and is_archiving(old, new):
                archived.append(new)
            elif is_gated_file(new):
                files.append(new)
            continue
        path = fields[i + 1] if i + 1 < len(fields) else ""
        i += 2
        if kind in "AMT" and is_gated_file(path):
            files.append(path)
    return ReleaseChanges(list(dict.fromkeys(files)), list(dict.fromkeys(archived)))


# -- a pull request's files through the GitHub API --------------------------------------------
@dataclass(frozen=True)
class PullFile:
    path: str  # relative to the repository root
    blob_sha: str  # of the PR head's version
    head_sha: str  # commit to read it from when the local checkout differs
    base_sha: str = ""  # the PR's base commit: a release that exists there is published


def release_files_from_pull(files: Iterable[Mapping[str, object]]) -> list[tuple[str, str]]:
    """``(filename, blob sha)`` of the release files in GitHub's pull request file list:
    added/modified/changed/copied/renamed ones, except a release moved unchanged to archived/."""
    out = []
    for f in files:
        name, status = str(f.get("filename") or ""), f.get("status")
        if status == "removed" or _archived_unchanged(f):
            continue
        if is_gated_file(name):
            out.append((name, str(f.get("sha") or "")))
    return sorted(set(out))


def archived_from_pull(files: Iterable[Mapping[str, object]]) -> list[str]:
    """The release files a pull request only moves into archived/ (not gated, but counted)."""
    return sorted({str(f.get("filename") or "") for f in files if _archived_unchanged(f)})


def _archived_unchanged(f: Mapping[str, object]) -> bool:
    return f.get("status") == "renamed" and not f.get("changes") and is_archiving(
        str(f.get("previous_filename") or ""), str(f.get("filename") or ""))


def pull_release_files(repo: Any, full_name: str, number: int) -> tuple[list[PullFile], list[str]]:
    """The release files of pull request ``number`` (``repo``: a PyGithub repository from
    ``adapters.github_client.open_repo``), and those it only moves into archived/; a GitHub
    failure is a UsageError (exit 2)."""

    doing = f"reading the files of pull request #{number} of {full_name}"
    try:
        pull = repo.get_pull(number)
        files = [{"filename": f.filename, "status": f.status, "changes": f.changes, "sha": f.sha,
                  "previous_filename": f.previous_filename} for f in pull.get_files()]
        head, base = pull.head.sha, pull.base.sha
    except Exception as exc:
        if ghc.is_github_error(exc):
            raise UsageError(ghc.explain(exc, doing)) from None
        raise
    return ([PullFile(safe_relative_path(name, "file name in the pull request"), sha, head, base)
             for name, sha in release_files_from_pull(files)], archived_from_pull(files))


def pull_base_sha(repo: Any, full_name: str, number: int) -> str:
    """The base commit of pull request ``number``; a GitHub failure is a UsageError (exit 2)."""
    try:
        return str(repo.get_pull(number).base.sha)
    except Exception as exc:
        if ghc.is_github_error(exc):
            raise UsageError(ghc.explain(exc, f"reading pull request #{number} of {full_name}")) from None
        raise


def git_blob_sha(data: bytes) -> str:
    """The id git (and GitHub's file list) gives a file's content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_pull_file(repo: Any, full_name: str, file: PullFile, local: Path, root: Path) -> str:
    """The PR head's text of ``file``: the local checkout (under ``root``) when it has exactly
    that content (the usual case in a workflow), else the contents API at the PR's head commit.
    A local file that leads out of ``root`` is refused, not replaced by the API's answer."""

    check_inside(local, root, "release file")
    try:
        data = read_bytes(local, "release file", root=root)
        if git_blob_sha(data) == file.blob_sha:
            return decode_text(data, str(local), "release file")
    except UsageError:
        pass  # not in this checkout (or not that version): ask GitHub
    try:
        content = repo.get_contents(file.path, ref=file.head_sha)
    except Exception as exc:
        if ghc.is_github_error(exc):
            raise UsageError(ghc.explain(exc, f"reading {file.path} of {full_name}")) from None
        raise
    if isinstance(content, list):
        raise UsageError(f"{file.path} of {full_name} is a directory")
    if getattr(content, "type", "file") != "file" or not isinstance(content.decoded_content, bytes):
        raise UsageError(f"{file.path} of {full_name} is not a regular file "
                         f"({getattr(content, 'type', 'unknown')})")
    return decode_text(content.decoded_content, f"{full_name}:{file.path}", "release file")
