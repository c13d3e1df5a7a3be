"""The CLI contract (README)  for validate, schema, plan and image-name."""

import json
import shutil

import pytest

from tests.helpers import EXAMPLE_MANIFEST, manifest_text, run_subprocess

TELEPORT = {"name": "teleport", "version": "17.4.2"}


# -- validate ------------------------------------------------------------------------------------
def test_validate_ok_in_every_format(cli, tmp_path):
    # a copy outside any git repository: its imageInputs patterns are not checked against the
    # files of this repository (tests/test_image_inputs.py checks them in a real one)
    example = tmp_path / "os-tooling.yaml"
    shutil.copy(EXAMPLE_MANIFEST, example)
    text = cli("validate", example)
    assert text.code == 0 and "is valid (4 tools)" in text.out
    data = json.loads(cli("validate", example, "--format", "json").out)
    assert data["valid"] is True and data["errors"] == [] and data["warnings"] == []
    md = cli("validate", example, "--format", "markdown")
    assert md.code == 0 and "valid :white_check_mark:" in md.out


def test_validate_finding_exit_1_with_positions(cli, tmp_path):
    bad = tmp_path / "os-tooling.yaml"
    bad.write_text("tools:\n  - name: teleport\n    version: 17.4\n    verison: 1\n    providers: [capa]\n")
    result = cli("validate", bad, "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert data["valid"] is False
    assert [(e["path"], e["line"], e["column"]) for e in data["errors"]] == [(str(bad), 4, 5)]
    assert data["warnings"][0]["line"] == 3


def test_validate_strict_turns_warnings_into_errors(cli, tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("tools:\n  - name: teleport\n    version: 17.4.2\n    providers: [capa]\n")
    assert cli("validate", f).code == 0
    assert cli("validate", f, "--strict").code == 1


def test_validate_defaults_to_repo_root_manifest(cli, git_repo, monkeypatch):
    git_repo.write("os-tooling.yaml", manifest_text(TELEPORT))
    sub = git_repo.path / "deep" / "dir"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    result = cli("validate")
    assert result.code == 0 and "os-tooling.yaml is valid (1 tools)" in result.out


@pytest.mark.parametrize("setup,fragment", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_bytes(b"tools: [\xff\xfe]\n"), "not UTF-8 text"),
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: p.write_bytes(b"\x00\x01binary"), "not text"),
])
def test_unreadable_input_exit_2_one_line_no_traceback(tmp_path, setup, fragment):
    target = tmp_path / "m.yaml"
    setup(target)
    result = run_subprocess("validate", target)
    assert result.code == 2
    assert fragment in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


@pytest.mark.parametrize("args", [
    ["bogus"], ["plan"], ["plan", "--base", "a", "--base-ref", "b"], ["validate", "--format", "xml"],
    ["image-name", "--flatcar", "1.2.3"], [],
])
def test_bad_usage_exit_2_one_line(args):
    result = run_subprocess(*args)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_yaml_syntax_error_is_a_finding(cli, tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("tools: [\n")
    result = cli("validate", f)
    assert result.code == 1 and "YAML syntax error" in result.out


def test_version_and_module_entry_point():
    result = run_subprocess("--version")
    assert result.code == 0 and result.out.startswith("os-tooling ")


# -- image-name ----------------------------------------------------------------------------------
def test_image_name(cli):
    result = cli("image-name", "--flatcar", "4593.2.4", "--kubernetes", "v1.34.10", "--tooling", "v1.33.1")
    assert result.out.strip() == "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"
    data = json.loads(cli("image-name", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10",
                          "--tooling", "1.33.1", "--provider", "capv", "--suffix=-tpl",
                          "--format", "json").out)
    assert data["image"] == "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs-tpl"


@pytest.mark.parametrize("bad", ["1.34", "$(id)", "1.34.10\n::error::x", ""])
def test_image_name_rejects_bad_versions(cli, bad):
    result = cli("image-name", "--flatcar", "4593.2.4", "--kubernetes", "1.x" if bad == "1.34" else bad,
                 "--tooling", "1.0.0")
    assert result.code == 2 and "kubernetes version" in result.err


# -- plan ----------------------------------------------------------------------------------------
def write(tmp_path, name, *tools, policy=""):
    path = tmp_path / name
    path.write_text(manifest_text(*tools, policy=policy))
    return path


def test_plan_files_json_shape(cli, tmp_path):
    base = write(tmp_path, "base.yaml", TELEPORT)
    head = write(tmp_path, "head.yaml", {"name": "teleport", "version": "17.5.0"})
    result = cli("plan", "--base", base, "--head", head, "--current-version", "1.33.1", "--format", "json")
    assert result.code == 0
    data = json.loads(result.out)
    assert (data["level"], data["current_version"], data["next_version"]) == ("minor", "1.33.1", "1.34.0")
    assert data["changes"][0] == {"tool": "teleport", "from": "17.4.2", "to": "17.5.0",
                                  "level": "minor", "reason": "minor version changed", "kind": "version"}


def test_plan_markdown_is_a_pr_comment(cli, tmp_path):
    base = write(tmp_path, "base.yaml", TELEPORT)
    head = write(tmp_path, "head.yaml", {"name": "teleport", "version": "17.5.0"})
    md = cli("plan", "--base", base, "--head", head, "--current-version", "1.33.1", "--format", "markdown").out
    assert "this PR releases **1.34.0** (minor)" in md
    assert "| teleport | `17.4.2` | `17.5.0` | **minor** |" in md


def test_plan_downgrade_exit_1_unless_allowed(cli, tmp_path):
    base = write(tmp_path, "base.yaml", TELEPORT)
    head = write(tmp_path, "head.yaml", {"name": "teleport", "version": "17.4.1"})
    result = cli("plan", "--base", base, "--head", head)
    assert result.code == 1 and "goes down from 17.4.2 to 17.4.1" in result.out
    assert cli("plan", "--base", base, "--head", head, "--allow-downgrade").code == 0


def test_plan_invalid_manifest_exit_1(cli, tmp_path):
    base = write(tmp_path, "base.yaml", TELEPORT)
    head = tmp_path / "head.yaml"
    head.write_text("tools: [{name: teleport, version: nope, providers: [capa]}]\n")
    result = cli("plan", "--base", base, "--head", head, "--format", "json")
    assert result.code == 1 and json.loads(result.out)["valid"] is False


def test_plan_labels_and_declared_levels(cli, tmp_path):
    base = write(tmp_path, "base.yaml", TELEPORT)
    data = json.loads(cli("plan", "--base", base, "--head", base, "--current-version", "2.0.0",
                          "--label", "release/minor", "--label", "dependencies",
                          "--declared-level", "patch", "--format", "json").out)
    assert (data["level"], data["next_version"]) == ("minor", "2.1.0")


def test_plan_same_manifest_is_none(cli):
    data = json.loads(cli("plan", "--base", EXAMPLE_MANIFEST, "--head", EXAMPLE_MANIFEST,
                          "--current-version", "v1.2.3", "--format", "json").out)
    assert data["level"] == "none" and data["next_version"] == data["current_version"] == "1.2.3"


def test_plan_between_git_refs(git_repo, monkeypatch, cli):
    """A real repository: tags give the current version, --base-ref the base manifest,
    Release-Level trailers since the base count as declared levels."""
    repo = git_repo
    repo.write("os-tooling.yaml", manifest_text(TELEPORT, {"name": "image-builder", "version": "v0.1.44"}))
    repo.commit("initial")
    repo.tag("v1.33.1", "release 1.33.1")
    repo.tag("not-a-version")
    repo.tag("v2.0.0-rc.1")  # prereleases are not the current version
    repo.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.4.3"},
                                                {"name": "image-builder", "version": "v0.1.44"}))
    repo.commit("Bump teleport")
    monkeypatch.chdir(repo.path)
    data = json.loads(cli("plan", "--base-ref", "v1.33.1", "--format", "json").out)
    assert (data["level"], data["current_version"], data["next_version"]) == ("patch", "1.33.1", "1.33.2")

    repo.write("Dockerfile", "FROM upstream:2\n")
    repo.commit("Upgrade upstream image-builder base\n\nRelease-Level: minor")
    data = json.loads(cli("plan", "--base-ref", "v1.33.1", "--format", "json").out)
    assert (data["level"], data["next_version"]) == ("minor", "1.34.0")
    assert data["changes"][-1]["kind"] == "declared"


def test_plan_base_ref_without_manifest_counts_all_tools_added(git_repo, monkeypatch, cli):
    git_repo.write("README.md", "x\n")
    git_repo.commit("initial")
    git_repo.write("os-tooling.yaml", manifest_text(TELEPORT))
    git_repo.commit("add manifest")
    monkeypatch.chdir(git_repo.path)
    result = cli("plan", "--base-ref", "HEAD~1", "--format", "json")
    data = json.loads(result.out)
    assert data["level"] == "minor" and data["current_version"] is None
    assert any("does not exist at HEAD~1" in n for n in data["notes"])


def test_plan_unknown_ref_exit_2(git_repo, monkeypatch):
    git_repo.write("os-tooling.yaml", manifest_text(TELEPORT))
    git_repo.commit("initial")
    result = run_subprocess("plan", "--base-ref", "nope", cwd=git_repo.path)
    assert result.code == 2 and "unknown git ref 'nope'" in result.err
    result = run_subprocess("plan", "--base-ref", "--upload-pack=evil", cwd=git_repo.path)
    assert result.code == 2 and "Traceback" not in result.err
