"""The image build wired up: the action's build-matrix and build-vars commands under a simulated
runner, the example workflow that consumes their outputs (actionlint, with this action.yml),
and the example Tekton Task's steps run for real (os-tooling, then jq's merge)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.action_helpers import TOKEN, run_action
from tests.gate_helpers import SAMPLES, make_tooling_repo
from tests.helpers import ROOT
from tests.test_action_runner import assert_token_only_masked
from tests.test_lint_files import lay_out_repository, tool

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

WORKFLOW = ROOT / "examples" / "workflows" / "capi-image-builder" / "build-images.yaml"
TASK = ROOT / "examples" / "workflows" / "capi-image-builder" / "tekton" / "build-vars-task.yaml"
T = "1.34.0"


@pytest.fixture(scope="module")
def tooling_path(tmp_path_factory) -> Path:
    return make_tooling_repo(tmp_path_factory.mktemp("tooling") / "capi-image-builder").path


@pytest.fixture
def catalog(tmp_path) -> Path:
    path = tmp_path / "images.yaml"
    path.write_text("capa: [flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.34.0-gs]\n")
    return path


def cli_json(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "os_tooling", *args, "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# -- the action --------------------------------------------------------------------------------
def test_action_build_matrix_sets_the_matrix_output(tmp_path, tooling_path, catalog):
    result = run_action(tmp_path / "runner", tooling_path, {
        "token": TOKEN, "command": "build-matrix", "releases": str(SAMPLES),
        "catalog": str(catalog), "providers": "capa, eks"}, "push", {})
    assert result.code == 0, result.stdout + result.stderr
    out = result.outputs
    matrix = json.loads(out["matrix"])
    expected = cli_json("build-matrix", "--releases", str(SAMPLES), "--catalog", str(catalog),
                        "--provider", "capa", "--provider", "eks", "--tooling-repo",
                        str(tooling_path))
    assert matrix == {"include": expected["include"]}
    assert expected["tooling"] == "2.0.0"  # the newest tag of the working directory's repo
    assert [e["provider"] for e in matrix["include"]] == ["capa", "capa", "eks", "eks"]
    assert out["vars"] == "" and out["ok"] == "true" and out["exit-code"] == "0"
    assert "### os-tooling 2.0.0: 4 image(s) to build" in result.summary
    [notice] = result.annotations("notice")
    assert notice.data == "os-tooling 2.0.0: 4 image(s) to build"


def test_action_build_matrix_nothing_to_build(tmp_path, tooling_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    result = run_action(tmp_path / "runner", tooling_path, {
        "token": TOKEN, "command": "build-matrix", "releases": str(SAMPLES), "tooling": "v1.0.0",
        "catalog": str(empty), "providers": "capmox"})
    assert result.code == 0, result.stdout + result.stderr
    assert json.loads(result.outputs["matrix"]) == {"include": []}
    assert "Nothing to build." in result.summary


def test_action_build_matrix_reads_the_releases_repo_through_the_api(tmp_path, tooling_path,
                                                                     catalog, github_fake):
    from tests.helpers import GitRepo

    releases = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, releases.path, dirs_exist_ok=True)
    releases.commit("releases")
    github_fake.import_git(releases.path, "acme/releases")
    env = github_fake.env(token=None)
    result = run_action(tmp_path / "runner", tooling_path, {
        "token": TOKEN, "command": "build-matrix", "releases-github": "acme/releases",
        "ref": "main", "tooling": T, "catalog": str(catalog)}, "push", {}, env)
    assert result.code == 0, result.stdout + result.stderr
    assert len(json.loads(result.outputs["matrix"])["include"]) == 8
    assert github_fake.calls(path=r"/git/trees/main") == 1
    assert all(r.token == TOKEN for r in github_fake.requests)  # the input token, never shown
    assert_token_only_masked(result)


def test_action_build_vars_sets_the_vars_output(tmp_path, tooling_path):
    result = run_action(tmp_path / "runner", tooling_path, {
        "token": TOKEN, "command": "build-vars", "version": "v1.34.0", "provider": "capz"})
    assert result.code == 0, result.stdout + result.stderr
    packer = json.loads(result.outputs["vars"])
    proc = subprocess.run([sys.executable, "-m", "os_tooling", "build-vars", "--provider", "capz",
                           "--version", T, "--format", "packer"], cwd=tooling_path,
                          capture_output=True, text=True, check=True)
    assert packer == json.loads(proc.stdout)
    assert packer["os_tooling_version"] == T and packer["teleport_version"] == "18.0.0"
    assert result.outputs["matrix"] == ""
    assert "| containerd | `v1.7.28` | `containerd_version` |" in result.summary


def test_action_build_vars_without_a_tag_fails_with_one_annotation(tmp_path, tooling_path):
    result = run_action(tmp_path / "runner", tooling_path, {
        "token": TOKEN, "command": "build-vars", "version": "9.9.9", "provider": "capz"})
    assert result.code == 2
    [error] = result.annotations("error")
    assert "os-tooling 9.9.9 has no tag v9.9.9" in error.data
    assert result.outputs["ok"] == "false" and result.outputs["vars"] == ""


# -- the example workflow consumes the outputs ------------------------------------------------------
def local_copy(tmp_path: Path, text: str) -> Path:
    """The workflow with ``uses: ./`` (this action.yml) laid out as in capi-image-builder."""
    copy = tmp_path / "src" / WORKFLOW.name
    copy.parent.mkdir(parents=True)
    copy.write_text(text.replace("uses: giantswarm/os-tooling@v1", "uses: ./"))
    return lay_out_repository(tmp_path / "repo", [copy], with_action=True)


def test_the_build_workflow_passes_actionlint_against_this_action(tmp_path):
    text = WORKFLOW.read_text()
    assert text.count("uses: giantswarm/os-tooling@v1") == 3
    good = tool("actionlint", cwd=local_copy(tmp_path / "good", text))
    assert good.returncode == 0, good.stdout + good.stderr
    # the same check fails when the workflow reads an output or passes an input we do not have
    for broken, words in ((text.replace("steps.matrix.outputs.matrix", "steps.matrix.outputs.images"),
                           'property "images" is not defined'),
                          (text.replace("provider: ${{ matrix.provider }}",
                                        "platform: ${{ matrix.provider }}"),
                           'input "platform" is not defined')):
        result = tool("actionlint", cwd=local_copy(tmp_path / words.split('"')[1], broken))
        assert result.returncode == 1 and words in result.stdout, result.stdout


def test_the_build_job_runs_one_entry_per_image_with_the_keys_the_matrix_has(tmp_path,
                                                                             tooling_path,
                                                                             catalog):
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    [matrix_step] = [s for s in jobs["matrix"]["steps"] if s.get("id") == "matrix"]
    assert matrix_step["with"]["command"] == "build-matrix"
    assert matrix_step["with"]["releases-github"] == "giantswarm/releases"
    assert jobs["matrix"]["outputs"]["matrix"] == "${{ steps.matrix.outputs.matrix }}"
    build = jobs["build"]
    assert build["needs"] == "matrix"
    assert build["strategy"]["matrix"] == "${{ fromJSON(needs.matrix.outputs.matrix) }}"
    [vars_step] = [s for s in build["steps"] if s.get("id") == "vars"]
    assert vars_step["with"] == {"command": "build-vars", "version": "${{ inputs.tag || github.ref_name }}",
                                 "provider": "${{ matrix.provider }}"}
    # what the build job reads from each entry is what the action's matrix output holds
    used = set(re.findall(r"\bmatrix\.([a-z_]+)", yaml.safe_dump(build["steps"]) + build["name"]))
    result = run_action(tmp_path / "runner", tooling_path, {
        "token": TOKEN, "command": "build-matrix", "releases": str(SAMPLES), "tooling": T,
        "catalog": str(catalog)})
    include = json.loads(result.outputs["matrix"])["include"]
    assert len(include) == 8
    assert used == {"provider", "flatcar", "kubernetes", "image"}
    assert all(set(entry) == used for entry in include)
    # the image name check after the build asks the store for the version being built
    check = next(s for s in build["steps"] if s.get("id") == "built")
    assert check["with"]["command"] == "available"
    assert check["with"]["providers"] == "${{ matrix.provider }}"


# -- the Tekton Task --------------------------------------------------------------------------------
def substitute(text: str, params: dict[str, str], workspace: Path, results: Path) -> str:
    text = text.replace("$(workspaces.source.path)", str(workspace))
    text = re.sub(r"\$\(results\.([A-Za-z_]+)\.path\)", lambda m: str(results / m[1]), text)
    return re.sub(r"\$\(params\.([A-Za-z_]+)\)", lambda m: params[m[1]], text)


def test_tekton_task_writes_the_packer_vars_and_merges_them_with_jq(tmp_path, tooling_path):
    task = yaml.safe_load(TASK.read_text())
    assert task["apiVersion"] == "tekton.dev/v1" and task["kind"] == "Task"
    declared = {p["name"]: p.get("default") for p in task["spec"]["params"]}
    workspace = tmp_path / "source"
    shutil.copytree(tooling_path, workspace)
    results = tmp_path / "results"
    results.mkdir()
    params = {**{k: v for k, v in declared.items() if v is not None},
              "TOOLING_VERSION": T, "PROVIDER": "capa", "FLATCAR_VERSION": "4593.2.4",
              "KUBERNETES_VERSION": "1.34.10", "MERGE_IMAGE": "debian",
              "PACKER_VARS_FILE": '{"teleport_version": "18.0.1", "extra": "it\'s $(x)"}'}
    assert set(params) == set(declared)  # every param the test sets is one the Task declares
    steps = task["spec"]["steps"]
    assert steps[0]["image"] == "$(params.OS_TOOLING_IMAGE)"
    for step in steps:
        assert "$(params." not in step["script"]  # params come in as variables only
        env = {e["name"]: substitute(e["value"], params, workspace, results) for e in step["env"]}
        proc = subprocess.run(["sh", "-c", step["script"]], cwd=workspace, capture_output=True,
                              text=True, timeout=120,
                              env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", **env})
        assert proc.returncode == 0, (step["name"], proc.stderr)
    merged_path = Path((results / "PACKER_VAR_FILES").read_text())
    merged = json.loads(merged_path.read_text())
    os_tooling = json.loads((workspace / ".packer" / "os-tooling-vars.json").read_text())
    assert merged == {"flatcar_version": "4593.2.4", "kubernetes_semver": "v1.34.10",
                      "kubernetes_series": "v1.34", **os_tooling,
                      "teleport_version": "18.0.1", "extra": "it's $(x)"}  # the override wins
    assert os_tooling["os_tooling_version"] == T and os_tooling["containerd_version"] == "v1.7.28"
    assert os_tooling["ansible_user_vars"].startswith("teleport_version=18.0.0 ")
