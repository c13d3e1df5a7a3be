"""The release branch: releases are made only from it.

A release tags HEAD. A tag on a feature branch's commit takes the next version away from the
release branch, whose next release then finds the newest tag outside its own history and
stops until someone deletes that tag. So ``release`` first checks that HEAD is on the
release branch.

The release branch is, first that answers:

1. ``--release-branch NAME``;
2. in GitHub Actions, the repository's default branch from the event payload
   (``repository.default_branch``);
3. the remote's default branch, ``refs/remotes/origin/HEAD`` (set by ``git clone``);
4. ``main`` or ``master``, when exactly one of them exists (as a local branch or on origin).

HEAD is on it when any of these holds:

- that branch is checked out;
- in GitHub Actions, the run is for that branch (``GITHUB_REF=refs/heads/NAME``) and HEAD is
  the run's commit (``GITHUB_SHA``): ``actions/checkout`` may leave HEAD detached;
- HEAD's commit is in the history of the local branch or of ``origin/NAME`` (its tip, or an
  older commit: a rerun for an earlier push, which the release then finds contained or
  releases in order).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters.github_event import read_event
from os_tooling.errors import UsageError

REMOTE = "origin"
CONVENTIONAL = ("main", "master")


@dataclass(frozen=True)
class ReleaseBranch:
    name: str | None  # None: no rule above could tell
    source: str  # where the name came from, for messages
    ci_ref: str | None = None  # GITHUB_REF, in GitHub Actions
    ci_sha: str | None = None  # GITHUB_SHA, in GitHub Actions

    def problem(self, root: Path, head: str) -> str | None:
        """None when HEAD is on the release branch; else one line saying why not."""
        if self.name is None:
            return ("cannot tell the release branch (no --release-branch, no default branch in "
                    f"the event, no {REMOTE}/HEAD, and not exactly one of main and master): name "
                    "it with --release-branch")
        if _current_branch(root) == self.name:
            return None
        if self.ci_ref == f"refs/heads/{self.name}" and self.ci_sha == head:
            return None
        for ref in (f"refs/heads/{self.name}", f"refs/remotes/{REMOTE}/{self.name}"):
            tip = _commit(root, ref)
            if tip is not None and (tip == head or _is_ancestor(root, head, tip)):
                return None
        where = _current_branch(root)
        at = f"branch {where}" if where else "a detached HEAD"
        return (f"HEAD ({head[:12]}, {at}) is not on the release branch {self.name} "
                f"({self.source}): releases are made only from {self.name}; check it out (or "
                "fetch it), or name another with --release-branch")


def resolve(root: Path, option: str | None, environ: Mapping[str, str]) -> ReleaseBranch:
    """The release branch by the rules of this module; a bad name is a usage error."""
    in_actions = environ.get("GITHUB_ACTIONS") == "true"
    ci_ref = environ.get("GITHUB_REF") if in_actions else None
    ci_sha = environ.get("GITHUB_SHA") if in_actions else None
    if option:
        return ReleaseBranch(_checked(root, option, "--release-branch"), "--release-branch",
                             ci_ref, ci_sha)
    if in_actions:
        default = _event_default_branch(environ)
        if default:
            return ReleaseBranch(_checked(root, default, "the event's repository.default_branch"),
                                 "the repository's default branch", ci_ref, ci_sha)
    remote_head = git.run(["symbolic-ref", "--quiet", f"refs/remotes/{REMOTE}/HEAD"], root,
                          check=False).strip()
    prefix = f"refs/remotes/{REMOTE}/"
    if remote_head.startswith(prefix):
        return ReleaseBranch(remote_head[len(prefix):], f"{REMOTE}/HEAD", ci_ref, ci_sha)
    present = [name for name in CONVENTIONAL
               if _commit(root, f"refs/heads/{name}") or _commit(root, f"{prefix}{name}")]
    if len(present) == 1:
        return ReleaseBranch(present[0], f"the only one of {' and '.join(CONVENTIONAL)}",
                             ci_ref, ci_sha)
    return ReleaseBranch(None, "unknown", ci_ref, ci_sha)


def _event_default_branch(environ: Mapping[str, str]) -> str | None:
    return read_event(environ).default_branch


def _checked(root: Path, name: str, what: str) -> str:
    git.check_ref(name)
    if git.run(["check-ref-format", "--branch", name], root, check=False).strip() != name:
        raise UsageError(f"{what}: {name!r} is not a valid branch name")
    return name


def _current_branch(root: Path) -> str | None:
    name = git.run(["symbolic-ref", "--quiet", "--short", "HEAD"], root, check=False).strip()
    return name or None


def _commit(root: Path, ref: str) -> str | None:
    sha = git.run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root,
                  check=False).strip()
    return sha or None


def _is_ancestor(root: Path, commit: str, tip: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", commit, tip], cwd=root,
                          capture_output=True, timeout=git.GIT_TIMEOUT).returncode == 0
