"""Which gated release files are published: they exist at the base revision of the change.

A release is looked up at its own path and, when it now sits in ``archived/``, at the path it
was published under (see ``core.published.published_candidates``). The base text comes from
the local git repository, or for a pull request from the GitHub API at the PR's base commit
when the local checkout does not have that commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from os_tooling.adapters import git
from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.files import decode_text
from os_tooling.core.published import Published, published_candidates
from os_tooling.errors import UsageError


def relative_in_repo(repo_root: Path, path: Path) -> str | None:
    """``path`` relative to the repository root, or None when it lies outside."""
    try:
        return path.resolve().relative_to(repo_root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def top_prefix(repo_root: Path) -> str:
    """Where ``repo_root`` sits in its git repository (``""`` at the top, ``releases/`` below)."""

    return git.run(["rev-parse", "--show-prefix"], repo_root).strip()


def exists_at(repo_root: Path, commit: str, relative: str, prefix: str | None = None) -> bool:
    """``relative`` (from ``repo_root``) is in the tree of ``commit``."""

    path = (top_prefix(repo_root) if prefix is None else prefix) + relative
    return bool(git.run(["ls-tree", "-z", "--full-tree", commit, "--", path], repo_root,
                        check=False).strip("\0"))


def published_from_git(repo_root: Path, base_commit: str, relative: str,
                       prefix: str | None = None) -> Published | None:

    prefix = top_prefix(repo_root) if prefix is None else prefix
    for candidate in published_candidates(relative):
        text = git.show_file(repo_root, base_commit, prefix + candidate)  # from the git top
        if text is not None:
            return Published(candidate, text)
    return None


def has_commit(repo_root: Path, sha: str) -> bool:
    """The local repository at ``repo_root`` has commit ``sha``."""

    if not sha or git.toplevel(repo_root) is None:
        return False
    try:
        git.resolve_commit(repo_root, sha)
    except git.GitError:
        return False
    return True


def published_from_pull(repo: Any, full_name: str, base_sha: str, relative: str,
                        repo_root: Path, local_base: bool) -> Published | None:
    """The release at the pull request's base commit: from the local repository when it has
    that commit (``local_base``), else through the contents API (404: not published)."""
    if local_base:
        return published_from_git(repo_root, base_sha, relative)

    for candidate in published_candidates(relative):
        try:
            content = repo.get_contents(candidate, ref=base_sha)
        except Exception as exc:
            if ghc.is_github_error(exc) and ghc.status_of(exc) == 404:
                continue
            if ghc.is_github_error(exc):
                raise UsageError(ghc.explain(exc, f"reading {candidate} of {full_name} at the "
                                             "pull request's base")) from None
            raise
        if isinstance(content, list):
            continue  # a directory there: not a published release file
        return Published(candidate, decode_text(content.decoded_content,
                                                f"{full_name}:{candidate}", "release file"))
    return None
