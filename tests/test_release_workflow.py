"""The action's own release: tools/pin-action-image.py and the release workflow's own steps.

The image build, push, signing and attestation run on GitHub only; what decides what users
run is here: the step that allows a release (from main, the version pyproject.toml declares)
and names the image, the script that names the pushed image by digest in action.yml, and the
step that makes the release commit and the tags, run with bash against real git repositories
(a bare "origin", ``gh`` a stand-in). ``make image-test`` runs the same script against a
loopback registry with a real image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, GitRepo

PIN = ROOT / "tools" / "pin-action-image.py"
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yaml").read_text())
DIGEST = "sha256:" + "4f" * 32
IMAGE = "ghcr.io/giantswarm/os-tooling"


def pin(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PIN), *map(str, args)], capture_output=True,
                          text=True, timeout=30)


def test_pins_only_the_image_line(tmp_path):
    out = tmp_path / "action.yml"
    result = pin("--output", out, ROOT / "action.yml", f"{IMAGE}@{DIGEST}")
    assert result.returncode == 0, result.stderr
    before = (ROOT / "action.yml").read_text().split("\n")
    after = out.read_text().split("\n")
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("  image: Dockerfile", f"  image: docker://{IMAGE}@{DIGEST}")]
    parsed = yaml.safe_load(out.read_text())
    assert parsed["runs"] == {"using": "docker", "image": f"docker://{IMAGE}@{DIGEST}"}
    assert pin("--show", out).stdout.strip() == f"{IMAGE}@{DIGEST}"
    assert "image: Dockerfile" in (ROOT / "action.yml").read_text()  # main keeps building


def test_the_pinned_action_passes_the_actions_schema(tmp_path):
    out = tmp_path / "action.yml"
    assert pin("--output", out, ROOT / "action.yml", f"127.0.0.1:5000/os-tooling@{DIGEST}").returncode == 0
    check = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"),
                            "--builtin-schema", "vendor.github-actions", str(out)],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_pinning_again_replaces_the_digest(tmp_path):
    out = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", out)
    other = "sha256:" + "0" * 64
    assert pin(out, f"{IMAGE}@{DIGEST}").returncode == 0
    assert pin(out, f"docker://{IMAGE}@{other}").returncode == 0
    assert pin("--show", out).stdout.strip() == f"{IMAGE}@{other}"
    assert out.read_text().count("image:") == 1


@pytest.mark.parametrize("reference", [
    f"{IMAGE}:1.2.3",                      # a tag moves: never
    f"{IMAGE}@sha256:{'a' * 63}",           # short digest
    f"{IMAGE}@sha512:{'a' * 64}",
    f"ghcr.io/GiantSwarm/os-tooling@{DIGEST}",  # path components are lowercase
    f"os-tooling@{DIGEST}",                # no registry
    f"{IMAGE}@{DIGEST}\n  entrypoint: x",   # YAML injection
    f"{IMAGE}@{DIGEST} #",
    f"$(id)/x@{DIGEST}",
    "Dockerfile",
])
def test_refuses_anything_but_an_image_by_digest(tmp_path, reference):
    out = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", out)
    result = pin(out, reference)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert out.read_text() == (ROOT / "action.yml").read_text()


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nruns:\n  using: node20\n  main: index.js\n", "not 'docker'"),
    ("name: x\nruns:\n  using: docker\n", "no runs.image"),
    ("name: x\n", "no single top-level 'runs:'"),
    ("name: x\nruns:\n  using: docker\n  image: a\n  image: b\n", "appears twice"),
])
def test_refuses_an_action_it_cannot_pin(tmp_path, text, message):
    action = tmp_path / "action.yml"
    action.write_text(text)
    result = pin(action, f"{IMAGE}@{DIGEST}")
    assert result.returncode == 2 and message in result.stderr
    assert action.read_text() == text


def test_show_refuses_the_development_action():
    result = pin("--show", ROOT / "action.yml")
    assert result.returncode == 2 and "Dockerfile" in result.stderr


# -- the release job's tagging step ----------------------------------------------------------------
def release_step() -> str:
    [script] = [s["run"] for s in WORKFLOW["jobs"]["release"]["steps"] if "run" in s]
    return script


class Clone:
    """A checkout as actions/checkout leaves it: detached at the commit, origin set."""

    def __init__(self, path: Path):
        self.path = path

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True,
                              check=True).stdout


@pytest.fixture
def clone(tmp_path) -> Clone:
    """origin (bare) with main at a commit holding this project's action.yml and pin script,
    and a checkout of it."""
    work = GitRepo(tmp_path / "work")
    shutil.copy(ROOT / "action.yml", work.path / "action.yml")
    (work.path / "tools").mkdir()
    shutil.copy(PIN, work.path / "tools" / PIN.name)
    work.commit("main")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work.path), str(origin)], check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(tmp_path / "checkout")], check=True)
    checkout = Clone(tmp_path / "checkout")
    checkout.git("checkout", "-q", "--detach", "HEAD")
    return checkout


def run_release(tmp_path: Path, clone: Clone, version: str) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{tmp_path / 'gh-calls'}'\n")
    gh.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "VERSION": version, "IMAGE": IMAGE, "DIGEST": DIGEST, "GH_TOKEN": "x",
           "GITHUB_REPOSITORY": "giantswarm/os-tooling"}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", release_step()],
                          cwd=clone.path, env=env, capture_output=True, text=True, timeout=60)


def remote_ref(clone: Clone, ref: str) -> str:
    listed = clone.git("ls-remote", "origin", ref).split()
    return listed[0] if listed else ""


def test_release_step_tags_a_release_commit_with_the_image_pinned(tmp_path, clone):
    main = clone.git("rev-parse", "HEAD").strip()
    result = run_release(tmp_path, clone, "1.2.0")
    assert result.returncode == 0, result.stdout + result.stderr

    tag_commit = clone.git("rev-parse", "v1.2.0^{commit}").strip()
    assert clone.git("rev-parse", f"{tag_commit}^").strip() == main  # a child of what was built
    pinned = yaml.safe_load(clone.git("show", f"{tag_commit}:action.yml"))
    assert pinned["runs"]["image"] == f"docker://{IMAGE}@{DIGEST}"
    assert clone.git("diff", "--name-only", main, tag_commit).split() == ["action.yml"]
    assert remote_ref(clone, "refs/tags/v1.2.0^{}") == tag_commit
    assert remote_ref(clone, "refs/tags/v1") == tag_commit
    assert "image: Dockerfile" in clone.git("show", "origin/main:action.yml")  # main untouched
    calls = (tmp_path / "gh-calls").read_text()
    assert "release\ncreate\nv1.2.0\n--verify-tag" in calls and f"{IMAGE}@{DIGEST}" in calls


def test_release_step_moves_the_major_tag_and_never_reuses_a_version(tmp_path, clone):
    assert run_release(tmp_path, clone, "1.2.0").returncode == 0
    first = clone.git("rev-parse", "v1.2.0^{commit}").strip()
    clone.git("checkout", "-q", "--detach", "origin/main")
    assert run_release(tmp_path, clone, "1.3.0").returncode == 0
    second = clone.git("rev-parse", "v1.3.0^{commit}").strip()
    assert second != first and remote_ref(clone, "refs/tags/v1") == second
    assert remote_ref(clone, "refs/tags/v1.2.0^{}") == first  # a version tag never moves
    clone.git("checkout", "-q", "--detach", "origin/main")
    again = run_release(tmp_path, clone, "1.3.0")
    assert again.returncode != 0 and "v1.3.0 exists already" in again.stdout
    assert remote_ref(clone, "refs/tags/v1.3.0^{}") == second


# -- the image job's first step: from main only, the version pyproject.toml declares ----------
def name_step() -> str:
    [script] = [s["run"] for s in WORKFLOW["jobs"]["image"]["steps"] if s.get("id") == "name"]
    return script


def run_name_step(tmp_path: Path, ref: str, version: str, repository: str = "GiantSwarm/OS-Tooling"):
    output = tmp_path / "github_output"
    output.write_text("")
    env = {"PATH": os.environ["PATH"], "VERSION": version, "REF": ref, "REPOSITORY": repository,
           "GITHUB_OUTPUT": str(output)}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", name_step()],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    return result, output.read_text()


def test_the_image_is_named_only_for_mains_declared_version(tmp_path):
    declared = next(line.split('"')[1] for line in (ROOT / "pyproject.toml").read_text().splitlines()
                    if line.startswith("version = "))
    result, outputs = run_name_step(tmp_path, "refs/heads/main", declared)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs == "image=ghcr.io/giantswarm/os-tooling\n"  # GHCR names are lower case
    for ref, version, why in (("refs/heads/feature", declared, "release from main only"),
                              ("refs/heads/main", "9.9.9", "pyproject.toml says"),
                              ("refs/heads/main", "1.2", "version must be X.Y.Z"),
                              ("refs/heads/main", "1.2.3; id", "version must be X.Y.Z")):
        result, outputs = run_name_step(tmp_path, ref, version)
        assert result.returncode != 0 and why in result.stdout and outputs == "", (ref, version)
