"""Helpers to run the real, pinned Renovate (tools/renovate) against local git repositories.

Everything here stays on loopback:

* the preset is served by a loopback HTTP server and extended by URL, so Renovate's real
  ``extends`` path (fetch, parse, migrate, merge) is exercised;
* GitHub lookups (``--dry-run=lookup``) go to :class:`FakeGitHub`, a loopback stand-in for the
  GitHub GraphQL API, through ``registryUrls``;
* ``HTTP_PROXY``/``HTTPS_PROXY`` point at :class:`Sinkhole`, which records and refuses every
  request, with ``NO_PROXY`` covering loopback only: any attempt by Renovate to reach another
  host shows up in ``Sinkhole.requests`` (and fails), so the tests can assert there was none.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PRESET_PATH = REPO_ROOT / "renovate-preset.json"
# OS_TOOLING_RENOVATE_DIR: another install to try (e.g. a newer Renovate); default: the pin.
RENOVATE_DIR = Path(os.environ.get("OS_TOOLING_RENOVATE_DIR") or REPO_ROOT / "tools" / "renovate")
RENOVATE_BIN = RENOVATE_DIR / "node_modules" / ".bin" / "renovate"
VALIDATOR_BIN = RENOVATE_DIR / "node_modules" / ".bin" / "renovate-config-validator"
INSTALL_HINT = "run: npm ci --prefix tools/renovate"

# Inherited variables that would change what Renovate does (tokens, config, log format).
_STRIPPED_PREFIXES = ("RENOVATE_", "GITHUB_", "LOG_")
_STRIPPED_NAMES = {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "NODE_OPTIONS"}


def require_binary(path: Path) -> Path:
    """The installed binary, or a test failure (never a skip) that says how to install it."""
    if not (path.is_file() and os.access(path, os.X_OK)):
        shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        pytest.fail(f"{shown} is missing; {INSTALL_HINT}", pytrace=False)
    return path


def renovate_version() -> str:
    """The Renovate version pinned in tools/renovate/package.json."""
    return json.loads((RENOVATE_DIR / "package.json").read_text())["dependencies"]["renovate"]


def renovate_major() -> int:
    """Major version of the installed Renovate."""
    installed = RENOVATE_DIR / "node_modules" / "renovate" / "package.json"
    if not installed.is_file():
        pytest.fail(f"{installed} is missing; {INSTALL_HINT}", pytrace=False)
    return int(json.loads(installed.read_text())["version"].split(".")[0])


def with_manager_file_patterns(preset: dict[str, Any]) -> dict[str, Any]:
    """The preset as Renovate >= 41 migrates it: ``fileMatch`` regexes become
    ``managerFilePatterns`` entries ``/regex/``."""
    migrated = json.loads(json.dumps(preset))
    for manager in migrated.get("customManagers", []):
        manager["managerFilePatterns"] = [f"/{p}/" for p in manager.pop("fileMatch")]
    return migrated


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(_STRIPPED_PREFIXES) and k.upper() not in _STRIPPED_NAMES
    }
    env.update(extra or {})
    return env


def load_preset() -> dict[str, Any]:
    return json.loads(PRESET_PATH.read_text())


# --------------------------------------------------------------------------- validation


def validate_presets(presets: dict[str, dict[str, Any]], workdir: Path,
                     strict: bool = True) -> subprocess.CompletedProcess[str]:
    """``renovate-config-validator [--strict]`` on ``presets`` (name -> preset), each checked
    *as a preset*.

    Given a file, the validator checks it as global (self-hosted) config. Presets are checked
    as presets when they are the ``renovate-config`` entries of a package.json in the current
    directory and the validator gets no file argument; it checks every entry.
    """
    validator = require_binary(VALIDATOR_BIN)
    workdir.mkdir(parents=True, exist_ok=True)
    package = {"name": "presets-under-test", "version": "0.0.0", "renovate-config": presets}
    (workdir / "package.json").write_text(json.dumps(package, indent=2))
    return subprocess.run(
        [str(validator), *(["--strict"] if strict else [])],
        cwd=workdir,
        env=clean_env({"LOG_LEVEL": "info"}),
        capture_output=True,
        text=True,
        timeout=120,
    )


# --------------------------------------------------------------------------- loopback servers


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1:<free port> in a daemon thread."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(self.handler):  # type: ignore[name-defined,misc]
            server_owner = owner

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _FileHandler(BaseHTTPRequestHandler):
    server_owner: FileServer

    def do_GET(self) -> None:  # noqa: N802
        self.server_owner.record({"method": "GET", "path": self.path})
        body = self.server_owner.files.get(self.path.split("?")[0])
        if body is None:
            _send(self, 404, b"not found", "text/plain")
        else:
            _send(self, 200, body, "application/json")


class FileServer(_Server):
    """Serves fixed files (path -> bytes), e.g. the preset under test."""

    handler = _FileHandler

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        super().__init__()


class _SinkholeHandler(BaseHTTPRequestHandler):
    server_owner: Sinkhole

    def _refuse(self) -> None:
        self.server_owner.record(
            {"method": self.command, "path": self.path, "host": self.headers.get("Host")}
        )
        _send(self, 403, b"os-tooling tests: no network beyond loopback", "text/plain")
        self.close_connection = True

    do_GET = do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_CONNECT = _refuse  # noqa: N815


class Sinkhole(_Server):
    """The HTTP(S) proxy Renovate is given: records every request and refuses it."""

    handler = _SinkholeHandler


class _GraphQLHandler(BaseHTTPRequestHandler):
    server_owner: FakeGitHub

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        query = payload.get("query", "")
        variables = payload.get("variables") or {}
        repo = f"{variables.get('owner')}/{variables.get('name')}"
        kind = "releases" if "releases(" in query else "tags" if "refs(" in query else "?"
        self.server_owner.record({"method": "POST", "path": self.path, "repo": repo, "kind": kind})
        if self.path.rstrip("/") != "/api/graphql" or kind == "?":
            _send(self, 404, b'{"message": "Not Found"}', "application/json")
            return
        versions = self.server_owner.repos.get(repo)
        if versions is None:
            body = {"data": {"repository": None},
                    "errors": [{"type": "NOT_FOUND", "message": f"Could not resolve {repo}"}]}
        else:
            nodes = [self.server_owner.node(kind, v, i) for i, v in enumerate(versions)]
            body = {"data": {"repository": {
                "isRepoPrivate": True,  # keep Renovate from caching between tests
                "payload": {"pageInfo": {"hasNextPage": False, "endCursor": None},
                            "nodes": nodes}}}}
        _send(self, 200, json.dumps(body).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802 - REST is not faked: say so, loudly
        self.server_owner.record({"method": "GET", "path": self.path})
        _send(self, 404, b'{"message": "Not Found"}', "application/json")


class FakeGitHub(_Server):
    """Loopback stand-in for GitHub's GraphQL API as Renovate's github-tags and
    github-releases datasources query it (``POST <registryUrl>/api/graphql``).

    ``repos`` maps ``owner/name`` to its tag names (newest first), served as both releases
    and tags.
    """

    handler = _GraphQLHandler

    def __init__(self, repos: dict[str, list[str]]) -> None:
        self.repos = repos
        super().__init__()

    @staticmethod
    def node(kind: str, version: str, index: int) -> dict[str, Any]:
        stamp = f"2026-01-{28 - min(index, 27):02d}T10:00:00Z"
        if kind == "releases":
            return {"version": version, "releaseTimestamp": stamp, "isDraft": False,
                    "isPrerelease": False, "url": f"https://example.invalid/{version}",
                    "id": 1000 + index, "name": version, "description": None}
        return {"version": version,
                "target": {"type": "Commit", "oid": f"{index:040x}", "releaseTimestamp": stamp}}


# --------------------------------------------------------------------------- git + Renovate


def make_git_repo(path: Path, files: dict[str, str]) -> Path:
    """A git repository at ``path`` with ``files`` committed (Renovate reads tracked files only)."""
    path.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git_env = clean_env({
        "GIT_AUTHOR_NAME": "os-tooling tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
        "GIT_COMMITTER_NAME": "os-tooling tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    })
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "--all"],
                ["git", "commit", "-q", "--no-gpg-sign", "-m", "fixture"]):
        subprocess.run(cmd, cwd=path, env=git_env, check=True, capture_output=True)
    return path


@dataclass
class RenovateRun:
    returncode: int
    records: list[dict[str, Any]]
    stderr: str
    command: list[str]
    proxied: list[dict[str, Any]] = field(default_factory=list)
    github_requests: list[dict[str, Any]] = field(default_factory=list)

    def messages(self, msg: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("msg") == msg]

    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("level", 0) >= 50]

    def describe(self) -> str:
        tail = "\n".join(json.dumps(r)[:400] for r in self.records[-15:])
        return f"{' '.join(self.command)} -> exit {self.returncode}\n{tail}\n{self.stderr[-2000:]}"

    def extracted(self) -> list[dict[str, Any]]:
        """Every dependency of the "Extracted dependencies" log line, with its file."""
        lines = self.messages("Extracted dependencies")
        assert len(lines) == 1, f"expected one 'Extracted dependencies' line\n{self.describe()}"
        return _flatten(lines[0]["packageFiles"])

    def looked_up(self) -> list[dict[str, Any]]:
        """Every dependency of the "packageFiles with updates" line (debug), with its updates."""
        lines = self.messages("packageFiles with updates")
        assert len(lines) == 1, f"expected one 'packageFiles with updates' line\n{self.describe()}"
        return _flatten(lines[0]["config"])


def _flatten(package_files: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    deps = []
    for manager, files in package_files.items():
        for package_file in files:
            for dep in package_file.get("deps", []):
                deps.append({**dep, "manager": manager, "file": package_file["packageFile"]})
    return deps


def run_renovate(
    repo: Path,
    config: dict[str, Any],
    workdir: Path,
    dry_run: str = "extract",
    log_level: str = "info",
    timeout: int = 240,
) -> RenovateRun:
    """The real Renovate on ``repo`` (``--platform=local``), JSON log parsed.

    ``config`` is the self-hosted (global) config file; the repository's own renovate.json
    is read from ``repo``. ``workdir`` gets the config file and Renovate's base dir. All
    traffic to non-loopback hosts goes to a fresh :class:`Sinkhole`: see ``proxied``.
    """
    with Sinkhole() as sinkhole:
        return _run_renovate(repo, config, workdir, sinkhole, dry_run, log_level, timeout)


def _run_renovate(repo: Path, config: dict[str, Any], workdir: Path, sinkhole: Sinkhole,
                  dry_run: str, log_level: str, timeout: int) -> RenovateRun:
    renovate = require_binary(RENOVATE_BIN)
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "config.json"
    config_file.write_text(json.dumps(config, indent=2))
    base_dir = workdir / "renovate-base"
    shutil.rmtree(base_dir, ignore_errors=True)
    env = clean_env({
        "RENOVATE_ONBOARDING": "false",
        "RENOVATE_REQUIRE_CONFIG": "optional",
        "RENOVATE_CONFIG_FILE": str(config_file),
        "RENOVATE_BASE_DIR": str(base_dir),
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "json",
        "HTTP_PROXY": sinkhole.url,
        "HTTPS_PROXY": sinkhole.url,
        "NO_PROXY": "127.0.0.1,localhost",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    })
    command = [str(renovate), "--platform=local", f"--dry-run={dry_run}"]
    proc = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True,
                          timeout=timeout)
    records = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return RenovateRun(proc.returncode, records, proc.stderr, command,
                       proxied=list(sinkhole.requests))


class _RegistryHandler(BaseHTTPRequestHandler):
    server_owner: FakeRegistry
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        owner = self.server_owner
        path = self.path.split("?")[0]
        owner.record({"method": self.command, "path": self.path})
        body, ctype, digest = owner.resolve(path)
        if body is None:
            _send(self, 404, b'{"errors": [{"code": "NAME_UNKNOWN"}]}', "application/json")
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        if digest:
            self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _answer  # noqa: N815


class FakeRegistry(_Server):
    """A loopback stand-in for an OCI registry (Docker Hub's ``library/`` images) as Renovate's
    docker datasource reads it: ``/v2/``, tag lists, and each tag's manifest index with its
    digest in ``Docker-Content-Digest``. ``images`` maps ``library/python`` to {tag: digest}."""

    handler = _RegistryHandler
    INDEX = "application/vnd.oci.image.index.v1+json"

    def __init__(self, images: dict[str, dict[str, str]]) -> None:
        self.images = images
        super().__init__()

    def resolve(self, path: str) -> tuple[bytes | None, str, str | None]:
        if path.rstrip("/") == "/v2":
            return b"{}", "application/json", None
        for name, tags in self.images.items():
            prefix = f"/v2/{name}/"
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):]
            if rest == "tags/list":
                return json.dumps({"name": name, "tags": list(tags)}).encode(), "application/json", None
            if rest.startswith("manifests/"):
                ref = rest[len("manifests/"):]
                digest = tags.get(ref) or (ref if ref in tags.values() else None)
                if digest is None:
                    return None, "", None
                index = {"schemaVersion": 2, "mediaType": self.INDEX, "manifests": []}
                return json.dumps(index).encode(), self.INDEX, digest
        return None, "", None
