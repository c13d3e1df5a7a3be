"""The os-tooling story on your machine: no cloud account, no token (``make demo``).

Builds throw-away git repositories in a temp directory and runs the real ``os-tooling``
commands on them, printing each step. Nothing outside the temp directory is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "os-tooling"
EXAMPLE = ROOT / "examples" / "manifests" / "os-tooling.yaml"
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(title: str) -> None:
    print(f"\n{BOLD}== {title}{RESET}")


def run(*args: str, cwd: Path, expect: int = 0) -> str:
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    print(f"{DIM}$ os-tooling {shown}{RESET}")
    proc = subprocess.run([str(BIN), *args], cwd=cwd, capture_output=True, text=True)
    output = (proc.stdout + proc.stderr).rstrip()
    print(output)
    if proc.returncode != expect:
        raise SystemExit(f"demo: expected exit {expect}, got {proc.returncode}")
    return proc.stdout


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for key, value in (("user.email", "demo@example.invalid"), ("user.name", "os-tooling demo"),
                       ("commit.gpgsign", "false"), ("tag.gpgsign", "false")):
        git(path, "config", key, value)
    return path


def main() -> int:
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="os-tooling-demo-"))
    env_note = "" if os.environ.get("KEEP") else " (removed at the end; KEEP=1 keeps it)"
    print(f"{BOLD}os-tooling demo{RESET}: working in {tmp}{env_note}")
    try:
        summary = story(tmp)
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    step("Summary")
    for line in summary:
        print(f"  - {line}")
    print(f"\ndemo finished in {time.perf_counter() - started:.1f}s")
    return 0


def story(tmp: Path) -> list[str]:
    summary: list[str] = []
    builder = make_repo(tmp / "capi-image-builder")

    step("1. capi-image-builder has a tooling manifest, released as v1.33.1")
    shutil.copy(EXAMPLE, builder / "os-tooling.yaml")
    git(builder, "add", "-A")
    git(builder, "commit", "-q", "-m", "Add tooling manifest")
    git(builder, "tag", "-a", "v1.33.1", "-m", "os-tooling 1.33.1")
    run("validate", cwd=builder)

    step("2. Renovate opens a PR: teleport 17.4.2 -> 17.5.0 (a minor)")
    git(builder, "checkout", "-q", "-b", "renovate/teleport-17.x")
    manifest = builder / "os-tooling.yaml"
    manifest.write_text(manifest.read_text().replace("version: 17.4.2", "version: 17.5.0"))
    git(builder, "commit", "-q", "-am", "Update teleport to v17.5.0")
    run("validate", "--strict", cwd=builder)
    print("\nThe PR comment the action posts:")
    run("plan", "--base-ref", "main", "--format", "markdown", cwd=builder)
    plan = run("plan", "--base-ref", "main", cwd=builder)
    summary.append(plan.splitlines()[0])

    step("3. A typo in the manifest is caught with its line and column")
    broken = tmp / "broken.yaml"
    broken.write_text(manifest.read_text().replace("    version: 1.9.1", "    verison: 1.9.1"))
    run("validate", str(broken), cwd=builder, expect=1)
    summary.append("a 'verison' typo is an error with file, line and column")

    step("4. The node image name of the next version")
    name = run("image-name", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10", "--tooling", "1.34.0",
               cwd=builder).strip()
    summary.append(f"image: {name}")
    return summary


if __name__ == "__main__":
    raise SystemExit(main())
