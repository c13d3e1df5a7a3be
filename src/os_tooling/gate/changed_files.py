"""Which release files a change touches: between ``--base-ref`` and HEAD in a local git
repository (the PR's own commits, like GitHub's three-dot diff).

Added, modified and retyped ``release.yaml`` files that follow the layout count; deleted files
and pure renames (moving a release to ``archived/`` unchanged) do not.
"""

from __future__ import annotations

from pathlib import Path

from os_tooling.core.release_cr import parse_release_path


def is_release_file(relative: str) -> bool:
    """``capa/v34.5.0/release.yaml`` (relative to the repository root) follows the layout."""
    location = parse_release_path(relative)
    return location is not None and str(location.root) == "."


def changed_release_files(repo_root: Path, base_ref: str) -> list[str]:
    """Release files changed between ``base_ref`` and HEAD, relative to ``repo_root``."""
    from os_tooling.adapters import git

    base = git.resolve_commit(repo_root, base_ref)
    head = git.resolve_commit(repo_root, "HEAD")
    out = git.run(["diff", "--name-status", "-z", "--relative", "--find-renames",
                   f"{base}...{head}", "--"], repo_root)
    return sorted(set(release_files_from_name_status(out)))


def release_files_from_name_status(out: str) -> list[str]:
    """Parse ``git diff --name-status -z`` output into the changed release files."""
    fields = out.split("\0")
    files: list[str] = []
    i = 0
    while i < len(fields):
        status = fields[i]
        if not status:
            i += 1
            continue
        kind = status[0]
        if kind in "RC":  # R<score> old new / C<score> old new
            new = fields[i + 2] if i + 2 < len(fields) else ""
            i += 3
            pure_rename = kind == "R" and status[1:] == "100"
            if not pure_rename and is_release_file(new):
                files.append(new)
            continue
        path = fields[i + 1] if i + 1 < len(fields) else ""
        i += 2
        if kind in "AMT" and is_release_file(path):
            files.append(path)
    return files
