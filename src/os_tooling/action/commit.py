"""Commit what ``bump`` changed to the release PR's branch.

One signed-off commit (``git commit --signoff``) by the workflow's identity, holding exactly the
release files bump wrote, and only when it wrote something; then a push of HEAD to the PR's
head branch. File paths come from the PR: they are passed to git as literal pathspecs after
``--``, never through a shell. Pushing uses the credentials actions/checkout left in the
repository (``persist-credentials``); a push with ``GITHUB_TOKEN`` starts no workflow, so the
example workflows check out with a GitHub App token.
"""

from __future__ import annotations

import re
from pathlib import Path

from os_tooling.action.inputs import Inputs
from os_tooling.action.runner import Annotation, Runner
from os_tooling.adapters import git
from os_tooling.adapters.github_event import Event
from os_tooling.errors import UsageError

DEFAULT_NAME = "github-actions[bot]"
DEFAULT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def commit_message(data: dict) -> str:
    """``Bump os-tooling to 1.35.0`` and one line per file (control characters removed)."""
    bumped = [r for r in data.get("releases") or []
              if isinstance(r, dict) and r.get("status") == "bumped"]
    targets = sorted({str(r.get("to")) for r in bumped})
    title = (f"Bump os-tooling to {targets[0]}" if len(targets) == 1
             else f"Bump os-tooling in {len(bumped)} release files")
    lines = [f"- {r.get('file')}: {r.get('from')} -> {r.get('to')}" for r in bumped]
    body = "\n".join(_CONTROL.sub(" ", line)[:300] for line in lines)
    return f"{_CONTROL.sub(' ', title)}\n\n{body}\n\nMade by the os-tooling action (bump).\n"


def identity(inputs: Inputs) -> tuple[str, str]:
    name = inputs.get("git-user-name", DEFAULT_NAME)
    email = inputs.get("git-user-email", DEFAULT_EMAIL)
    if _CONTROL.search(name) or any(c in name for c in "<>") or len(name) > 100:
        raise UsageError("input 'git-user-name' must be one line without '<' or '>'")
    if not _EMAIL.fullmatch(email) or len(email) > 200:
        raise UsageError(f"input 'git-user-email' is not an e-mail address: {email!r}")
    return name, email


def check_inputs(inputs: Inputs) -> None:
    """Fail on a bad identity or branch before bump writes anything."""
    identity(inputs)
    inputs.flag("commit", default=True)
    inputs.flag("push", default=True)
    branch = inputs.get("branch")
    if branch:
        _check_branch(branch, Path("."))


def _check_branch(branch: str, repo: Path) -> None:
    if branch.startswith("-") or git.run(["check-ref-format", "--branch", branch], repo,
                                         check=False).strip() != branch:
        raise UsageError(f"input 'branch': {branch!r} is not a valid branch name")


def head_branch(inputs: Inputs, event: Event, repo: Path) -> str:
    """The branch to push to: the input ``branch``, else the pull request's head branch, else
    the branch checked out."""

    pr = event.pull_request or {}
    branch = inputs.get("branch") or str((pr.get("head") or {}).get("ref") or "")
    if not branch:
        branch = git.run(["symbolic-ref", "--quiet", "--short", "HEAD"], repo, check=False).strip()
    if not branch:
        raise UsageError("bump cannot tell which branch to push to: give the input 'branch' "
                         "(the release PR's head branch)")
    _check_branch(branch, repo)
    return branch


def commit_bump(runner: Runner, inputs: Inputs, event: Event, data: dict) -> dict[str, str]:
    """The step's extra outputs: ``commit`` (the sha, empty when nothing was committed)."""

    files = [f for f in data.get("files") or [] if isinstance(f, str) and f]
    if not files or not data.get("written"):
        runner.log("bump: nothing changed, nothing to commit")
        return {"commit": ""}
    if not inputs.flag("commit", default=True):
        runner.log("bump: commit is false: the change stays in the working tree")
        return {"commit": ""}
    repo = Path(inputs.get("repo-root") or ".")
    top = git.toplevel(repo)
    if top is None:
        raise UsageError(f"bump cannot commit: {str(repo)!r} is not in a git repository")
    name, email = identity(inputs)
    branch = head_branch(inputs, event, repo) if inputs.flag("push", default=True) else ""
    try:
        git.run(["-c", f"user.name={name}", "-c", f"user.email={email}", "--literal-pathspecs",
                 "commit", "--quiet", "--no-verify", "--signoff", "--no-gpg-sign",
                 "--file=-", "--", *files], repo, input_text=commit_message(data))
    except git.GitError as exc:
        raise UsageError(f"bump could not commit the release files: {exc}") from None
    sha = git.run(["rev-parse", "HEAD"], repo).strip()
    where = f"commit {sha[:12]}"
    if branch:
        try:
            git.run(["push", "--quiet", "origin", f"HEAD:refs/heads/{branch}"], repo)
        except git.GitError as exc:
            raise UsageError(f"bump committed {sha[:12]} but could not push it to {branch!r}: "
                             f"{exc}") from None
        where += f" pushed to {branch}"
    runner.annotate(Annotation("notice", f"os-tooling bump: {len(files)} release file(s) in "
                               f"{where}", title="os-tooling bump"))
    return {"commit": sha}
