"""The event that triggered the workflow (``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH``).

Only plain facts are taken from the payload; every value is untrusted text (PR titles, label
names and branch names are chosen by whoever opened the PR).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from os_tooling.adapters.files import read_bytes
from os_tooling.errors import UsageError

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class Event:
    name: str = ""
    payload: dict = field(default_factory=dict)

    @property
    def pull_request(self) -> dict | None:
        pr = self.payload.get("pull_request")
        return pr if self.name in PULL_REQUEST_EVENTS and isinstance(pr, dict) else None

    @property
    def pr_number(self) -> int | None:
        """The pull request's number; also for a comment on one (``issue_comment``)."""
        pr = self.pull_request
        number = pr.get("number") if pr else None
        if pr is None and self.name == "issue_comment":
            issue = self.payload.get("issue")
            if isinstance(issue, dict) and isinstance(issue.get("pull_request"), dict):
                number = issue.get("number")
        return number if isinstance(number, int) and not isinstance(number, bool) else None

    @property
    def labels(self) -> list[str]:
        pr = self.pull_request or {}
        return [label["name"] for label in pr.get("labels") or []
                if isinstance(label, dict) and isinstance(label.get("name"), str)]

    @property
    def base_sha(self) -> str | None:
        """The commit to compare with: a PR's base, or the commit before a push."""
        pr = self.pull_request
        if pr is not None:
            sha = (pr.get("base") or {}).get("sha")
        elif self.name == "push":
            sha = self.payload.get("before")
        else:
            sha = None
        return sha if _is_sha(sha) and sha != ZERO_SHA else None

    @property
    def default_branch(self) -> str | None:
        """The repository's default branch (``repository.default_branch``): the release branch."""
        repo = self.payload.get("repository")
        name = repo.get("default_branch") if isinstance(repo, dict) else None
        return name if isinstance(name, str) and name else None

    @property
    def is_fork(self) -> bool:
        """A PR from another repository: on ``pull_request`` its token is read-only."""
        pr = self.pull_request or {}
        head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
        base = ((pr.get("base") or {}).get("repo") or {}).get("full_name")
        return self.name == "pull_request" and bool(head) and head != base


def _is_sha(value: object) -> bool:
    return (isinstance(value, str) and len(value) in (40, 64)
            and all(c in "0123456789abcdef" for c in value))


def read_event(environ: Mapping[str, str] | None = None) -> Event:
    env = os.environ if environ is None else environ
    name = env.get("GITHUB_EVENT_NAME", "")
    path = env.get("GITHUB_EVENT_PATH", "")
    if not path:
        return Event(name)

    if not os.path.lexists(path):
        return Event(name)  # the runner always writes it; a local run may not
    data = read_bytes(path, "event file GITHUB_EVENT_PATH", max_bytes=64 * 1024 * 1024)
    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UsageError("the event file GITHUB_EVENT_PATH is not valid JSON") from None
    if not isinstance(payload, dict):
        raise UsageError("the event file GITHUB_EVENT_PATH does not hold a JSON object")
    return Event(name, payload)
