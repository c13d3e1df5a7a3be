"""This project's own Renovate config (.github/renovate.json), with the real (pinned) Renovate.

It must keep current what the project pins by digest: the Dockerfile's base image (tag and
index digest, in the BASE_IMAGE build ARG) and the commit SHA of every action in the
workflows, the example workflows included (users copy those). Checked like the preset:

* the validator passes on it (and fails on a broken copy);
* ``--dry-run=extract`` on a repository holding this project's files: the base image with its
  digest, and every ``uses:`` of every workflow with its SHA and version comment, nothing
  else (Python and npm dependencies are updated by hand);
* ``--dry-run=lookup`` against loopback fakes of Docker Hub and GitHub that know newer
  versions: a new digest for the base image and a newer SHA for every action, in the groups
  the config names; this project's own action in the examples is left alone.

No request leaves loopback (the Sinkhole proxy records any attempt).
"""

from __future__ import annotations

import copy
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import renovate_helpers as rh

pytestmark = pytest.mark.renovate

ROOT = rh.REPO_ROOT
CONFIG_PATH = ROOT / ".github" / "renovate.json"
WORKFLOW_GLOBS = (".github/workflows/*.yaml", ".github/workflows/*.yml",
                  "examples/workflows/*/*.yaml")
OWN_ACTION = "giantswarm/os-tooling"
NEW_DIGEST = "sha256:" + "b" * 64
NEWEST_SHA = "0" * 40  # FakeGitHub: the newest tag's commit
_USES = re.compile(r"uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s*(v\S+)")


def base_image() -> tuple[str, str]:
    """(tag, digest) of the Dockerfile's BASE_IMAGE default."""
    match = re.search(r"^ARG BASE_IMAGE=python:(\S+)@(sha256:[0-9a-f]{64})$",
                      (ROOT / "Dockerfile").read_text(), re.M)
    assert match, "the Dockerfile's BASE_IMAGE is pinned by tag and digest"
    return match[1], match[2]


def workflow_files() -> list[Path]:
    return sorted(p for glob in WORKFLOW_GLOBS for p in ROOT.glob(glob))


def pinned_actions() -> set[tuple[str, str, str, str]]:
    """(file, action, sha, version) of every SHA-pinned ``uses:`` in the workflows."""
    found = set()
    for path in workflow_files():
        for action, sha, version in _USES.findall(path.read_text()):
            found.add((path.relative_to(ROOT).as_posix(), action, sha, version))
    return found


def every_use() -> set[tuple[str, str]]:
    """(file, action) of every remote ``uses:`` (steps and reusable workflows), from the YAML."""
    found = set()
    for path in workflow_files():
        workflow = yaml.safe_load(path.read_text())
        for job in workflow["jobs"].values():
            uses = [job.get("uses")] + [s.get("uses") for s in job.get("steps", [])]
            for use in filter(None, uses):
                if not use.startswith(("./", "docker://")):
                    found.add((path.relative_to(ROOT).as_posix(), use.split("@")[0]))
    return found


def _project_files() -> dict[str, str]:
    """What Renovate would see of this repository: its config, what it should manage, and
    what it must not (pyproject.toml, the tests' npm pin)."""
    files = {p.relative_to(ROOT).as_posix(): p.read_text() for p in workflow_files()}
    for rel in ("Dockerfile", "action.yml", "pyproject.toml", "tools/renovate/package.json",
                ".github/renovate.json"):
        files[rel] = (ROOT / rel).read_text()
    return files


def _bumped(version: str) -> str:
    """v4.2.2 -> v4.2.3 (a newer patch of the same line)."""
    head, last = version.rsplit(".", 1)
    return f"{head}.{int(last) + 1}"


def _run(workdir: Path, dry_run: str) -> rh.RenovateRun:
    repo = rh.make_git_repo(workdir / "repo", _project_files())
    tag, _ = base_image()
    patch = re.sub(r"^(\d+\.\d+\.)(\d+)", lambda m: f"{m[1]}{int(m[2]) + 1}", tag)
    tags = {action: [_bumped(version), version] for _, action, _, version in pinned_actions()}
    with rh.FakeGitHub(tags) as github, rh.FakeRegistry(
            {"library/python": {tag: NEW_DIGEST, patch: "sha256:" + "c" * 64}}) as registry:
        config = {"githubTokenWarn": False, "packageRules": [
            {"matchDatasources": ["github-tags", "github-releases"], "registryUrls": [github.url]},
            {"matchDatasources": ["docker"], "registryUrls": [registry.url]}]}
        run = rh.run_renovate(repo, config, workdir, dry_run=dry_run,
                              log_level="trace" if dry_run == "lookup" else "info")
    assert run.returncode == 0, run.describe()
    assert not run.errors(), run.describe()
    assert run.proxied == [], f"Renovate tried to leave loopback: {run.proxied}"
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("renovate-self")
    broken = copy.deepcopy(json.loads(CONFIG_PATH.read_text()))
    broken["packageRules"][0]["matchDepNamez"] = ["python"]
    jobs = {
        "extract": lambda: _run(work / "extract", "extract"),
        "lookup": lambda: _run(work / "lookup", "lookup"),
        "valid": lambda: rh.validate_presets({"default": json.loads(CONFIG_PATH.read_text())},
                                             work / "valid"),
        "broken": lambda: rh.validate_presets({"default": broken}, work / "broken"),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_the_config_is_valid_and_a_broken_copy_is_not(runs):
    good, broken = runs["valid"], runs["broken"]
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Config validated successfully" in good.stdout + good.stderr
    assert broken.returncode != 0
    assert "matchDepNamez" in broken.stdout + broken.stderr


def test_the_fixture_is_this_project():
    assert len(pinned_actions()) >= 10
    assert {action for _, action, _, _ in pinned_actions()} >= {
        "actions/checkout", "docker/build-push-action", "sigstore/cosign-installer",
        "azure/login"}


def test_extract_finds_the_base_image_and_every_pinned_action(runs):
    deps = runs["extract"].extracted()
    tag, digest = base_image()
    docker = [d for d in deps if d["manager"] == "dockerfile"]
    assert docker and {(d["depName"], d["currentValue"], d["currentDigest"]) for d in docker} == {
        ("python", tag, digest)}
    actions = {(d["file"], d["depName"], d.get("currentDigest"), d.get("currentValue"))
               for d in deps if d["manager"] == "github-actions" and d.get("depType") == "action"}
    assert actions == pinned_actions() | {(f, OWN_ACTION, None, "v1") for f, a in every_use()
                                          if a == OWN_ACTION}
    # every action the workflows use is pinned (but ours, which users pick), none is missed
    assert {(f, a) for f, a, _, _ in actions} == every_use()
    assert {d["manager"] for d in deps} == {"dockerfile", "github-actions"}  # no pep621, npm


def _updates(run: rh.RenovateRun) -> dict[tuple[str, str], list[dict[str, Any]]]:
    return {(d["file"], d["depName"]): d.get("updates", []) for d in run.looked_up()}


def test_lookup_proposes_a_new_base_image_digest(runs):
    updates = _updates(runs["lookup"])
    tag, _ = base_image()
    proposed = {(u["updateType"], u.get("newValue"), u.get("newDigest"))
                for u in updates[("Dockerfile", "python")]}
    assert ("digest", tag, NEW_DIGEST) in proposed


def test_lookup_proposes_a_newer_sha_for_every_action(runs):
    updates = _updates(runs["lookup"])
    for file, action, _, version in pinned_actions():
        proposed = {(u.get("newValue"), u.get("newDigest")) for u in updates[(file, action)]}
        assert (_bumped(version), NEWEST_SHA) in proposed, (file, action, proposed)
    for file, action in every_use():
        if action == OWN_ACTION:
            assert updates[(file, action)] == [], file


def test_updates_come_in_the_configured_groups(runs):
    upgrades = [u for r in runs["lookup"].messages("generateBranchConfig") for u in r["config"]]
    groups = {(u["depName"], u.get("groupName")) for u in upgrades}
    assert ("python", "action base image") in groups
    assert ("actions/checkout", "GitHub Actions") in groups
    assert all("dependencies" in u.get("labels", []) for u in upgrades)
    assert not [u for u in upgrades if u["depName"] == OWN_ACTION]
