"""A loopback GitHub REST fake for the whole project, driven through PyGithub (or any client).

No maintained fake exists, so this one speaks the shapes PyGithub 2.x reads, with state, a
request log and injected faults. It is a real HTTP/1.1 server on ``127.0.0.1:<free port>``
(stdlib ``ThreadingHTTPServer``): the code under test can run in-process or as a subprocess.

Quick start::

    from tests.fakes.github import github_fake as github_fake  # noqa: F401  (the fixture)

    def test_something(github_fake, git_repo):
        repo = github_fake.import_git(git_repo.path, "acme/capi-image-builder")  # real commits
        sha = repo.commit({"os-tooling.yaml": "tools: []\\n"}, "more")  # or commits made here
        repo.tag("v1.0.0", sha, message="release")                      # annotated tag
        pr = repo.add_pull(title="Bump teleport", labels=["release/minor"], head_sha=sha,
                           merged=True, merge_commit_sha=sha, files=["os-tooling.yaml"])
        gh = github_fake.client()          # PyGithub: fast retries, no throttle sleeps
        env = github_fake.env()            # GITHUB_API_URL/GITHUB_TOKEN/... for a subprocess
        github_fake.inject(status=502, method="POST", path="/git/refs")  # next matching call fails
        assert github_fake.calls(method="POST") == 4

State (all under one lock; every request is handled atomically, like GitHub's ref updates):

- ``create_repo(full_name, default_branch="main", private=False) -> FakeRepo``;
  ``repo(full_name)``; ``import_git(path, full_name=None)`` copies a real git repository
  (all commits with their text files, branches, lightweight and annotated tags with their
  real object ids) so local shas and the fake agree.
- ``FakeRepo``: ``commit(files, message, branch="main", parents=None, delete=())`` (files map
  path -> text/bytes, merged onto the parent's tree; returns the sha), ``set_ref(ref, sha)``,
  ``tag(name, sha, message=None)`` (annotated when a message is given), ``ref(name)``,
  ``tree(ref)`` (the commit's real git tree: ``(root sha, trees)``),
  ``refs`` / ``tag_objects`` / ``commits`` / ``releases`` / ``pulls`` / ``comments``,
  ``add_pull(...) -> FakePull``, ``add_release(tag, body=..., assets={name: bytes})``,
  ``files_at(ref)``, ``resolve(ref)``.
- Tokens: any token (or none, for reads) works by default. ``add_token(token, login, write)``;
  ``read_only(token=None)`` makes one token (or, with None, every token) read-only: writes get
  403 "Resource not accessible by integration", as for a fork's pull request.
  ``strict_tokens = True``: unknown tokens get 401 "Bad credentials".

Endpoints (``/api/v3`` prefix accepted as for GitHub Enterprise; uploads under ``/uploads`` or
``/api/uploads``): repos; git refs (get, list, matching-refs, create, update, delete); git tags
and commits; git trees (by tree sha, commit, branch, tag or ``HEAD``; ``recursive``; real git
object ids, ``truncated`` past ``tree_limit`` entries) and blobs; commits (get, list, pulls of a
commit); compare (files changed since the merge base, moves as renames, at most 300 as GitHub
lists); contents at a ref (file and directory); releases (list, get, by tag, latest, create,
update, delete) and assets (list, upload, get JSON or bytes, delete, browser download); pulls
(list with state/head/base/sort, get, files, commits); issues (get, labels) and issue comments
(list, create, get, edit, delete); ``/user``; ``/rate_limit``.

GitHub semantics kept: 422 "Reference already exists"; 422 "Object does not exist"; 422
"Validation Failed" with ``already_exists`` for a second release of a tag or a second asset
of a name; creating a release for a missing tag makes a lightweight tag at
``target_commitish``; pagination with ``per_page``/``page`` and ``Link`` headers; every URL
in a response points at this server (built from the ``Host`` header).

Faults (a FIFO of rules; a request takes the first rule that matches and has uses left):
``inject(status=500, times=1, method=None, path=None, retry_after=None, body=None,
headers=None, kind="status", apply=False, delay=0.0, action=None)`` where ``path`` is a regular
expression searched in the path (prefix stripped), ``kind`` is ``"status"`` (answer with
``status``), ``"reset"`` (close the connection with a TCP reset, no answer), ``"slow"``
(sleep ``delay`` seconds, then answer normally) or ``"hook"`` (call ``action(json_body)``
first, e.g. to let a concurrent actor change the state, then answer normally).
``apply=True`` carries out the request first (the state changes) and then fails: a create
that reached GitHub before the connection broke.
Helpers: ``secondary_rate_limit(...)``, ``rate_limit_429(...)``, ``primary_rate_limit(...)``.

Log: ``requests`` (list of ``LoggedRequest``: method, path, query, status, body, token,
fault), ``calls(method=None, path=None)`` counts them (``path`` a regex), ``clear_log()``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest

DEFAULT_TOKEN = "fake-token-0123456789"
DEFAULT_LOGIN = "github-actions[bot]"
DOCS = "https://docs.github.com/rest"
COMPARE_FILES = 300  # GitHub lists at most this many changed files in a comparison
SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. "
                     "Please wait a few minutes before you try again.")


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": DOCS,
                                     "status": str(status)}
        if errors is not None:
            self.body["errors"] = errors
        self.headers = headers or {}


def _not_found() -> ApiError:
    return ApiError(404, "Not Found")


def _validation(resource: str, code: str, field_name: str) -> ApiError:
    return ApiError(422, "Validation Failed",
                    [{"resource": resource, "code": code, "field": field_name}])


# -- state ------------------------------------------------------------------------------------
@dataclass
class FakeCommit:
    sha: str
    message: str
    parents: list[str]
    files: dict[str, bytes]
    author: str = "Test"
    email: str = "test@example.invalid"
    date: str = "2026-01-01T00:00:00Z"
    modes: dict[str, str] = field(default_factory=dict)  # path -> git mode when not 100644


@dataclass
class FakeTagObject:
    sha: str
    tag: str
    message: str
    object_sha: str
    object_type: str
    tagger: dict[str, str]


@dataclass
class FakeAsset:
    id: int
    name: str
    label: str
    content_type: str
    data: bytes
    created_at: str


@dataclass
class FakeRelease:
    id: int
    tag_name: str
    name: str
    body: str
    draft: bool
    prerelease: bool
    target_commitish: str
    created_at: str
    assets: list[FakeAsset] = field(default_factory=list)


@dataclass
class FakeComment:
    id: int
    issue: int
    body: str
    login: str
    created_at: str
    updated_at: str


@dataclass
class FakePull:
    number: int
    title: str
    body: str
    labels: list[str]
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    state: str
    merged: bool
    merge_commit_sha: str | None
    user: str
    files: list[dict[str, Any]]
    commits: list[str]
    created_at: str
    updated_at: str


class FakeRepo:
    def __init__(self, server: GitHubFake, full_name: str, repo_id: int, default_branch: str,
                 private: bool):
        self.server = server
        self.full_name = full_name
        self.owner, self.name = full_name.split("/", 1)
        self.id = repo_id
        self.default_branch = default_branch
        self.private = private
        self.commits: dict[str, FakeCommit] = {}
        self.refs: dict[str, str] = {}  # "refs/heads/main" -> sha (commit or tag object)
        self.tag_objects: dict[str, FakeTagObject] = {}
        self.releases: dict[int, FakeRelease] = {}
        self.pulls: dict[int, FakePull] = {}
        self.comments: dict[int, FakeComment] = {}
        self._trees: dict[str, tuple[str, dict[str, list[tuple[str, str, str]]]]] = {}
        self._blobs: dict[str, bytes] = {}

    # -- seeding (thread-safe) --------------------------------------------------------------
    def commit(self, files: dict[str, str | bytes] | None = None, message: str = "change",
               branch: str | None = "main", parents: list[str] | None = None,
               delete: tuple[str, ...] | list[str] = (),
               modes: dict[str, str] | None = None) -> str:
        """``modes`` gives a path another git mode than ``100644``: ``120000`` makes it a
        symbolic link (its content is the link target), ``100755`` an executable."""
        with self.server.lock:
            if parents is None:
                tip = self.refs.get(f"refs/heads/{branch}") if branch else None
                parents = [tip] if tip else []
            tree = dict(self.commits[parents[0]].files) if parents else {}
            tree_modes = dict(self.commits[parents[0]].modes) if parents else {}
            for path, content in (files or {}).items():
                tree[path] = content.encode() if isinstance(content, str) else content
                tree_modes.pop(path, None)
            tree_modes.update(modes or {})
            for path in delete:
                tree.pop(path, None)
                tree_modes.pop(path, None)
            digest = hashlib.sha1(repr((sorted(tree.items()), message, parents,
                                        next(self.server.counter))).encode()).hexdigest()
            self.commits[digest] = FakeCommit(digest, message, list(parents), tree,
                                              date=self.server.now(),
                                              modes={p: m for p, m in tree_modes.items()
                                                     if p in tree})
            if branch:
                self.refs[f"refs/heads/{branch}"] = digest
            return digest

    def set_ref(self, ref: str, sha: str) -> None:
        with self.server.lock:
            self.refs[ref if ref.startswith("refs/") else f"refs/{ref}"] = sha

    def tag(self, name: str, sha: str, message: str | None = None) -> str:
        """A tag ``name`` on commit ``sha``: annotated when ``message`` is given. Returns the
        sha the ref points at (the tag object's for an annotated tag)."""
        with self.server.lock:
            target = sha
            if message is not None:
                target = self._new_tag_object(name, message, sha, "commit",
                                              {"name": "Test", "email": "test@example.invalid",
                                               "date": self.server.now()}).sha
            self.refs[f"refs/tags/{name}"] = target
            return target

    def ref(self, name: str) -> str | None:
        with self.server.lock:
            return self.refs.get(name if name.startswith("refs/") else f"refs/{name}")

    def tag_names(self) -> list[str]:
        with self.server.lock:
            return sorted(r[len("refs/tags/"):] for r in self.refs if r.startswith("refs/tags/"))

    def add_pull(self, title: str = "A change", labels: list[str] | tuple[str, ...] = (),
                 head_sha: str | None = None, base: str | None = None,
                 head_ref: str = "feature", merged: bool = False,
                 merge_commit_sha: str | None = None, files: list | None = None,
                 commits: list[str] | None = None, body: str = "", user: str = "dev",
                 state: str | None = None, number: int | None = None) -> FakePull:
        """A pull request. ``files`` may be paths or GitHub file dicts; when None they are the
        paths that differ between the base branch tip and ``head_sha``."""
        with self.server.lock:
            base = base or self.default_branch
            base_sha = self.refs.get(f"refs/heads/{base}", "")
            head_sha = head_sha or base_sha
            if files is None:
                files = self._changed_paths(base_sha, head_sha)
            file_dicts = [f if isinstance(f, dict) else
                          {"filename": f, "status": "modified", "additions": 1, "deletions": 1,
                           "changes": 2, "sha": hashlib.sha1(f.encode()).hexdigest()}
                          for f in files]
            number = number or next(self.server.issue_numbers)
            now = self.server.now()
            pull = FakePull(number, title, body, list(labels), head_ref, head_sha, base, base_sha,
                            state or ("closed" if merged else "open"), merged,
                            merge_commit_sha, user, file_dicts, commits or [head_sha], now, now)
            self.pulls[number] = pull
            return pull

    def add_release(self, tag: str, body: str = "", name: str | None = None,
                    assets: dict[str, bytes] | None = None, draft: bool = False,
                    prerelease: bool = False) -> FakeRelease:
        with self.server.lock:
            release = FakeRelease(next(self.server.ids), tag, name or tag, body, draft, prerelease,
                                  self.default_branch, self.server.now())
            for asset_name, data in (assets or {}).items():
                release.assets.append(FakeAsset(next(self.server.ids), asset_name, "",
                                                "application/json", data, self.server.now()))
            self.releases[release.id] = release
            return release

    def release_by_tag(self, tag: str) -> FakeRelease | None:
        with self.server.lock:
            return next((r for r in self.releases.values() if r.tag_name == tag and not r.draft),
                        None)

    def files_at(self, ref: str) -> dict[str, bytes]:
        with self.server.lock:
            return dict(self.commits[self.resolve(ref)].files)

    def tree(self, ref: str) -> tuple[str, dict[str, list[tuple[str, str, str]]]]:
        """The real git tree of a commit: ``(root tree sha, {tree sha: [(mode, name, sha)]})``
        with git's own object ids (``git rev-parse <commit>^{tree}`` gives the same root)."""
        with self.server.lock:
            commit = self.commits[self.resolve(ref)]
            if commit.sha not in self._trees:
                self._trees[commit.sha] = _git_trees(commit.files, commit.modes)
            return self._trees[commit.sha]

    def find_tree(self, sha: str) -> list[tuple[str, str, str]] | None:
        """A tree object by its sha, from any commit's tree (computed on demand)."""
        with self.server.lock:
            for commit in self.commits.values():
                _root, trees = self.tree(commit.sha)
                if sha in trees:
                    return trees[sha]
            return None

    def find_blob(self, sha: str) -> bytes | None:
        with self.server.lock:
            if not self._blobs:
                for commit in self.commits.values():
                    for data in commit.files.values():
                        self._blobs.setdefault(_blob_sha(data), data)
            if sha not in self._blobs:  # commits added since the index was built
                self._blobs.clear()
                for commit in self.commits.values():
                    for data in commit.files.values():
                        self._blobs.setdefault(_blob_sha(data), data)
            return self._blobs.get(sha)

    # -- internals (callers hold the lock) ----------------------------------------------------
    def _new_tag_object(self, tag: str, message: str, object_sha: str, object_type: str,
                        tagger: dict[str, str], sha: str | None = None) -> FakeTagObject:
        sha = sha or hashlib.sha1(f"tag {tag}\n{object_sha}\n{message}\n"
                                  f"{next(self.server.counter)}".encode()).hexdigest()
        obj = FakeTagObject(sha, tag, message, object_sha, object_type, tagger)
        self.tag_objects[sha] = obj
        return obj

    def peel(self, sha: str) -> str | None:
        """The commit a ref target (commit or tag object) stands for."""
        for _ in range(10):
            if sha in self.commits:
                return sha
            obj = self.tag_objects.get(sha)
            if obj is None:
                return None
            sha = obj.object_sha
        return None

    def resolve(self, ref: str) -> str:
        """A commit sha from a sha, a short sha, a branch, a tag, a full ref name or HEAD."""
        if ref == "HEAD":
            ref = f"refs/heads/{self.default_branch}"
        for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if candidate in self.refs:
                commit = self.peel(self.refs[candidate])
                if commit:
                    return commit
        if ref in self.commits:
            return ref
        if re.fullmatch(r"[0-9a-f]{7,39}", ref):
            found = [s for s in self.commits if s.startswith(ref)]
            if len(found) == 1:
                return found[0]
        raise ApiError(404, f"No commit found for SHA: {ref}")

    def ancestors(self, sha: str) -> list[str]:
        """``sha`` and every commit reachable from it, newest first (by walk order)."""
        seen: list[str] = []
        known: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop(0)
            if current in known or current not in self.commits:
                continue
            known.add(current)
            seen.append(current)
            stack.extend(self.commits[current].parents)
        return seen

    def _changed_paths(self, base_sha: str, head_sha: str) -> list[str]:
        a = self.commits[base_sha].files if base_sha in self.commits else {}
        b = self.commits[head_sha].files if head_sha in self.commits else {}
        return sorted(p for p in a.keys() | b.keys() if a.get(p) != b.get(p))


@dataclass
class Fault:
    status: int = 500
    times: int = 1
    method: str | None = None
    path: str | None = None
    retry_after: str | None = None
    body: dict | None = None
    headers: dict[str, str] | None = None
    kind: str = "status"  # status | reset | slow | hook
    apply: bool = False
    delay: float = 0.0
    action: Callable[[Any], None] | None = None  # kind="hook": called with the JSON body

    def matches(self, method: str, path: str) -> bool:
        return (self.times > 0 and (self.method is None or self.method == method)
                and (self.path is None or re.search(self.path, path) is not None))


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int
    body: Any
    token: str | None
    fault: str | None = None


@dataclass
class TokenInfo:
    login: str
    write: bool = True


# -- the server -------------------------------------------------------------------------------
class GitHubFake:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.repos: dict[str, FakeRepo] = {}
        self.tokens: dict[str, TokenInfo] = {DEFAULT_TOKEN: TokenInfo(DEFAULT_LOGIN)}
        self.strict_tokens = False
        self.all_read_only = False
        self.tree_limit = 100_000  # entries of a recursive tree before GitHub truncates it
        self.faults: list[Fault] = []
        self.requests: list[LoggedRequest] = []
        self.in_flight = 0  # requests being answered now (a slow fault sleeps in one)
        self.idle = threading.Condition(self.lock)
        self.ids = itertools.count(1000)
        self.issue_numbers = itertools.count(1)
        self.counter = itertools.count(1)
        self._clock = itertools.count(0)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> GitHubFake:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        server = _Server(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="github-fake",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The API base URL (github.com style: no path prefix)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ghe_url(self) -> str:
        """The same API as GitHub Enterprise serves it: ``/api/v3``."""
        return f"{self.url}/api/v3"

    def client(self, token: str | None = DEFAULT_TOKEN, base_url: str | None = None,
               retries: int = 3, timeout: int = 10):
        """A PyGithub client for this fake: fast backoff, no throttle sleeps."""
        from github import Auth, Github, GithubRetry

        return Github(base_url=base_url or self.url,
                      auth=Auth.Token(token) if token else None,
                      seconds_between_requests=None, seconds_between_writes=None,
                      timeout=timeout,
                      retry=GithubRetry(total=retries, backoff_factor=0.01,
                                        secondary_rate_wait=0.1,
                                        status_forcelist=list(range(500, 600)) + [429]))

    def env(self, token: str | None = DEFAULT_TOKEN, base_url: str | None = None,
            repository: str | None = None) -> dict[str, str]:
        """Environment for an ``os-tooling`` subprocess talking to this fake, without sleeps."""
        env = {"GITHUB_API_URL": base_url or self.url, "OS_TOOLING_GITHUB_THROTTLE": "0",
               "OS_TOOLING_GITHUB_BACKOFF": "0.01", "OS_TOOLING_GITHUB_SECONDARY_WAIT": "0.1",
               "OS_TOOLING_GITHUB_RETRIES": "3", "OS_TOOLING_GITHUB_TIMEOUT": "10"}
        if token:
            env["GITHUB_TOKEN"] = token
        if repository:
            env["GITHUB_REPOSITORY"] = repository
        return env

    # -- state helpers --------------------------------------------------------------------------
    def now(self) -> str:
        seconds = next(self._clock)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1767225600 + seconds))

    def create_repo(self, full_name: str, default_branch: str = "main",
                    private: bool = False) -> FakeRepo:
        with self.lock:
            if full_name not in self.repos:
                self.repos[full_name] = FakeRepo(self, full_name, next(self.ids), default_branch,
                                                 private)
            return self.repos[full_name]

    def repo(self, full_name: str) -> FakeRepo:
        return self.repos[full_name]

    def add_token(self, token: str, login: str = DEFAULT_LOGIN, write: bool = True) -> None:
        with self.lock:
            self.tokens[token] = TokenInfo(login, write)

    def read_only(self, token: str | None = None) -> None:
        with self.lock:
            if token is None:
                self.all_read_only = True
            else:
                self.tokens.setdefault(token, TokenInfo(DEFAULT_LOGIN)).write = False

    def import_git(self, path: str | Path, full_name: str | None = None) -> FakeRepo:
        """Copy a real git repository (commits, text files, branches, tags) into the fake."""
        path = Path(path)
        full_name = full_name or f"local/{path.name}"
        repo = self.create_repo(full_name)

        def git(*args: str, data: bytes | None = None) -> bytes:
            return subprocess.run(["git", *args], cwd=path, capture_output=True, check=True,
                                  input=data).stdout

        shas = git("rev-list", "--all", "--reverse", "--topo-order").decode().split()
        blobs_needed: dict[str, list[tuple[str, str]]] = {}
        modes_of: dict[str, dict[str, str]] = {}
        meta: dict[str, tuple[list[str], str, str, str, str]] = {}
        for sha in shas:
            raw = git("show", "-s", "--format=%P%x00%an%x00%ae%x00%aI%x00%B", sha).decode()
            parents, author, email, date, message = raw.split("\x00", 4)
            meta[sha] = (parents.split(), author, email, date, message.rstrip("\n") + "\n")
            for entry in git("ls-tree", "-r", "-z", sha).decode().split("\x00"):
                if entry:
                    info, file_path = entry.split("\t", 1)
                    mode, kind, blob = info.split()
                    if kind == "blob":
                        blobs_needed.setdefault(sha, []).append((file_path, blob))
                        if mode != "100644":
                            modes_of.setdefault(sha, {})[file_path] = mode
        unique = sorted({b for items in blobs_needed.values() for _, b in items})
        contents = _cat_blobs(path, unique)
        with self.lock:
            for sha in shas:
                parents, author, email, date, message = meta[sha]
                files = {p: contents[b] for p, b in blobs_needed.get(sha, [])}
                repo.commits[sha] = FakeCommit(sha, message, parents, files, author, email, date,
                                               modes_of.get(sha, {}))
            refs = git("for-each-ref", "--format=%(refname) %(objectname) %(objecttype)").decode()
            for line in refs.splitlines():
                refname, sha, kind = line.split()
                if refname.startswith("refs/remotes/"):
                    continue
                if kind == "tag":
                    fields = git("for-each-ref", "--format=%(*objectname)%00%(*objecttype)%00"
                                 "%(taggername)%00%(taggeremail)%00%(contents)", refname)
                    target, target_type, name, email, message = fields.decode().split("\x00", 4)
                    repo._new_tag_object(refname[len("refs/tags/"):], message, target,
                                         target_type, {"name": name, "email": email.strip("<>"),
                                                       "date": self.now()}, sha=sha)
                repo.refs[refname] = sha
            head = git("symbolic-ref", "--short", "-q", "HEAD").decode().strip()
            if head:
                repo.default_branch = head
        return repo

    # -- faults and log -------------------------------------------------------------------------
    def inject(self, status: int = 500, times: int = 1, method: str | None = None,
               path: str | None = None, retry_after: str | int | None = None,
               body: dict | None = None, headers: dict[str, str] | None = None,
               kind: str = "status", apply: bool = False, delay: float = 0.0,
               action: Callable[[Any], None] | None = None) -> Fault:
        fault = Fault(status, times, method, path,
                      None if retry_after is None else str(retry_after), body, headers, kind,
                      apply, delay, action)
        with self.lock:
            self.faults.append(fault)
        return fault

    def secondary_rate_limit(self, times: int = 1, method: str | None = None,
                             path: str | None = None, retry_after: str | int | None = "0") -> Fault:
        return self.inject(403, times, method, path, retry_after,
                           {"message": SECONDARY_MESSAGE, "documentation_url": DOCS})

    def rate_limit_429(self, times: int = 1, method: str | None = None, path: str | None = None,
                       retry_after: str | int | None = "0") -> Fault:
        return self.inject(429, times, method, path, retry_after,
                           {"message": "Too many requests", "documentation_url": DOCS})

    def primary_rate_limit(self, times: int = 1, method: str | None = None,
                           path: str | None = None, reset_in: int = 0) -> Fault:
        reset = str(int(time.time()) + reset_in)
        return self.inject(403, times, method, path, None,
                           {"message": "API rate limit exceeded for installation ID 1.",
                            "documentation_url": DOCS},
                           {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no request is being answered (a slow fault's handler has finished and
        logged): the fake's state is then final. False if that took longer than ``timeout``."""
        with self.idle:
            return self.idle.wait_for(lambda: self.in_flight == 0, timeout)

    def calls(self, method: str | None = None, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.requests
                       if (method is None or r.method == method)
                       and (path is None or re.search(path, r.path)))

    def clear_log(self) -> None:
        with self.lock:
            self.requests.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
            return None


def _cat_blobs(path: Path, blobs: list[str]) -> dict[str, bytes]:
    if not blobs:
        return {}
    out = subprocess.run(["git", "cat-file", "--batch"], cwd=path, capture_output=True,
                         check=True, input="".join(b + "\n" for b in blobs).encode()).stdout
    contents: dict[str, bytes] = {}
    pos = 0
    for blob in blobs:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        contents[blob] = out[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return contents


def _blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _git_trees(files: dict[str, bytes], modes: dict[str, str]
               ) -> tuple[str, dict[str, list[tuple[str, str, str]]]]:
    """Git's tree objects for a flat ``path -> content`` map: the root sha and every tree as
    ``[(mode, name, sha)]`` in git's order, hashed exactly as git hashes them."""
    root: dict[str, Any] = {}
    for path, data in files.items():
        *folders, leaf = path.split("/")
        node = root
        for folder in folders:
            node = node.setdefault(folder, {})
        node[leaf] = (modes.get(path, "100644"), data)
    trees: dict[str, list[tuple[str, str, str]]] = {}

    def build(node: dict[str, Any]) -> str:
        entries = []
        for name, value in node.items():
            if isinstance(value, dict):
                entries.append((name + "/", "40000", name, build(value)))
            else:
                entries.append((name, value[0], name, _blob_sha(value[1])))
        entries.sort(key=lambda e: e[0].encode())  # git orders a folder as "name/"
        body = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha)
                        for _key, mode, name, sha in entries)
        sha = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
        trees[sha] = [(mode, name, sha_) for _key, mode, name, sha_ in entries]
        return sha

    return build(root), trees


# -- HTTP -------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return  # the client gave up (a timeout test): expected, not worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: GitHubFake
    server_version = "GitHubFake/1.0"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        with self.fake.idle:
            self.fake.in_flight += 1
        try:
            self._answer(method)
        finally:
            with self.fake.idle:
                self.fake.in_flight -= 1
                self.fake.idle.notify_all()

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        prefix = ""
        for candidate in ("/api/v3", "/api"):
            if path.startswith(candidate + "/"):
                prefix, path = candidate, path[len(candidate):]
                break
        request = _Request(self.fake, method, path, query, raw_body, dict(self.headers), prefix,
                           self.headers.get("Host") or f"127.0.0.1:{self.fake.port}")
        fault = self.fake.take_fault(method, path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "hook" and fault.action is not None:
            fault.action(request.json_body())  # e.g. a concurrent actor changes the state first
        if fault is not None and fault.kind in ("status", "reset") and not fault.apply:
            self._fail(request, fault)
            return
        status, headers, payload = request.dispatch()
        if fault is not None and fault.kind in ("status", "reset"):  # apply=True: done, then fail
            self._fail(request, fault)
            return
        self._log(request, status, None)
        self._send(status, headers, payload)

    def _fail(self, request: _Request, fault: Fault) -> None:
        self._log(request, fault.status if fault.kind == "status" else 0, fault.kind)
        if fault.kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        headers = dict(fault.headers or {})
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        body = fault.body or {"message": f"Server Error {fault.status}", "documentation_url": DOCS}
        self._send(fault.status, headers, body)

    def _log(self, request: _Request, status: int, fault: str | None) -> None:
        with self.fake.lock:
            self.fake.requests.append(LoggedRequest(request.method, request.path, request.query,
                                                    status, request.json_body(), request.token,
                                                    fault))

    def _send(self, status: int, headers: dict[str, str], payload: Any) -> None:
        if isinstance(payload, bytes):
            data = payload
            headers.setdefault("Content-Type", "application/octet-stream")
        elif payload is None:
            data = b""
        else:
            data = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("X-RateLimit-Limit", "5000")
        self.send_header("X-RateLimit-Remaining", headers.get("X-RateLimit-Remaining", "4999"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)


_ROUTES: list[tuple[str, re.Pattern[str], str]] = []


def route(method: str, pattern: str):
    def register(func):
        _ROUTES.append((method, re.compile(f"^{pattern}$"), func.__name__))
        return func
    return register


_REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"


class _Request:
    def __init__(self, fake: GitHubFake, method: str, path: str, query: dict[str, str],
                 raw_body: bytes, headers: dict[str, str], prefix: str, host: str):
        self.fake = fake
        self.method = method
        self.path = path
        self.query = query
        self.raw_body = raw_body
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.prefix = prefix
        self.base = f"http://{host}{'/api/v3' if prefix else ''}"
        self.host_url = f"http://{host}"
        auth = self.headers.get("authorization", "")
        self.token = auth.split(None, 1)[1] if " " in auth else None
        self.repo: FakeRepo | None = None

    def json_body(self) -> Any:
        if not self.raw_body:
            return None
        try:
            return json.loads(self.raw_body)
        except ValueError:
            return f"<{len(self.raw_body)} bytes>"

    # -- dispatch -------------------------------------------------------------------------------
    def dispatch(self) -> tuple[int, dict[str, str], Any]:
        try:
            with self.fake.lock:
                user = self._authorize()
                for method, pattern, handler in _ROUTES:
                    match = pattern.match(self.path)
                    if match is None or method != self.method:
                        continue
                    groups = match.groupdict()
                    if "owner" in groups:
                        self.repo = self.fake.repos.get(f"{groups.pop('owner')}/{groups.pop('name')}")
                        if self.repo is None:
                            raise _not_found()
                    result = getattr(self, handler)(user=user, **groups)
                    if isinstance(result, tuple):
                        return result
                    return (200, {}, result)
                raise _not_found()
        except ApiError as exc:
            return exc.status, dict(exc.headers), exc.body

    def _authorize(self) -> TokenInfo | None:
        info = self.fake.tokens.get(self.token) if self.token else None
        if self.token and info is None:
            if self.fake.strict_tokens:
                raise ApiError(401, "Bad credentials")
            info = TokenInfo(DEFAULT_LOGIN)
        if self.method != "GET" and (info is None or not info.write or self.fake.all_read_only):
            if info is None:
                raise ApiError(401, "Requires authentication")
            raise ApiError(403, "Resource not accessible by integration")
        return info

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.raw_body or b"{}")
        except ValueError:
            raise ApiError(400, "Problems parsing JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        return data

    # -- URLs and shapes ------------------------------------------------------------------------
    @property
    def r(self) -> FakeRepo:
        assert self.repo is not None
        return self.repo

    def repo_url(self, repo: FakeRepo | None = None) -> str:
        return f"{self.base}/repos/{(repo or self.r).full_name}"

    def html_url(self, repo: FakeRepo | None = None) -> str:
        return f"{self.host_url}/{(repo or self.r).full_name}"

    def user_json(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 10**8, "type": "User",
                "url": f"{self.base}/users/{quote(login)}",
                "html_url": f"{self.host_url}/{quote(login)}"}

    def repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        url = self.repo_url(repo)
        return {"id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name,
                "full_name": repo.full_name, "private": repo.private,
                "owner": self.user_json(repo.owner), "html_url": self.html_url(repo),
                "url": url, "default_branch": repo.default_branch, "archived": False,
                "fork": False, "visibility": "private" if repo.private else "public",
                "git_refs_url": f"{url}/git/refs{{/sha}}", "tags_url": f"{url}/tags",
                "releases_url": f"{url}/releases{{/id}}", "pulls_url": f"{url}/pulls{{/number}}",
                "issues_url": f"{url}/issues{{/number}}",
                "contents_url": f"{url}/contents/{{+path}}",
                "permissions": {"admin": False, "push": True, "pull": True}}

    def ref_json(self, ref: str, sha: str) -> dict[str, Any]:
        kind = "tag" if sha in self.r.tag_objects else "commit"
        plural = "tags" if kind == "tag" else "commits"
        return {"ref": ref, "node_id": f"REF_{ref}", "url": f"{self.repo_url()}/git/{ref}",
                "object": {"sha": sha, "type": kind,
                           "url": f"{self.repo_url()}/git/{plural}/{sha}"}}

    def tag_json(self, obj: FakeTagObject) -> dict[str, Any]:
        plural = "tags" if obj.object_type == "tag" else "commits"
        return {"sha": obj.sha, "node_id": f"TAG_{obj.sha}", "tag": obj.tag,
                "message": obj.message, "tagger": obj.tagger,
                "url": f"{self.repo_url()}/git/tags/{obj.sha}",
                "object": {"sha": obj.object_sha, "type": obj.object_type,
                           "url": f"{self.repo_url()}/git/{plural}/{obj.object_sha}"},
                "verification": {"verified": False, "reason": "unsigned", "signature": None,
                                 "payload": None}}

    def git_commit_json(self, c: FakeCommit) -> dict[str, Any]:
        person = {"name": c.author, "email": c.email, "date": c.date}
        return {"sha": c.sha, "node_id": f"C_{c.sha}", "url": f"{self.repo_url()}/git/commits/{c.sha}",
                "html_url": f"{self.html_url()}/commit/{c.sha}", "message": c.message.rstrip("\n"),
                "author": person, "committer": person,
                "tree": {"sha": hashlib.sha1(repr(sorted(c.files)).encode()).hexdigest(),
                         "url": f"{self.repo_url()}/git/trees/x"},
                "parents": [{"sha": p, "url": f"{self.repo_url()}/git/commits/{p}"}
                            for p in c.parents],
                "verification": {"verified": False, "reason": "unsigned", "signature": None,
                                 "payload": None}}

    def commit_json(self, c: FakeCommit, with_files: bool = False) -> dict[str, Any]:
        data = {"sha": c.sha, "node_id": f"C_{c.sha}", "url": f"{self.repo_url()}/commits/{c.sha}",
                "html_url": f"{self.html_url()}/commit/{c.sha}",
                "comments_url": f"{self.repo_url()}/commits/{c.sha}/comments",
                "commit": {k: v for k, v in self.git_commit_json(c).items()
                           if k in ("message", "author", "committer", "tree", "url",
                                    "verification")} | {"comment_count": 0},
                "author": None, "committer": None,
                "parents": [{"sha": p, "url": f"{self.repo_url()}/commits/{p}",
                             "html_url": f"{self.html_url()}/commit/{p}"} for p in c.parents]}
        if with_files:
            parent = self.r.commits.get(c.parents[0]) if c.parents else None
            data["files"] = _file_changes(parent.files if parent else {}, c.files)
            data["stats"] = {"total": len(data["files"]), "additions": 0, "deletions": 0}
        return data

    def release_json(self, rel: FakeRelease) -> dict[str, Any]:
        url = f"{self.repo_url()}/releases/{rel.id}"
        return {"id": rel.id, "node_id": f"RE_{rel.id}", "tag_name": rel.tag_name,
                "name": rel.name, "body": rel.body, "draft": rel.draft,
                "prerelease": rel.prerelease, "target_commitish": rel.target_commitish,
                "created_at": rel.created_at, "published_at": None if rel.draft else rel.created_at,
                "url": url, "assets_url": f"{url}/assets",
                "upload_url": (f"{self.host_url}{'/api' if self.prefix else ''}/uploads/repos/"
                               f"{self.r.full_name}/releases/{rel.id}/assets{{?name,label}}"),
                "html_url": f"{self.html_url()}/releases/tag/{quote(rel.tag_name)}",
                "tarball_url": f"{self.repo_url()}/tarball/{quote(rel.tag_name)}",
                "zipball_url": f"{self.repo_url()}/zipball/{quote(rel.tag_name)}",
                "author": self.user_json(DEFAULT_LOGIN),
                "assets": [self.asset_json(rel, a) for a in rel.assets]}

    def asset_json(self, rel: FakeRelease, a: FakeAsset) -> dict[str, Any]:
        return {"id": a.id, "node_id": f"RA_{a.id}", "name": a.name, "label": a.label,
                "content_type": a.content_type, "size": len(a.data), "state": "uploaded",
                "download_count": 0, "created_at": a.created_at, "updated_at": a.created_at,
                "url": f"{self.repo_url()}/releases/assets/{a.id}",
                "browser_download_url": (f"{self.host_url}/download/{self.r.full_name}/releases/"
                                         f"download/{quote(rel.tag_name)}/{quote(a.name)}"),
                "uploader": self.user_json(DEFAULT_LOGIN), "digest": None}

    def pull_json(self, p: FakePull) -> dict[str, Any]:
        url = f"{self.repo_url()}/pulls/{p.number}"
        issue_url = f"{self.repo_url()}/issues/{p.number}"
        repo = self.repo_json(self.r)
        return {"id": 10**6 + p.number, "node_id": f"PR_{p.number}", "number": p.number,
                "state": p.state, "title": p.title, "body": p.body, "user": self.user_json(p.user),
                "labels": [self.label_json(n) for n in p.labels], "draft": False,
                "locked": False, "merged": p.merged, "mergeable": None,
                "merged_at": p.updated_at if p.merged else None,
                "closed_at": p.updated_at if p.state == "closed" else None,
                "merge_commit_sha": p.merge_commit_sha, "created_at": p.created_at,
                "updated_at": p.updated_at, "url": url, "issue_url": issue_url,
                "html_url": f"{self.html_url()}/pull/{p.number}",
                "comments_url": f"{issue_url}/comments", "commits_url": f"{url}/commits",
                "review_comments_url": f"{url}/comments",
                "statuses_url": f"{self.repo_url()}/statuses/{p.head_sha}",
                "diff_url": f"{self.html_url()}/pull/{p.number}.diff",
                "patch_url": f"{self.html_url()}/pull/{p.number}.patch",
                "head": {"ref": p.head_ref, "sha": p.head_sha, "label": f"{self.r.owner}:{p.head_ref}",
                         "repo": repo, "user": self.user_json(self.r.owner)},
                "base": {"ref": p.base_ref, "sha": p.base_sha, "label": f"{self.r.owner}:{p.base_ref}",
                         "repo": repo, "user": self.user_json(self.r.owner)},
                "comments": sum(1 for c in self.r.comments.values() if c.issue == p.number),
                "commits": len(p.commits), "changed_files": len(p.files)}

    def label_json(self, name: str) -> dict[str, Any]:
        return {"id": abs(hash(name)) % 10**8, "node_id": f"L_{name}", "name": name,
                "color": "ededed", "default": False, "description": None,
                "url": f"{self.repo_url()}/labels/{quote(name)}"}

    def comment_json(self, c: FakeComment) -> dict[str, Any]:
        return {"id": c.id, "node_id": f"IC_{c.id}", "body": c.body, "user": self.user_json(c.login),
                "created_at": c.created_at, "updated_at": c.updated_at,
                "url": f"{self.repo_url()}/issues/comments/{c.id}",
                "html_url": f"{self.html_url()}/issues/{c.issue}#issuecomment-{c.id}",
                "issue_url": f"{self.repo_url()}/issues/{c.issue}",
                "author_association": "NONE"}

    def paginate(self, items: list[Any]) -> tuple[int, dict[str, str], list[Any]]:
        try:
            per_page = max(1, min(100, int(self.query.get("per_page", 30))))
            page = max(1, int(self.query.get("page", 1)))
        except ValueError:
            raise ApiError(400, "Invalid pagination parameters") from None
        chunk = items[(page - 1) * per_page: page * per_page]
        headers: dict[str, str] = {}
        links = []
        last = max(1, -(-len(items) // per_page))
        base_query = {k: v for k, v in self.query.items() if k not in ("page", "per_page")}

        def link(number: int, rel: str) -> str:
            q = "&".join(f"{quote(k)}={quote(v)}" for k, v in
                         {**base_query, "per_page": str(per_page), "page": str(number)}.items())
            return f'<{self.base}{self.path}?{q}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        if links:
            headers["Link"] = ", ".join(links)
        return 200, headers, chunk

    # -- handlers: misc -------------------------------------------------------------------------
    @route("GET", "/user")
    def get_user(self, user: TokenInfo | None) -> Any:
        if user is None:
            raise ApiError(401, "Requires authentication")
        return self.user_json(user.login)

    @route("GET", "/rate_limit")
    def rate_limit(self, user: TokenInfo | None) -> Any:
        core = {"limit": 5000, "remaining": 4999, "reset": int(time.time()) + 3600, "used": 1}
        return {"resources": {"core": core, "search": core, "graphql": core}, "rate": core}

    @route("GET", _REPO)
    def get_repo(self, user: TokenInfo | None) -> Any:
        return self.repo_json(self.r)

    # -- git data -------------------------------------------------------------------------------
    @route("GET", _REPO + r"/git/matching-refs/(?P<ref>.*)")
    def matching_refs(self, user: TokenInfo | None, ref: str) -> Any:
        want = f"refs/{ref}"
        return self.paginate([self.ref_json(n, s) for n, s in sorted(self.r.refs.items())
                              if n.startswith(want)])

    @route("GET", _REPO + r"/git/refs")
    def list_refs(self, user: TokenInfo | None) -> Any:
        return self.paginate([self.ref_json(n, s) for n, s in sorted(self.r.refs.items())])

    @route("GET", _REPO + r"/git/refs?/(?P<ref>.+)")
    def get_ref(self, user: TokenInfo | None, ref: str) -> Any:
        name = f"refs/{ref}"
        if name in self.r.refs:
            return self.ref_json(name, self.r.refs[name])
        if self.path.startswith(f"/repos/{self.r.full_name}/git/refs/"):  # legacy list form
            found = [self.ref_json(n, s) for n, s in sorted(self.r.refs.items())
                     if n.startswith(name + "/")]
            if found:
                return found
        raise _not_found()

    @route("POST", _REPO + r"/git/refs")
    def create_ref(self, user: TokenInfo | None) -> Any:
        data = self.body()
        ref, sha = data.get("ref"), data.get("sha")
        if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
            raise ApiError(422, "Reference name is invalid" if isinstance(ref, str)
                           else "Invalid request.")
        if not isinstance(sha, str) or (sha not in self.r.commits and sha not in self.r.tag_objects):
            raise ApiError(422, "Object does not exist")
        if ref in self.r.refs:
            raise ApiError(422, "Reference already exists")
        self.r.refs[ref] = sha
        return 201, {"Location": f"{self.repo_url()}/git/{ref}"}, self.ref_json(ref, sha)

    @route("PATCH", _REPO + r"/git/refs/(?P<ref>.+)")
    def update_ref(self, user: TokenInfo | None, ref: str) -> Any:
        data = self.body()
        name = f"refs/{ref}"
        sha = data.get("sha")
        if name not in self.r.refs:
            raise ApiError(422, "Reference does not exist")
        if not isinstance(sha, str) or (sha not in self.r.commits and sha not in self.r.tag_objects):
            raise ApiError(422, "Object does not exist")
        old = self.r.peel(self.r.refs[name])
        if not data.get("force") and old and old not in self.r.ancestors(self.r.peel(sha) or sha):
            raise ApiError(422, "Update is not a fast forward")
        self.r.refs[name] = sha
        return self.ref_json(name, sha)

    @route("DELETE", _REPO + r"/git/refs/(?P<ref>.+)")
    def delete_ref(self, user: TokenInfo | None, ref: str) -> Any:
        if self.r.refs.pop(f"refs/{ref}", None) is None:
            raise ApiError(422, "Reference does not exist")
        return 204, {}, None

    @route("POST", _REPO + r"/git/tags")
    def create_tag(self, user: TokenInfo | None) -> Any:
        data = self.body()
        tag, message = data.get("tag"), data.get("message")
        obj, kind = data.get("object"), data.get("type", "commit")
        if not isinstance(tag, str) or not tag or not isinstance(message, str):
            raise ApiError(422, "Invalid request.")
        exists = (obj in self.r.commits if kind == "commit" else obj in self.r.tag_objects)
        if not isinstance(obj, str) or not exists:
            raise ApiError(422, "Object does not exist")
        tagger = data.get("tagger") or {"name": user.login if user else DEFAULT_LOGIN,
                                         "email": "bot@users.noreply.github.com"}
        tagger = {**tagger, "date": tagger.get("date") or self.fake.now()}
        created = self.r._new_tag_object(tag, message, obj, kind, tagger)
        return 201, {}, self.tag_json(created)

    @route("GET", _REPO + r"/git/tags/(?P<sha>[0-9a-f]+)")
    def get_tag(self, user: TokenInfo | None, sha: str) -> Any:
        obj = self.r.tag_objects.get(sha)
        if obj is None:
            raise _not_found()
        return self.tag_json(obj)

    @route("GET", _REPO + r"/git/commits/(?P<sha>[0-9a-f]+)")
    def get_git_commit(self, user: TokenInfo | None, sha: str) -> Any:
        commit = self.r.commits.get(sha)
        if commit is None:
            raise _not_found()
        return self.git_commit_json(commit)

    @route("GET", _REPO + r"/git/trees/(?P<ref>.+)")
    def get_tree(self, user: TokenInfo | None, ref: str) -> Any:
        """A tree by its sha, or the root tree of a commit, branch, tag or HEAD. With
        ``recursive`` (any value, as on GitHub) every entry below it, folders first."""
        entries = self.r.find_tree(ref) if re.fullmatch(r"[0-9a-f]{40}", ref) else None
        sha = ref
        trees: dict[str, list[tuple[str, str, str]]] = {}
        if entries is None:
            try:
                sha, trees = self.r.tree(ref)
            except ApiError:
                raise _not_found() from None
            entries = trees[sha]
        else:
            trees = {sha: entries}
        listing: list[dict[str, Any]] = []

        def walk(items: list[tuple[str, str, str]], prefix: str) -> None:
            for mode, name, item_sha in items:
                path = prefix + name
                if mode == "40000":
                    listing.append({"path": path, "mode": "040000", "type": "tree",
                                    "sha": item_sha,
                                    "url": f"{self.repo_url()}/git/trees/{item_sha}"})
                    if "recursive" in self.query:
                        walk(trees.get(item_sha) or self.r.find_tree(item_sha) or [], path + "/")
                else:
                    data = self.r.find_blob(item_sha) or b""
                    listing.append({"path": path, "mode": mode, "type": "blob", "sha": item_sha,
                                    "size": len(data),
                                    "url": f"{self.repo_url()}/git/blobs/{item_sha}"})

        walk(entries, "")
        truncated = len(listing) > self.fake.tree_limit
        return {"sha": sha, "url": f"{self.repo_url()}/git/trees/{sha}",
                "tree": listing[:self.fake.tree_limit], "truncated": truncated}

    @route("GET", _REPO + r"/git/blobs/(?P<sha>[0-9a-f]{40})")
    def get_blob(self, user: TokenInfo | None, sha: str) -> Any:
        data = self.r.find_blob(sha)
        if data is None:
            raise _not_found()
        return {"sha": sha, "node_id": f"B_{sha}", "size": len(data),
                "url": f"{self.repo_url()}/git/blobs/{sha}",
                "content": base64.encodebytes(data).decode(), "encoding": "base64"}

    # -- commits and compare --------------------------------------------------------------------
    @route("GET", _REPO + r"/commits")
    def list_commits(self, user: TokenInfo | None) -> Any:
        start = self.r.resolve(self.query.get("sha") or self.r.default_branch)
        commits = [self.r.commits[s] for s in self.r.ancestors(start)]
        path = self.query.get("path")
        if path:
            commits = [c for c in commits
                       if c.files.get(path) != (self.r.commits[c.parents[0]].files.get(path)
                                                if c.parents else None)]
        return self.paginate([self.commit_json(c) for c in commits])

    @route("GET", _REPO + r"/commits/(?P<sha>[0-9a-f]{7,40})/pulls")
    def commit_pulls(self, user: TokenInfo | None, sha: str) -> Any:
        sha = self.r.resolve(sha)
        found = [p for p in self.r.pulls.values()
                 if p.merge_commit_sha == sha or p.head_sha == sha or sha in p.commits]
        return self.paginate([self.pull_json(p) for p in sorted(found, key=lambda p: p.number)])

    @route("GET", _REPO + r"/commits/(?P<ref>.+)")
    def get_commit(self, user: TokenInfo | None, ref: str) -> Any:
        return self.commit_json(self.r.commits[self.r.resolve(ref)], with_files=True)

    @route("GET", _REPO + r"/compare/(?P<spec>.+)")
    def compare(self, user: TokenInfo | None, spec: str) -> Any:
        if "..." not in spec:
            raise _not_found()
        base_ref, head_ref = spec.split("...", 1)
        base, head = self.r.resolve(base_ref), self.r.resolve(head_ref)
        base_anc, head_anc = self.r.ancestors(base), self.r.ancestors(head)
        ahead = [s for s in head_anc if s not in set(base_anc)]
        behind = [s for s in base_anc if s not in set(head_anc)]
        if base == head:
            status = "identical"
        elif not behind:
            status = "ahead"
        elif not ahead:
            status = "behind"
        else:
            status = "diverged"
        merge_base = next((s for s in head_anc if s in set(base_anc)), None)
        ordered = list(reversed(ahead))  # oldest first, as GitHub lists them
        return {"url": f"{self.repo_url()}/compare/{spec}",
                "html_url": f"{self.html_url()}/compare/{spec}",
                "permalink_url": f"{self.html_url()}/compare/{spec}",
                "diff_url": f"{self.html_url()}/compare/{spec}.diff",
                "patch_url": f"{self.html_url()}/compare/{spec}.patch",
                "status": status, "ahead_by": len(ahead), "behind_by": len(behind),
                "total_commits": len(ahead),
                "base_commit": self.commit_json(self.r.commits[base]),
                "merge_base_commit": (self.commit_json(self.r.commits[merge_base])
                                      if merge_base else None),
                "commits": [self.commit_json(self.r.commits[s]) for s in ordered[:250]],
                # like GitHub: changed since the merge base, renames found, at most 300 files
                "files": _with_renames(self.r.commits[merge_base].files if merge_base else {},
                                       self.r.commits[head].files)[:COMPARE_FILES]}

    # -- contents -------------------------------------------------------------------------------
    @route("GET", _REPO + r"/contents/?(?P<path>.*)")
    def contents(self, user: TokenInfo | None, path: str) -> Any:
        ref = self.query.get("ref") or self.r.default_branch
        try:
            commit = self.r.resolve(ref)
        except ApiError:
            raise ApiError(404, f"No commit found for the ref {ref}") from None
        files = self.r.commits[commit].files
        path = path.strip("/")
        if path in files:
            return self.content_json(path, files[path], ref)
        prefix = f"{path}/" if path else ""
        children = sorted({p[len(prefix):].split("/", 1)[0] for p in files if p.startswith(prefix)})
        if not children:
            raise _not_found()
        listing = []
        for child in children:
            full = prefix + child
            if full in files:
                item = self.content_json(full, files[full], ref)
                item.pop("content")
                item.pop("encoding")
                listing.append(item)
            else:
                listing.append({"type": "dir", "name": child, "path": full, "sha": "0" * 40,
                                "size": 0, "url": f"{self.repo_url()}/contents/{quote(full)}?ref={quote(ref)}",
                                "html_url": f"{self.html_url()}/tree/{quote(ref)}/{quote(full)}",
                                "git_url": None, "download_url": None})
        return listing

    def content_json(self, path: str, data: bytes, ref: str) -> dict[str, Any]:
        return {"type": "file", "encoding": "base64", "size": len(data),
                "name": path.rsplit("/", 1)[-1], "path": path,
                "content": base64.encodebytes(data).decode(),
                "sha": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),
                "url": f"{self.repo_url()}/contents/{quote(path)}?ref={quote(ref)}",
                "html_url": f"{self.html_url()}/blob/{quote(ref)}/{quote(path)}",
                "git_url": None,
                "download_url": f"{self.host_url}/raw/{self.r.full_name}/{quote(ref)}/{quote(path)}"}

    # -- releases and assets --------------------------------------------------------------------
    def _release(self, release_id: str) -> FakeRelease:
        rel = self.r.releases.get(int(release_id))
        if rel is None:
            raise _not_found()
        return rel

    @route("GET", _REPO + r"/releases")
    def list_releases(self, user: TokenInfo | None) -> Any:
        rels = sorted(self.r.releases.values(), key=lambda r: r.id, reverse=True)
        return self.paginate([self.release_json(r) for r in rels])

    @route("POST", _REPO + r"/releases")
    def create_release(self, user: TokenInfo | None) -> Any:
        data = self.body()
        tag = data.get("tag_name")
        if not isinstance(tag, str) or not tag:
            raise _validation("Release", "missing_field", "tag_name")
        draft = bool(data.get("draft", False))
        if not draft and any(r.tag_name == tag and not r.draft for r in self.r.releases.values()):
            raise _validation("Release", "already_exists", "tag_name")
        target = data.get("target_commitish") or self.r.default_branch
        if f"refs/tags/{tag}" not in self.r.refs and not draft:
            try:
                self.r.refs[f"refs/tags/{tag}"] = self.r.resolve(target)
            except ApiError:
                raise _validation("Release", "invalid", "target_commitish") from None
        rel = FakeRelease(next(self.fake.ids), tag, data.get("name") or tag, data.get("body") or "",
                          draft, bool(data.get("prerelease", False)), target, self.fake.now())
        self.r.releases[rel.id] = rel
        return 201, {"Location": f"{self.repo_url()}/releases/{rel.id}"}, self.release_json(rel)

    @route("GET", _REPO + r"/releases/latest")
    def latest_release(self, user: TokenInfo | None) -> Any:
        rels = [r for r in self.r.releases.values() if not r.draft and not r.prerelease]
        if not rels:
            raise _not_found()
        return self.release_json(max(rels, key=lambda r: r.id))

    @route("GET", _REPO + r"/releases/tags/(?P<tag>.+)")
    def release_by_tag(self, user: TokenInfo | None, tag: str) -> Any:
        for rel in self.r.releases.values():
            if rel.tag_name == tag and not rel.draft:
                return self.release_json(rel)
        raise _not_found()

    @route("GET", _REPO + r"/releases/(?P<release_id>[0-9]+)")
    def get_release(self, user: TokenInfo | None, release_id: str) -> Any:
        return self.release_json(self._release(release_id))

    @route("PATCH", _REPO + r"/releases/(?P<release_id>[0-9]+)")
    def update_release(self, user: TokenInfo | None, release_id: str) -> Any:
        rel = self._release(release_id)
        data = self.body()
        for key in ("tag_name", "name", "body", "target_commitish"):
            if isinstance(data.get(key), str):
                setattr(rel, key, data[key])
        for key in ("draft", "prerelease"):
            if key in data:
                setattr(rel, key, bool(data[key]))
        return self.release_json(rel)

    @route("DELETE", _REPO + r"/releases/(?P<release_id>[0-9]+)")
    def delete_release(self, user: TokenInfo | None, release_id: str) -> Any:
        self.r.releases.pop(self._release(release_id).id)
        return 204, {}, None

    @route("GET", _REPO + r"/releases/(?P<release_id>[0-9]+)/assets")
    def list_assets(self, user: TokenInfo | None, release_id: str) -> Any:
        rel = self._release(release_id)
        return self.paginate([self.asset_json(rel, a) for a in rel.assets])

    @route("POST", r"/uploads" + _REPO + r"/releases/(?P<release_id>[0-9]+)/assets")
    def upload_asset(self, user: TokenInfo | None, release_id: str) -> Any:
        rel = self._release(release_id)
        name = self.query.get("name")
        if not name:
            raise _validation("ReleaseAsset", "missing_field", "name")
        if any(a.name == name for a in rel.assets):
            raise _validation("ReleaseAsset", "already_exists", "name")
        asset = FakeAsset(next(self.fake.ids), name, self.query.get("label", ""),
                          self.headers.get("content-type", "application/octet-stream"),
                          self.raw_body, self.fake.now())
        rel.assets.append(asset)
        return 201, {}, self.asset_json(rel, asset)

    def _asset(self, asset_id: str) -> tuple[FakeRelease, FakeAsset]:
        for rel in self.r.releases.values():
            for asset in rel.assets:
                if asset.id == int(asset_id):
                    return rel, asset
        raise _not_found()

    @route("GET", _REPO + r"/releases/assets/(?P<asset_id>[0-9]+)")
    def get_asset(self, user: TokenInfo | None, asset_id: str) -> Any:
        rel, asset = self._asset(asset_id)
        if "application/octet-stream" in self.headers.get("accept", ""):
            return 200, {"Content-Type": asset.content_type}, asset.data
        return self.asset_json(rel, asset)

    @route("DELETE", _REPO + r"/releases/assets/(?P<asset_id>[0-9]+)")
    def delete_asset(self, user: TokenInfo | None, asset_id: str) -> Any:
        rel, asset = self._asset(asset_id)
        rel.assets.remove(asset)
        return 204, {}, None

    @route("GET", r"/download/(?P<owner>[^/]+)/(?P<name>[^/]+)/releases/download/(?P<tag>[^/]+)/(?P<asset>.+)")
    def browser_download(self, user: TokenInfo | None, tag: str, asset: str) -> Any:
        for rel in self.r.releases.values():
            if rel.tag_name == tag:
                for a in rel.assets:
                    if a.name == asset:
                        return 200, {"Content-Type": a.content_type}, a.data
        raise _not_found()

    # -- pulls, issues, comments ----------------------------------------------------------------
    @route("GET", _REPO + r"/pulls")
    def list_pulls(self, user: TokenInfo | None) -> Any:
        state = self.query.get("state", "open")
        pulls = [p for p in self.r.pulls.values() if state == "all" or p.state == state]
        if "base" in self.query:
            pulls = [p for p in pulls if p.base_ref == self.query["base"]]
        if "head" in self.query:
            pulls = [p for p in pulls if f"{self.r.owner}:{p.head_ref}" == self.query["head"]]
        sort = self.query.get("sort", "created")
        key = {"updated": lambda p: (p.updated_at, p.number)}.get(sort, lambda p: (p.created_at, p.number))
        default_direction = "desc" if sort == "created" else "asc"
        pulls.sort(key=key, reverse=self.query.get("direction", default_direction) == "desc")
        return self.paginate([self.pull_json(p) for p in pulls])

    def _pull(self, number: str) -> FakePull:
        pull = self.r.pulls.get(int(number))
        if pull is None:
            raise _not_found()
        return pull

    @route("GET", _REPO + r"/pulls/(?P<number>[0-9]+)")
    def get_pull(self, user: TokenInfo | None, number: str) -> Any:
        return self.pull_json(self._pull(number))

    @route("GET", _REPO + r"/pulls/(?P<number>[0-9]+)/files")
    def pull_files(self, user: TokenInfo | None, number: str) -> Any:
        return self.paginate(list(self._pull(number).files))

    @route("GET", _REPO + r"/pulls/(?P<number>[0-9]+)/commits")
    def pull_commits(self, user: TokenInfo | None, number: str) -> Any:
        shas = [s for s in self._pull(number).commits if s in self.r.commits]
        return self.paginate([self.commit_json(self.r.commits[s]) for s in shas])

    @route("GET", _REPO + r"/issues/(?P<number>[0-9]+)")
    def get_issue(self, user: TokenInfo | None, number: str) -> Any:
        p = self._pull(number)
        return {"id": 2 * 10**6 + p.number, "number": p.number, "title": p.title, "body": p.body,
                "state": p.state, "user": self.user_json(p.user),
                "labels": [self.label_json(n) for n in p.labels],
                "url": f"{self.repo_url()}/issues/{p.number}",
                "html_url": f"{self.html_url()}/pull/{p.number}",
                "comments_url": f"{self.repo_url()}/issues/{p.number}/comments",
                "comments": sum(1 for c in self.r.comments.values() if c.issue == p.number),
                "pull_request": {"url": f"{self.repo_url()}/pulls/{p.number}"},
                "created_at": p.created_at, "updated_at": p.updated_at}

    @route("GET", _REPO + r"/issues/(?P<number>[0-9]+)/labels")
    def issue_labels(self, user: TokenInfo | None, number: str) -> Any:
        return self.paginate([self.label_json(n) for n in self._pull(number).labels])

    @route("GET", _REPO + r"/issues/(?P<number>[0-9]+)/comments")
    def list_comments(self, user: TokenInfo | None, number: str) -> Any:
        self._pull(number)
        found = sorted((c for c in self.r.comments.values() if c.issue == int(number)),
                       key=lambda c: c.id)
        return self.paginate([self.comment_json(c) for c in found])

    @route("POST", _REPO + r"/issues/(?P<number>[0-9]+)/comments")
    def create_comment(self, user: TokenInfo | None, number: str) -> Any:
        self._pull(number)
        body = self.body().get("body")
        if not isinstance(body, str) or not body:
            raise _validation("IssueComment", "missing_field", "body")
        if len(body) > 65536:
            raise _validation("IssueComment", "custom", "body")
        now = self.fake.now()
        comment = FakeComment(next(self.fake.ids), int(number), body,
                              user.login if user else DEFAULT_LOGIN, now, now)
        self.r.comments[comment.id] = comment
        return 201, {}, self.comment_json(comment)

    def _comment(self, comment_id: str) -> FakeComment:
        comment = self.r.comments.get(int(comment_id))
        if comment is None:
            raise _not_found()
        return comment

    @route("GET", _REPO + r"/issues/comments/(?P<comment_id>[0-9]+)")
    def get_comment(self, user: TokenInfo | None, comment_id: str) -> Any:
        return self.comment_json(self._comment(comment_id))

    @route("PATCH", _REPO + r"/issues/comments/(?P<comment_id>[0-9]+)")
    def edit_comment(self, user: TokenInfo | None, comment_id: str) -> Any:
        comment = self._comment(comment_id)
        body = self.body().get("body")
        if not isinstance(body, str) or not body:
            raise _validation("IssueComment", "missing_field", "body")
        comment.body = body
        comment.updated_at = self.fake.now()
        return self.comment_json(comment)

    @route("DELETE", _REPO + r"/issues/comments/(?P<comment_id>[0-9]+)")
    def delete_comment(self, user: TokenInfo | None, comment_id: str) -> Any:
        self.r.comments.pop(self._comment(comment_id).id)
        return 204, {}, None


def _file_changes(before: dict[str, bytes], after: dict[str, bytes]) -> list[dict[str, Any]]:
    out = []
    for path in sorted(before.keys() | after.keys()):
        if before.get(path) == after.get(path):
            continue
        status = "added" if path not in before else "removed" if path not in after else "modified"
        out.append({"filename": path, "status": status, "additions": 0, "deletions": 0,
                    "changes": 0, "sha": hashlib.sha1(after.get(path, b"")).hexdigest()})
    return out


def _with_renames(before: dict[str, bytes], after: dict[str, bytes]) -> list[dict[str, Any]]:
    """``_file_changes``, where a removed and an added file with the same content become one
    ``renamed`` entry with ``previous_filename``, as GitHub's compare shows a move."""
    changes = _file_changes(before, after)
    removed = {before[c["filename"]]: c for c in changes if c["status"] == "removed"}
    out = []
    for c in changes:
        content = after.get(c["filename"])
        if c["status"] == "added" and content in removed:
            old = removed.pop(content)
            out.append({**c, "status": "renamed", "previous_filename": old["filename"]})
        elif c["status"] != "removed":
            out.append(c)
    out += removed.values()
    return sorted(out, key=lambda c: c["filename"])


@pytest.fixture
def github_fake() -> Iterator[GitHubFake]:
    """A started fake, fresh for each test, stopped afterwards."""
    fake = GitHubFake().start()
    try:
        yield fake
    finally:
        fake.stop()
