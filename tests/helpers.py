"""Helpers shared by the tests: run the CLI as a real subprocess, make real git repositories,
write manifests. Fixtures live in conftest.py; import these from here, never from conftest."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_MANIFEST = ROOT / "examples" / "manifests" / "os-tooling.yaml"


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_subprocess(*args: str, cwd: str | Path | None = None, env: dict | None = None,
                   input_bytes: bytes | None = None) -> Result:
    """The real console entry point in a child process (exit codes, stderr, no traceback)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "os_tooling", *map(str, args)], cwd=cwd,
                          env=full_env, capture_output=True, input=input_bytes, timeout=120)
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"))


class GitRepo:
    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "test@example.invalid")
        self.git("config", "user.name", "Test")
        self.git("config", "commit.gpgsign", "false")
        self.git("config", "tag.gpgsign", "false")

    def git(self, *args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True,
                              check=True)
        return proc.stdout

    def write(self, relative: str, text: str) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str, *files: str) -> str:
        self.git("add", *(files or ["-A"]))
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def tag(self, name: str, message: str | None = None) -> None:
        if message is None:
            self.git("tag", name)
        else:
            self.git("tag", "-a", name, "-m", message)


def manifest_text(*tools: dict, policy: str = "") -> str:
    """A manifest with a renovate annotation above each version (so it has no warnings)."""
    lines = ["tools:"]
    for tool in tools:
        lines.append(f"  - name: {tool['name']}")
        lines.append(f"    # renovate: datasource=github-releases depName=example/{tool['name']}")
        lines.append(f"    version: {tool['version']}")
        lines.append(f"    providers: [{', '.join(tool.get('providers', ['capa', 'capz']))}]")
        if tool.get("allowPrerelease"):
            lines.append("    allowPrerelease: true")
    text = "\n".join(lines) + "\n"
    return text + policy if policy else text
