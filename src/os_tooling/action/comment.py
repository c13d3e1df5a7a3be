"""One sticky comment per pull request and command, found by a hidden marker, edited in place.

Only a comment that starts with the marker *and* was written by the token's own user is ever
edited: anyone can paste the marker into a comment of their own. Where the token cannot
write (a pull request from a fork gets a read-only token; a workflow without
``pull-requests: write``), the report stays in the step summary and a notice says why: the
check itself does not fail for it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from os_tooling.action.runner import Annotation, Runner
from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.github_event import Event
from os_tooling.core.escape import md, terminal
from os_tooling.errors import UsageError

MAX_BODY = 65536  # GitHub's limit for a comment body
DEFAULT_BOT = "github-actions[bot]"  # who GITHUB_TOKEN writes as; GET /user is refused to it
_SAFE_URL_PART = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?")


def marker(key: str) -> str:
    if not re.fullmatch(r"[a-z0-9-]+", key):
        raise ValueError(f"bad comment key {key!r}")
    return f"<!-- os-tooling:{key} -->"


def compose(key: str, markdown: str, run_url: str | None = None) -> str:
    """The comment body: marker, report (already escaped Markdown), a link to the run."""
    head = marker(key) + "\n"
    foot = f"\n\n<sub>os-tooling {key} · [workflow run]({run_url})</sub>" if run_url else ""
    room = MAX_BODY - len(head) - len(foot) - 200
    body = terminal(markdown).strip()  # no raw control character, whatever the report holds
    if len(body) > room:
        body = body[:room].rsplit("\n", 1)[0] + ("\n\n... (cut to fit a comment; the whole "
                                                 "report is in the step summary)")
    return head + body + foot


def run_url(environ: dict[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    server = env.get("GITHUB_SERVER_URL", "")
    repo = env.get("GITHUB_REPOSITORY", "")
    run_id = env.get("GITHUB_RUN_ID", "")
    if (re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?", server)
            and _SAFE_URL_PART.fullmatch(repo) and run_id.isdigit()):
        return f"{server}/{repo}/actions/runs/{run_id}"
    return None


# -- the sticky comment over a small interface (PyGithub below) --------------------------------
class IssueComments(Protocol):
    def list(self) -> Iterable[Any]: ...  # objects with .id, .body, .user.login
    def create(self, body: str) -> Any: ...
    def own_login(self) -> str: ...


@dataclass(frozen=True)
class Posted:
    action: str  # created | updated | unchanged
    comment_id: int | None
    removed_duplicates: int = 0


def upsert(comments: IssueComments, key: str, body: str) -> Posted:
    tag = marker(key)
    mine: list[Any] = []
    login: str | None = None
    for comment in comments.list():
        if not (comment.body or "").startswith(tag):
            continue
        if login is None:
            login = comments.own_login()
        if getattr(comment.user, "login", None) == login:
            mine.append(comment)
    if not mine:
        created = comments.create(body)
        return Posted("created", getattr(created, "id", None))
    keep, *extra = mine
    for duplicate in extra:  # a replayed POST or two concurrent runs made another one
        duplicate.delete()
    if keep.body == body:
        return Posted("unchanged", keep.id, len(extra))
    keep.edit(body)
    return Posted("updated", keep.id, len(extra))


class _PyGithubComments:
    def __init__(self, client: Any, repo_name: str, number: int):
        self._client = client
        self._issue = ghc.open_repo(client, repo_name).get_issue(number)

    def list(self) -> Iterable[Any]:
        return self._issue.get_comments()

    def create(self, body: str) -> Any:
        return self._issue.create_comment(body)

    def own_login(self) -> str:
        try:
            return self._client.get_user().login
        except Exception as exc:
            if ghc.is_github_error(exc) and ghc.status_of(exc) in (401, 403, 404):
                return DEFAULT_BOT  # an installation token (GITHUB_TOKEN) may not read /user
            raise


# -- what the action calls ----------------------------------------------------------------------
def post_comment(runner: Runner, event: Event, key: str, markdown: str, token: str) -> None:
    number = event.pr_number
    if number is None:
        runner.log(f"comment: the {event.name or 'unknown'} event has no pull request; "
                   "the report is in the step summary")
        return
    if event.is_fork or not token:
        why = ("this pull request comes from a fork, whose token is read-only" if token
               else "no token was given")
        _fall_back(runner, why)
        return
    repo_name = os.environ.get("GITHUB_REPOSITORY") or \
        ((event.payload.get("repository") or {}).get("full_name") or "")

    body = compose(key, markdown, run_url())
    try:
        settings = ghc.ClientSettings.from_env(token=token)
        comments = _PyGithubComments(ghc.build_client(settings), repo_name, number)
        posted = upsert(comments, key, body)
    except UsageError as exc:  # a malformed GITHUB_API_URL or repository: the result stands
        runner.annotate(Annotation("warning", f"no pull request comment: {exc}",
                                   title="os-tooling comment"))
        return
    except Exception as exc:
        if not ghc.is_github_error(exc):
            raise
        if ghc.is_auth_problem(exc):  # read-only token, no pull-requests: write, bad token
            _fall_back(runner, ghc.explain(exc, f"commenting on pull request #{number}"))
        else:  # GitHub failing after the retries: say so, the check result stands
            runner.annotate(Annotation("warning", ghc.explain(
                exc, f"commenting on pull request #{number}") + "; the report is in the step "
                "summary", title="os-tooling comment"))
        return
    runner.log(f"comment: {posted.action} the os-tooling {key} comment on pull request #{number}")


def _fall_back(runner: Runner, why: str) -> None:
    message = (f"no pull request comment: {why}; the report is in the step summary (a comment "
               "needs 'pull-requests: write' and a pull request from this repository)")
    runner.annotate(Annotation("notice", message, title="os-tooling comment"))
    runner.summary(f"> :information_source: {_md(message)}")


def _md(text: str) -> str:
    return md(text)
