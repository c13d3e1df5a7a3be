"""The gate examples of README.md and docs/gate.md are real outputs of today's code.

Each example in a doc sits between markers::

    <!-- generated: NAME -->
    ```console
    $ os-tooling gate ...
    ...
    ```
    <!-- /generated -->

This module builds the scene in a temp directory (the real releases sample in a git repository
with ``origin/main``, retired provider folders beside it, a catalog of images, and an image
builder repository whose tags hold the tooling manifests), runs each example's commands with the
real ``os-tooling`` in a subprocess, and puts their output between the markers. The image
builder is shown at ``/src/capi-image-builder`` (its temp path is replaced by that one).

    python -m tests.doc_examples --write   # regenerate (what `make docs` does)
    python -m tests.doc_examples --check   # exit 1 when a doc is stale (tests/test_doc_examples.py)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "data" / "releases-sample"
EXAMPLE_MANIFEST = ROOT / "examples" / "manifests" / "os-tooling.yaml"
DOCS = [ROOT / "README.md", ROOT / "docs" / "gate.md"]
SHOWN_BUILDER = "/src/capi-image-builder"
MARKED = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n```(?P<lang>\w*)\n)(?P<body>.*?)"
                    r"(```\n<!-- /generated -->)", re.DOTALL)

CATALOG = """\
# the node images that exist, per provider (the catalog image store)
capa:
  - flatcar-stable-4593.2.2-kube-1.34.7-tooling-1.31.0-gs
  - flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs
  - flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.34.0-gs
  - flatcar-stable-4593.2.4-kube-1.34.11-tooling-1.33.1-gs
eks:
  - flatcar-stable-4593.2.4-kube-1.34.11-tooling-1.34.0-gs
capz:
  - flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs
"""
# teleport per image builder tag; the rest of the example manifest stays
TOOLING_TAGS = {"v1.31.0": "17.3.0", "v1.33.1": "17.4.2", "v1.34.0": "17.5.0", "v2.0.0": "18.0.0"}
# a vintage release of a retired provider folder, as in the real history: named v<version>,
# containerlinux instead of flatcar, kubernetes listed twice
VINTAGE = (SAMPLES / "azure/archived/v11.0.0/release.yaml").read_text().replace(
    "name: v11.0.0", "name: v20.0.0").replace(
    "  - name: kubernetes\n    version: 1.16.3\n",
    "  - name: kubernetes\n    version: 1.16.3\n  - name: kubernetes\n    version: 1.16.3\n")


@dataclass(frozen=True)
class Example:
    name: str
    change: Callable[[Path], None]  # the branch's change, made on a branch from main
    commands: tuple[tuple[tuple[str, ...], int], ...]  # (os-tooling arguments, exit code)


def _new_release(repo: Path, version: str, tooling: str, kubernetes: str = "1.34.10") -> None:
    text = (repo / "capa/v34.5.0/release.yaml").read_text()
    text = text.replace("name: aws-34.5.0", f"name: aws-{version}").replace(
        "version: 1.33.1", f"version: {tooling}").replace(
        "version: 1.34.10", f"version: {kubernetes}")
    target = repo / f"capa/v{version}/release.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(text)


def _edit_published(repo: Path) -> None:
    path = repo / "capa/v34.5.0/release.yaml"
    path.write_text(path.read_text().replace("version: 1.33.1", "version: 1.34.0"))


def _archive(repo: Path) -> None:
    for folder in ("aws/v20.0.0", "kvm/v12.0.0", "capa/v34.4.0"):
        directory, version = folder.split("/")
        (repo / directory / "archived").mkdir(exist_ok=True)
        _git(repo, "mv", folder, f"{directory}/archived/{version}")


def _nothing(repo: Path) -> None:
    pass


TOOLING = ("--tooling-repo", SHOWN_BUILDER)
EXAMPLES = [
    Example("gate-one-file", _nothing, (
        (("gate", "capa/v34.5.0/release.yaml", "--catalog", "images.yaml", *TOOLING), 0),)),
    Example("gate-release-pr", lambda r: _new_release(r, "34.6.0", "1.34.0"), (
        (("gate", "--base-ref", "origin/main", "--catalog", "images.yaml", *TOOLING), 0),)),
    Example("gate-no-tooling-source", lambda r: _new_release(r, "34.6.0", "1.34.0"), (
        (("gate", "capa/v34.6.0/release.yaml", "--catalog", "images.yaml"), 1),)),
    Example("gate-published", _edit_published, (
        (("gate", "--base-ref", "origin/main", "--catalog", "images.yaml", *TOOLING), 1),)),
    Example("gate-archived", _archive, (
        (("gate", "--base-ref", "origin/main", "--catalog", "images.yaml", *TOOLING), 0),)),
    Example("gate-near-miss", lambda r: _new_release(r, "34.7.0", "1.34.0", "1.34.11"), (
        (("gate", "capa/v34.7.0/release.yaml", "--catalog", "images.yaml",
          "--no-tooling-checks"), 1),)),
    Example("gate-near-miss-markdown", lambda r: _new_release(r, "34.7.0", "1.34.0", "1.34.11"), (
        (("gate", "capa/v34.7.0/release.yaml", "--catalog", "images.yaml",
          "--no-tooling-checks", "--format", "markdown"), 1),)),
    Example("available", _nothing, (
        (("available", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10", "--provider", "capa",
          "--provider", "capz", "--catalog", "images.yaml"), 0),)),
]


# -- the scene ----------------------------------------------------------------------------------
def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def _repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    for key, value in (("user.email", "docs@example.invalid"), ("user.name", "docs"),
                       ("commit.gpgsign", "false"), ("tag.gpgsign", "false")):
        _git(path, "config", key, value)
    return path


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", message)


def build_scene(tmp: Path) -> tuple[Path, Path]:
    """(releases repository, image builder repository)."""
    builder = _repo(tmp / "capi-image-builder")
    manifest = EXAMPLE_MANIFEST.read_text()
    for tag, teleport in TOOLING_TAGS.items():
        (builder / "os-tooling.yaml").write_text(manifest.replace("version: 17.4.2",
                                                                  f"version: {teleport}"))
        _commit(builder, f"release {tag}")
        _git(builder, "tag", "-a", tag, "-m", f"os-tooling {tag}")
    releases = _repo(tmp / "releases")
    shutil.copytree(SAMPLES, releases, dirs_exist_ok=True)
    for folder in ("aws/v20.0.0", "kvm/v12.0.0"):  # retired provider folders
        (releases / folder).mkdir(parents=True)
        (releases / folder / "release.yaml").write_text(
            VINTAGE.replace("v20.0.0", folder.split("/")[1]))
    (releases / "images.yaml").write_text(CATALOG)
    _commit(releases, "releases")
    _git(releases, "update-ref", "refs/remotes/origin/main", "HEAD")
    return releases, builder


def _env() -> dict[str, str]:
    drop = ("GITHUB_", "OS_TOOLING_", "AWS_", "INPUT_", "RUNNER_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def run_example(example: Example, releases: Path, builder: Path) -> str:
    _git(releases, "checkout", "-q", "-f", "main")
    _git(releases, "checkout", "-q", "-B", example.name)
    example.change(releases)
    _commit(releases, example.name)
    out = []
    for args, code in example.commands:
        real = [str(builder) if a == SHOWN_BUILDER else a for a in args]
        proc = subprocess.run([sys.executable, "-m", "os_tooling", *real], cwd=releases,
                              env=_env(), capture_output=True, text=True, timeout=120)
        if proc.returncode != code:
            raise RuntimeError(f"{example.name}: exit {proc.returncode}, expected {code}:\n"
                               f"{proc.stdout}{proc.stderr}")
        out.append("$ os-tooling " + " ".join(args))
        out.append((proc.stdout + proc.stderr).replace(str(builder.resolve()), SHOWN_BUILDER)
                   .replace(str(builder), SHOWN_BUILDER).rstrip("\n"))
    return "\n".join(out) + "\n"


def render_all() -> dict[str, str]:
    """Example name -> the text between its markers."""
    with tempfile.TemporaryDirectory(prefix="os-tooling-docs-") as tmp:
        releases, builder = build_scene(Path(tmp))
        return {e.name: run_example(e, releases, builder) for e in EXAMPLES}


def update(text: str, rendered: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in rendered:
            raise KeyError(f"no example named {name!r} in tests/doc_examples.py")
        return match.group(1) + rendered[name] + match.group(5)

    return MARKED.sub(replace, text)


def main(argv: list[str]) -> int:
    rendered = render_all()
    stale = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        new = update(text, rendered)
        if new != text:
            stale.append(doc.relative_to(ROOT).as_posix())
            if "--write" in argv:
                doc.write_text(new, encoding="utf-8")
    if stale and "--write" not in argv:
        print(f"stale examples in {', '.join(stale)}: run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
