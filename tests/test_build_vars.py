"""``build-vars``: the build inputs of one provider from the manifest (working tree, a tag of a
local repository, a tag on GitHub, the release asset), in every format."""

from __future__ import annotations

import json
import subprocess

import pytest

from os_tooling.cli.build_vars import env_lines
from os_tooling.core.build_inputs import BuildInputsError, build_vars
from os_tooling.core.manifest import Manifest, Tool
from os_tooling.core.versions import Version
from tests.action_helpers import parse_file_commands
from tests.gate_helpers import make_tooling_repo
from tests.helpers import EXAMPLE_MANIFEST, run_subprocess

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

BUILDER = "acme/capi-image-builder"

# tools of examples/manifests/os-tooling.yaml for capa, in manifest order (containerd keeps its v)
CAPA_TOOLS = {"teleport": "17.4.2", "containerd": "v1.7.27", "image-builder": "v0.1.44",
              "node-exporter": "1.9.1"}


@pytest.fixture(scope="module")
def tooling_path(tmp_path_factory):
    return make_tooling_repo(tmp_path_factory.mktemp("tooling") / "capi-image-builder").path


def vars_json(cli, *args):
    result = cli("build-vars", *args, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


# -- the working-tree manifest ------------------------------------------------------------------
def test_json_from_the_working_tree_only_the_providers_tools(cli):
    data = vars_json(cli, "--provider", "capa", "--manifest", EXAMPLE_MANIFEST)
    assert data["os_tooling_version"] is None and data["provider"] == "capa"
    assert data["tools"] == CAPA_TOOLS
    assert list(data["tools"]) == list(CAPA_TOOLS)  # manifest order
    capv = vars_json(cli, "--provider", "capv", "--manifest", EXAMPLE_MANIFEST)
    assert capv["tools"] == {"teleport": "17.4.2", "image-builder": "v0.1.44",
                             "node-exporter": "1.9.1"}  # containerd is not for capv
    eks = vars_json(cli, "--provider", "eks", "--manifest", EXAMPLE_MANIFEST)
    assert "node-exporter" not in eks["tools"] and eks["tools"]["containerd"] == "v1.7.27"


def test_packer_var_file_is_flat_strings_with_ansible_user_vars(cli):
    result = cli("build-vars", "--provider", "capa", "--manifest", EXAMPLE_MANIFEST,
                 "--format", "packer")
    assert result.code == 0, result.err
    packer = json.loads(result.out)
    assert packer == {
        "teleport_version": "17.4.2", "containerd_version": "v1.7.27",
        "image_builder_version": "v0.1.44", "node_exporter_version": "1.9.1",
        "ansible_user_vars": "teleport_version=17.4.2 containerd_version=v1.7.27 "
                             "image_builder_version=v0.1.44 node_exporter_version=1.9.1"}
    assert all(isinstance(v, str) for v in packer.values())  # Packer var-files take strings
    # no os_tooling_version for a working tree: it is no release (null would break Packer)
    assert "os_tooling_version" not in packer


def test_env_lines_are_shell_safe_and_read_back_by_a_real_shell(cli, tmp_path):
    result = cli("build-vars", "--provider", "capa", "--manifest", EXAMPLE_MANIFEST,
                 "--format", "env")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "OS_TOOLING_TELEPORT_VERSION=17.4.2", "OS_TOOLING_CONTAINERD_VERSION=v1.7.27",
        "OS_TOOLING_IMAGE_BUILDER_VERSION=v0.1.44", "OS_TOOLING_NODE_EXPORTER_VERSION=1.9.1"]
    env_file = tmp_path / "vars.env"
    env_file.write_text(result.out)
    shown = subprocess.run(["bash", "-c", f"set -a; . {env_file}; "
                            "printf '%s\\n' \"$OS_TOOLING_CONTAINERD_VERSION\" "
                            "\"$OS_TOOLING_NODE_EXPORTER_VERSION\""],
                           capture_output=True, text=True, check=True).stdout
    assert shown.split() == ["v1.7.27", "1.9.1"]


def test_env_quoting_keeps_hostile_values_literal(tmp_path):
    """Values are versions (checked), but the quoting does not rely on that."""
    hostile = "1.0$(touch pwned); touch pwned2 `id` 'x'"
    lines = env_lines([("OS_TOOLING_X_VERSION", hostile)])
    script = tmp_path / "v.env"
    script.write_text(lines + "\n")
    out = subprocess.run(["bash", "-c", f". {script}; printf '%s' \"$OS_TOOLING_X_VERSION\""],
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert out == hostile
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_github_format_writes_step_outputs_with_random_delimiters(cli, tmp_path, monkeypatch):
    output = tmp_path / "github_output"
    output.write_text("earlier=kept\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    result = cli("build-vars", "--provider", "capz", "--manifest", EXAMPLE_MANIFEST,
                 "--format", "github")
    assert result.code == 0, result.err
    records = parse_file_commands(output.read_text())  # the runner's own reading
    assert records.pop("earlier") == ["kept"]
    assert {k: v[0] for k, v in records.items()} == {
        "OS_TOOLING_TELEPORT_VERSION": "17.4.2", "OS_TOOLING_CONTAINERD_VERSION": "v1.7.27",
        "OS_TOOLING_IMAGE_BUILDER_VERSION": "v0.1.44", "OS_TOOLING_NODE_EXPORTER_VERSION": "1.9.1"}
    delimiters = [line.split("<<", 1)[1] for line in output.read_text().splitlines() if "<<" in line]
    assert len(set(delimiters)) == 4 and all(d.startswith("ghadelimiter_") for d in delimiters)
    assert "OS_TOOLING_TELEPORT_VERSION=17.4.2" in result.out.splitlines()  # and printed
    monkeypatch.delenv("GITHUB_OUTPUT")
    outside = cli("build-vars", "--provider", "capz", "--manifest", EXAMPLE_MANIFEST,
                  "--format", "github")
    assert outside.code == 2 and "$GITHUB_OUTPUT" in outside.err and outside.out == ""


def test_text_and_markdown_show_the_variables(cli):
    text = cli("build-vars", "--provider", "capa", "--manifest", EXAMPLE_MANIFEST)
    assert text.code == 0
    assert text.out.splitlines()[2].split() == ["containerd", "v1.7.27", "containerd_version",
                                                "OS_TOOLING_CONTAINERD_VERSION"]
    markdown = cli("build-vars", "--provider", "capa", "--manifest", EXAMPLE_MANIFEST,
                   "--format", "markdown")
    assert ("| node-exporter | `1.9.1` | `node_exporter_version` | "
            "`OS_TOOLING_NODE_EXPORTER_VERSION` |") in markdown.out


# -- a release: the manifest at tag v<VERSION> ----------------------------------------------------
def test_version_reads_the_manifest_at_its_tag(cli, tooling_path):
    data = vars_json(cli, "--provider", "capz", "--version", "1.34.0", "--tooling-repo",
                     tooling_path)
    assert data["os_tooling_version"] == "1.34.0" and data["tag"] == "v1.34.0"
    assert data["tools"] == {"teleport": "18.0.0", "containerd": "v1.7.28",
                             "image-builder": "v0.1.44"}
    assert data["vars"]["os_tooling_version"] == "1.34.0"
    older = vars_json(cli, "--provider", "capz", "--version", "v1.33.1", "--tooling-repo",
                      tooling_path)  # a tag name works too
    assert older["tools"]["teleport"] == "17.4.2" and older["os_tooling_version"] == "1.33.1"
    env = cli("build-vars", "--provider", "capv", "--version", "1.34.0", "--tooling-repo",
              tooling_path, "--format", "env")
    assert env.out.splitlines() == ["OS_TOOLING_VERSION=1.34.0",
                                    "OS_TOOLING_TELEPORT_VERSION=18.0.0",
                                    "OS_TOOLING_IMAGE_BUILDER_VERSION=v0.1.44"]


def test_unknown_provider_or_untagged_version_is_exit_2_with_one_line(tooling_path):
    for args, words in (
            (["--provider", "aws"], "invalid choice: 'aws'"),
            (["--provider", "capa", "--version", "1.35.0", "--tooling-repo", str(tooling_path)],
             "os-tooling 1.35.0 has no tag v1.35.0"),
            (["--provider", "capa", "--version", "seventeen", "--tooling-repo",
              str(tooling_path)], "version 'seventeen'"),
            (["--provider", "capa", "--tooling-repo", str(tooling_path)], "needs --version")):
        result = run_subprocess("build-vars", *args)
        assert result.code == 2, (args, result.err)
        assert words in result.err and len(result.err.strip().splitlines()) == 1, result.err
        assert result.out == "" and "Traceback" not in result.err
    newest = run_subprocess("build-vars", "--provider", "capa", "--version", "1.35.0",
                            "--tooling-repo", str(tooling_path))
    assert "newest: 2.0.0" in newest.err


def test_a_tag_without_a_manifest_or_an_invalid_working_tree_is_a_finding(cli, tooling_path,
                                                                          tmp_path):
    no_manifest = cli("build-vars", "--provider", "capa", "--version", "1.15.0",
                      "--tooling-repo", tooling_path)  # v1.15.0 predates the manifest file
    assert no_manifest.code == 1 and "1.15.0" in no_manifest.err and no_manifest.out == ""
    broken = tmp_path / "os-tooling.yaml"
    broken.write_text(EXAMPLE_MANIFEST.read_text().replace("version: 1.9.1", "verison: 1.9.1"))
    result = cli("build-vars", "--provider", "capa", "--manifest", broken, "--format", "packer")
    assert result.code == 1 and result.out == ""
    assert "the manifest is invalid" in result.err and "os-tooling.yaml:16:5" in result.err
    assert len(result.err.strip().splitlines()) == 1
    missing = cli("build-vars", "--provider", "capa", "--manifest", tmp_path / "nope.yaml")
    assert missing.code == 2 and "no such file" in missing.err


# -- GitHub: the manifest at the tag, and the release asset ---------------------------------------
def test_github_contents_and_release_asset_give_the_same_vars(cli, tooling_path, github_fake,
                                                              monkeypatch):
    repo = github_fake.import_git(tooling_path, BUILDER)
    for key, value in github_fake.env().items():
        monkeypatch.setenv(key, value)
    tools = [{"name": "teleport", "version": "18.0.0", "providers": ["capa", "capz"]},
             {"name": "containerd", "version": "v1.7.28", "providers": ["capa"]},
             {"name": "image-builder", "version": "v0.1.44", "providers": ["capa", "capz"]}]
    repo.add_release("v1.34.0", assets={"os-tooling.json": json.dumps(
        {"version": "1.34.0", "tools": tools}).encode()})
    args = ("--provider", "capa", "--version", "1.34.0", "--github-repo", BUILDER,
            "--format", "packer")
    contents = cli("build-vars", *args)
    asset = cli("build-vars", *args, "--from-asset")
    assert contents.code == 0 and asset.code == 0, contents.err + asset.err
    assert json.loads(contents.out) == json.loads(asset.out)
    assert json.loads(asset.out)["containerd_version"] == "v1.7.28"
    untagged = cli("build-vars", "--provider", "capa", "--version", "3.0.0", "--github-repo",
                   BUILDER)
    assert untagged.code == 2 and "no tag v3.0.0" in untagged.err


@pytest.mark.parametrize("name", ["x; touch pwned", "Teleport", "os-tooling", "a b", "-lead"])
def test_a_release_asset_with_names_that_cannot_be_variables_is_refused(
        cli, tooling_path, github_fake, monkeypatch, name):
    repo = github_fake.import_git(tooling_path, BUILDER)
    for key, value in github_fake.env().items():
        monkeypatch.setenv(key, value)
    payload = {"tools": [{"name": "teleport", "version": "18.0.0", "providers": ["capa"]},
                         {"name": name, "version": "1.0.0", "providers": ["capa"]}]}
    repo.add_release("v1.34.0", assets={"os-tooling.json": json.dumps(payload).encode()})
    result = cli("build-vars", "--provider", "capa", "--version", "1.34.0", "--github-repo",
                 BUILDER, "--from-asset", "--format", "env")
    assert result.code == 1, result.out + result.err
    assert result.out == "" and len(result.err.strip().splitlines()) == 1
    assert repr(name) in result.err


def test_core_refuses_two_tools_on_one_variable_and_bad_names():
    def manifest(*names: str) -> Manifest:
        return Manifest(tuple(Tool(n, Version.parse("1.0.0"), ("capa",)) for n in names))

    with pytest.raises(BuildInputsError, match="would overwrite the build variable"):
        build_vars(manifest("teleport", "os-tooling"), "capa", None)
    with pytest.raises(BuildInputsError, match="cannot be a build variable"):
        build_vars(manifest("node_exporter"), "capa", None)  # "_" would let two names collide
    assert build_vars(manifest("a-b", "c"), "capz", "1.0.0").tools == ()  # not for capz
    with pytest.raises(BuildInputsError, match="not a plain version"):
        build_vars(manifest("a"), "capa", "1.0.0 && id")


def test_the_packer_example_in_docs_build_md_is_real_output(cli, tmp_path):
    """docs/build.md shows build-vars on release 1.34.0 of the example manifest (teleport
    17.5.0): the block is what the command prints."""
    import re

    from tests.helpers import ROOT, GitRepo

    repo = GitRepo(tmp_path / "capi-image-builder")
    repo.write("os-tooling.yaml", EXAMPLE_MANIFEST.read_text().replace("version: 17.4.2",
                                                                        "version: 17.5.0"))
    repo.commit("release")
    repo.tag("v1.34.0", "os-tooling 1.34.0")
    doc = (ROOT / "docs" / "build.md").read_text()
    block = re.search(r"\$ os-tooling build-vars --version 1.34.0 --provider capa --format packer\n"
                      r"(\{.*?\n\})\n```", doc, re.S)
    assert block, "the packer example is missing from docs/build.md"
    result = cli("build-vars", "--version", "1.34.0", "--provider", "capa", "--format", "packer",
                 "--tooling-repo", repo.path)
    assert result.code == 0, result.err
    assert json.loads(block[1]) == json.loads(result.out)
