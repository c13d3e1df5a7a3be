"""The current release files of a releases repository: from a local folder, or from GitHub
through the git data API (one recursive tree call, then one blob call per release file outside
``archived/``; no clone).

Only ``<dir>/v<version>/release.yaml`` directly under the repository root is read, for the
release directories asked for. Archived releases are counted, never read. A release file that
is a symbolic link, too large or not text is not read: it comes back with the reason (the
caller reports it as an invalid release, so a live release is never silently lost).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.files import MAX_INPUT_BYTES, decode_text, read_text
from os_tooling.core.release_cr import ARCHIVED, RELEASE_DIRECTORIES, RELEASE_FILE
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError

_READABLE_MODES = ("100644", "100755")  # git modes of regular files
_SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class ReleaseFile:
    path: str  # relative to the repository root, with / separators
    text: str | None  # None when it was not read: see problem
    problem: str | None = None


@dataclass
class ReleaseListing:
    source: str  # for reports: the folder, or OWNER/NAME@REF
    files: list[ReleaseFile] = field(default_factory=list)
    archived: int = 0  # release files under archived/ (never read)


class ReleasesReadError(Exception):
    """GitHub could not be read after the retries (exit 1); setup problems are UsageError."""


def _version_folder(name: str) -> bool:
    return name.startswith("v") and not name.startswith("vv") and \
        Version.try_parse(name[1:]) is not None


# -- a local folder ---------------------------------------------------------------------------
def local_release_files(root: str | Path, directories: Iterable[str]) -> ReleaseListing:
    base = Path(root)
    if not base.is_dir():
        raise UsageError(f"releases folder {str(root)!r} is not a directory")
    wanted = list(directories)
    present = [d for d in RELEASE_DIRECTORIES if (base / d).is_dir()]
    if not present:
        raise UsageError(f"releases folder {str(root)!r} has none of the release directories "
                         f"({', '.join(RELEASE_DIRECTORIES)}): is it the releases repository root?")
    listing = ReleaseListing(str(root))
    for directory in wanted:
        folder = base / directory
        if not folder.is_dir():
            continue
        if folder.is_symlink():
            listing.files.append(ReleaseFile(f"{directory}/", None, "the release directory is "
                                             "a symbolic link: not read"))
            continue
        for entry in sorted(_scan(folder), key=lambda e: e.name):
            if entry.name == ARCHIVED:
                listing.archived += sum(1 for e in _scan(Path(entry.path))
                                        if _version_folder(e.name)
                                        and os.path.lexists(Path(e.path) / RELEASE_FILE))
                continue
            if not _version_folder(entry.name):
                continue
            relative = f"{directory}/{entry.name}/{RELEASE_FILE}"
            path = Path(entry.path) / RELEASE_FILE
            if entry.is_symlink() or path.is_symlink():
                if os.path.lexists(path):
                    listing.files.append(ReleaseFile(relative, None, "a symbolic link, not a "
                                                     "release file: not read"))
                continue
            if not path.is_file():
                continue
            try:
                listing.files.append(ReleaseFile(relative, _read_local(path, base)))
            except UsageError as exc:
                listing.files.append(ReleaseFile(relative, None, str(exc)))
    return listing


def _scan(folder: Path) -> list[os.DirEntry]:
    try:
        return list(os.scandir(folder))
    except OSError:
        return []


def _read_local(path: Path, root: Path) -> str:
    return read_text(path, "release file", root=root)  # regular files inside the repository


# -- GitHub -----------------------------------------------------------------------------------
def github_release_files(repo: Any, full_name: str, ref: str, directories: Iterable[str]
                         ) -> ReleaseListing:
    """``repo`` is a (lazy) PyGithub Repository. One tree call, one blob call per release file
    outside ``archived/`` (the same content is fetched once)."""
    wanted = set(directories)
    listing = ReleaseListing(f"{full_name}@{ref}")
    tree = _call(full_name, f"reading the tree of {ref}",
                 lambda: repo.get_git_tree(ref, recursive=True))
    if tree is None:
        raise UsageError(f"{ref!r} is not a branch, tag or commit of {full_name} (or the token "
                         "cannot see the repository)")
    if tree.truncated:
        raise ReleasesReadError(f"the tree of {full_name}@{ref} is too large for one API call "
                                "(GitHub truncated it): use a local checkout with --releases")
    wanted_blobs: list[tuple[str, str, int]] = []
    for element in tree.tree:
        parts = element.path.split("/")
        if parts[-1] != RELEASE_FILE or parts[0] not in wanted:
            continue
        if len(parts) == 4 and parts[1] == ARCHIVED and _version_folder(parts[2]):
            listing.archived += 1
            continue
        if len(parts) != 3 or not _version_folder(parts[1]):
            continue
        if element.type != "blob":
            continue  # a submodule or a folder named release.yaml: not a release file
        if element.mode == _SYMLINK_MODE:
            listing.files.append(ReleaseFile(element.path, None, "a symbolic link, not a "
                                             "release file: not read"))
        elif element.mode not in _READABLE_MODES:
            listing.files.append(ReleaseFile(element.path, None, f"git mode {element.mode}: not "
                                             "a regular file, not read"))
        elif (element.size or 0) > MAX_INPUT_BYTES:
            listing.files.append(ReleaseFile(element.path, None, f"{element.size} bytes: larger "
                                             f"than {MAX_INPUT_BYTES // (1024 * 1024)} MiB, not read"))
        else:
            wanted_blobs.append((element.path, element.sha, element.size or 0))
    texts: dict[str, ReleaseFile] = {}
    for path, sha, _size in sorted(wanted_blobs):
        if sha not in texts:
            texts[sha] = _blob(repo, full_name, path, sha)
        listing.files.append(ReleaseFile(path, texts[sha].text, texts[sha].problem))
    listing.files.sort(key=lambda f: f.path)
    return listing


def _blob(repo: Any, full_name: str, path: str, sha: str) -> ReleaseFile:
    blob = _call(full_name, f"reading {path}", lambda: repo.get_git_blob(sha))
    if blob is None:
        return ReleaseFile(path, None, f"blob {sha} is missing on GitHub")
    if blob.encoding != "base64":
        return ReleaseFile(path, None, f"GitHub sent the blob as {blob.encoding!r}, not base64")
    try:
        data = base64.b64decode(blob.content or "")
    except ValueError:
        return ReleaseFile(path, None, "GitHub sent a blob that is not valid base64")
    try:
        return ReleaseFile(path, decode_text(data, path, "release file"))
    except UsageError as exc:
        return ReleaseFile(path, None, str(exc))


def _call(full_name: str, doing: str, call: Any) -> Any:
    return ghc.read_or_none(f"{doing} ({full_name})", call, ReleasesReadError)
