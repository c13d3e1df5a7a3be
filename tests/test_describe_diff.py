"""``describe`` and ``diff``: binaries of os-tooling versions from a local tooling repo, from
GitHub contents at the tag, and from the ``os-tooling.json`` release asset."""

from __future__ import annotations

import json
import re

import pytest

from os_tooling.core.levels import Level
from os_tooling.core.manifest import Manifest, Tool
from os_tooling.core.policy import Change
from os_tooling.core.release_notes import ReleaseFacts, payload, render_notes, upstream_url
from os_tooling.core.versions import Version
from tests.helpers import GitRepo, manifest_text

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

FULL_NAME = "acme/capi-image-builder"


@pytest.fixture
def tooling(git_repo: GitRepo) -> GitRepo:
    """Tags v1.31.0, v1.32.0 (not semver: ignored), v1.33.1 of a capi-image-builder repo."""
    git_repo.write("os-tooling.yaml", manifest_text(
        {"name": "teleport", "version": "17.1.4", "providers": ["capa", "capz"]},
        {"name": "old-agent", "version": "2.0.0", "providers": ["capa"]}))
    git_repo.commit("1.31.0")
    git_repo.tag("v1.31.0", "os-tooling 1.31.0")
    git_repo.tag("latest")
    git_repo.write("os-tooling.yaml", manifest_text(
        {"name": "teleport", "version": "17.4.2", "providers": ["capa", "capz", "capv"]},
        {"name": "node-exporter", "version": "1.9.1", "providers": ["capa"]}))
    git_repo.commit("1.33.1")
    git_repo.tag("v1.33.1")  # lightweight tags count too
    return git_repo


def test_describe_from_the_local_repo(cli, tooling):
    result = cli("describe", "1.33.1", "--tooling-repo", tooling.path, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["version"] == "1.33.1" and data["tag"] == "v1.33.1"
    assert data["tools"] == [
        {"name": "teleport", "version": "17.4.2", "providers": ["capa", "capz", "capv"]},
        {"name": "node-exporter", "version": "1.9.1", "providers": ["capa"]}]
    text = cli("describe", "v1.31.0", "--tooling-repo", tooling.path)
    assert text.code == 0
    assert text.out.splitlines()[1].split() == ["teleport", "17.1.4", "capa,", "capz"]
    markdown = cli("describe", "1.31.0", "--tooling-repo", tooling.path, "--format", "markdown")
    assert "| teleport | `17.1.4` | capa, capz |" in markdown.out


def test_describe_unknown_or_bad_versions(cli, tooling):
    missing = cli("describe", "9.9.9", "--tooling-repo", tooling.path)
    assert missing.code == 1
    assert "9.9.9 is not a release" in missing.err and "newest: 1.33.1" in missing.err
    assert cli("describe", "one", "--tooling-repo", tooling.path).code == 2
    assert cli("describe", "1.0.0", "--tooling-repo", tooling.path / "nowhere").code == 2
    assert cli("describe", "1.0.0", "--from-asset", "--tooling-repo", tooling.path).code == 2


def test_diff_prints_lines_ready_for_release_notes(cli, tooling):
    result = cli("diff", "1.31.0", "1.33.1", "--tooling-repo", tooling.path)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "os-tooling 1.31.0 -> 1.33.1: teleport 17.1.4 -> 17.4.2 (minor)",
        "os-tooling 1.31.0 -> 1.33.1: teleport: provider capv added (minor)",
        "os-tooling 1.31.0 -> 1.33.1: node-exporter 1.9.1 added (minor)",
        "os-tooling 1.31.0 -> 1.33.1: old-agent 2.0.0 removed (major)",
    ]
    data = json.loads(cli("diff", "1.31.0", "1.33.1", "--tooling-repo", tooling.path,
                          "--format", "json").out)
    assert (data["from"], data["to"], data["level"]) == ("1.31.0", "1.33.1", "major")
    assert data["changes"][0] == {"tool": "teleport", "from": "17.1.4", "to": "17.4.2",
                                  "level": "minor", "reason": "minor version changed", "kind": "version"}
    same = cli("diff", "1.33.1", "1.33.1", "--tooling-repo", tooling.path)
    assert same.out.strip() == "os-tooling 1.33.1 -> 1.33.1: no binary changes"


def test_diff_backwards_reports_the_downgrade(cli, tooling):
    result = cli("diff", "1.33.1", "1.31.0", "--tooling-repo", tooling.path)
    assert result.code == 0
    assert "os-tooling 1.33.1 -> 1.31.0: teleport 17.4.2 -> 17.1.4 (minor)" in result.out.splitlines()
    assert cli("diff", "1.31.0", "2.0.0", "--tooling-repo", tooling.path).code == 1


def test_describe_and_diff_from_github_contents(cli, tooling, github_fake, monkeypatch):
    github_fake.import_git(tooling.path, FULL_NAME)
    for key, value in github_fake.env().items():
        monkeypatch.setenv(key, value)
    local = json.loads(cli("describe", "1.33.1", "--tooling-repo", tooling.path, "--format", "json").out)
    remote = cli("describe", "1.33.1", "--github-repo", FULL_NAME, "--format", "json")
    assert remote.code == 0, remote.err
    remote_data = json.loads(remote.out)
    assert remote_data["tools"] == local["tools"] and remote_data["tag"] == "v1.33.1"
    assert github_fake.calls("GET", r"/contents/os-tooling.yaml") == 1
    local_diff = cli("diff", "1.31.0", "1.33.1", "--tooling-repo", tooling.path).out
    assert cli("diff", "1.31.0", "1.33.1", "--github-repo", FULL_NAME).out == local_diff
    unknown = cli("describe", "1.0.0", "--github-repo", "acme/nope")
    assert unknown.code == 2 and "not found" in unknown.err


def test_describe_from_the_release_asset(cli, tooling, github_fake, monkeypatch):
    """Release 1.34.0 through the GitHub back end, then read its os-tooling.json back."""
    tooling.write("os-tooling.yaml", manifest_text(
        {"name": "teleport", "version": "17.5.0", "providers": ["capa", "capz", "capv"]},
        {"name": "node-exporter", "version": "1.9.1", "providers": ["capa"]}))
    tooling.commit("bump teleport")
    github_fake.import_git(tooling.path, FULL_NAME)
    for key, value in github_fake.env(repository=FULL_NAME).items():
        monkeypatch.setenv(key, value)
    released = cli("release", "--repo-root", tooling.path, "--format", "json")
    assert released.code == 0, released.err
    assert json.loads(released.out)["tag"] == "v1.34.0"
    result = cli("describe", "1.34.0", "--github-repo", FULL_NAME, "--from-asset", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["tools"][0] == {"name": "node-exporter", "version": "1.9.1",
                                                  "providers": ["capa"]}
    # a version without a release (tag only) has no asset: a clear finding
    no_asset = cli("describe", "1.33.1", "--github-repo", FULL_NAME, "--from-asset")
    assert no_asset.code == 1 and "has no GitHub release" in no_asset.err


# -- notes rendering (pure) ---------------------------------------------------------------------
def _facts(**kwargs) -> ReleaseFacts:
    base = dict(version=Version(1, 2, 0), tag="v1.2.0", commit="a" * 40,
                previous_version=Version(1, 1, 0), previous_tag="v1.1.0", level=Level.MINOR)
    return ReleaseFacts(**{**base, **kwargs})


def test_notes_escape_untrusted_text():
    evil = Tool("x|y`z<b>@team", Version.parse("1.0.0"), ("capa", "ca|pz"),
                annotation={"datasource": "github-releases", "depName": "a/b"})
    change = Change("x|y`z<b>@team", "0.9.0", "1.0.0", Level.MAJOR, "reason with | and <script>", "version")
    text = render_notes(_facts(changes=(change,)), Manifest((evil,)))
    table_rows = [line for line in text.splitlines() if line.startswith("| x")]
    assert len(table_rows) == 2
    for row in table_rows:
        assert "<" not in row and "@team" not in row and not re.search(r"(?<!\\)`z", row)
        assert row.count(" | ") + 2 == row.count("|") - row.count("\\|")  # no extra cells
    assert "reason with \\| and &lt;script&gt;" in text


def test_upstream_links_follow_the_renovate_annotation():
    def tool(version: str, **annotation: str) -> Tool:
        return Tool("t", Version.parse(version), ("capa",), annotation=annotation)

    gh = {"datasource": "github-releases", "depName": "gravitational/teleport"}
    assert upstream_url(tool("v1.7.27", **gh)) == "https://github.com/gravitational/teleport/releases/tag/v1.7.27"
    assert upstream_url(tool("17.4.2", **gh, extractVersion="^v(?<version>.*)$")) == \
        "https://github.com/gravitational/teleport/releases/tag/v17.4.2"
    # no v and no hint: the tag may be 17.4.2 or v17.4.2, so search rather than guess a 404
    assert upstream_url(tool("17.4.2", **gh)) == (
        "https://github.com/gravitational/teleport/releases?q=17.4.2&expanded=true")
    assert upstream_url(tool("1.0.0", datasource="docker", depName="a/b")) is None


def test_first_release_notes_and_payload_are_deterministic():
    manifest = Manifest((Tool("teleport", Version.parse("17.4.2"), ("capa",)),))
    facts = _facts(previous_version=None, previous_tag=None)
    assert render_notes(facts, manifest) == render_notes(facts, manifest)
    assert "First release: every binary is new." in render_notes(facts, manifest)
    data = payload(facts, manifest)
    assert data["previous_version"] is None and data["tools"][0]["version"] == "17.4.2"


@pytest.mark.parametrize("command", [["describe", "1.0.0"], ["diff", "1.0.0", "1.1.0"],
                                     ["build-vars", "--provider", "capa", "--version", "1.0.0"]])
def test_image_builder_repo_is_the_name_and_github_repo_a_hidden_alias(cli, command):
    from os_tooling.cli.main import build_parser

    parser = build_parser()
    new = parser.parse_args([*command, "--image-builder-repo", "acme/capi"])
    old = parser.parse_args([*command, "--github-repo", "acme/capi"])
    assert new.github_repo == old.github_repo == "acme/capi"
    shown = cli(command[0], "--help").out
    assert "--image-builder-repo" in shown and "--github-repo" not in shown
