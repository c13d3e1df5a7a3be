"""The gate through GitHub (loopback fake, driven by PyGithub): os-tooling versions as tags of
imageBuilderRepo, and a pull request's release files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from os_tooling.adapters.changed_files import git_blob_sha, release_files_from_pull
from tests.gate_helpers import CATALOG, make_releases_repo, make_tooling_repo

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

BUILDER = "acme/capi-image-builder"
RELEASES = "acme/releases"


@pytest.fixture(scope="module")
def tooling_path(tmp_path_factory) -> Path:
    return make_tooling_repo(tmp_path_factory.mktemp("tooling") / "capi-image-builder").path


@pytest.fixture
def releases(tmp_path) -> Path:
    return make_releases_repo(tmp_path / "releases")


@pytest.fixture
def github(github_fake, tooling_path, monkeypatch):
    github_fake.import_git(tooling_path, BUILDER)
    for key, value in github_fake.env().items():
        monkeypatch.setenv(key, value)
    return github_fake


def gate(cli, releases: Path, *args, config: str = f"imageBuilderRepo: {BUILDER}\n"):
    (releases / "gate.yaml").write_text(config)
    result = cli("gate", *args, "--config", releases / "gate.yaml", "--catalog", CATALOG,
                 "--repo-root", releases, "--format", "json")
    return result, (json.loads(result.out) if result.out.startswith("{") else None)


def checks(release: dict) -> dict[str, dict]:
    return {c["name"]: c for c in release["checks"]}


def test_image_builder_repo_on_github_checks_versions_and_binaries(cli, releases, github,
                                                                  tooling_path):
    files = [releases / f for f in ("proxmox/v34.6.0/release.yaml", "capa/v34.5.0/release.yaml",
                                    "azure/v34.5.0/release.yaml", "vsphere/v34.5.0/release.yaml")]
    result, data = gate(cli, releases, *files)
    assert result.code == 1, result.err
    by_name = {r["name"]: r for r in data["releases"]}
    assert {n: r["status"] for n, r in by_name.items()} == {
        "proxmox-34.6.0": "violation", "aws-34.5.0": "ok", "azure-34.5.0": "ok",
        "vsphere-34.5.0": "ok"}
    assert "acme/capi-image-builder on GitHub (tag v1.33.1)" in \
        checks(by_name["aws-34.5.0"])["os-tooling-release"]["message"]
    assert "teleport 17.4.2 -> 18.0.0" in checks(by_name["proxmox-34.6.0"])["binary-majors"]["message"]
    # the same answers as the local checkout gives
    local = json.loads(cli("gate", *files, "--catalog", CATALOG, "--repo-root", releases,
                           "--tooling-repo", tooling_path, "--format", "json").out)
    assert [r["status"] for r in local["releases"]] == [r["status"] for r in data["releases"]]
    # one tag listing for the whole run; each manifest read once (1.28.0, 1.31.0, 1.33.1, 1.34.0)
    assert github.calls("GET", r"/git/matching-refs/") == 1
    assert github.calls("GET", r"/contents/os-tooling.yaml") == 4


def test_transient_github_errors_are_retried(cli, releases, github):
    github.inject(status=502, times=2, method="GET", path=r"/git/matching-refs/")
    result, data = gate(cli, releases, releases / "capa/v34.5.0/release.yaml")
    assert result.code == 0, result.err
    assert checks(data["releases"][0])["os-tooling-release"]["status"] == "ok"


def test_github_failing_for_good_is_an_error_never_a_pass(cli, releases, github):
    github.inject(status=500, times=50, method="GET", path=r"/contents/")
    result, data = gate(cli, releases, releases / "capa/v34.5.0/release.yaml")
    assert result.code == 1
    release = data["releases"][0]
    assert release["status"] == "error"
    assert checks(release)["binary-majors"]["status"] == "error"
    assert checks(release)["os-tooling-release"]["status"] == "ok"  # tags were readable
    assert "Traceback" not in result.err


def test_unknown_image_builder_repo_is_a_usage_error(cli, releases, github):
    result, _ = gate(cli, releases, releases / "capa/v34.5.0/release.yaml",
                     config="imageBuilderRepo: acme/nope\n")
    assert result.code == 2 and "acme/nope not found" in result.err


def test_token_never_reaches_the_output(cli, releases, github, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_secret0123456789abcdef")
    github.inject(status=500, times=50, method="GET", path=r"/git/matching-refs/")
    result, _ = gate(cli, releases, releases / "capa/v34.5.0/release.yaml")
    assert result.code == 1
    assert "ghs_secret" not in result.out + result.err


# -- a pull request's files --------------------------------------------------------------------
def blob(path: Path) -> str:
    return git_blob_sha(path.read_bytes())


def test_pull_file_list_filtering():
    files = [
        {"filename": "capa/v34.5.1/release.yaml", "status": "added", "changes": 150, "sha": "a"},
        {"filename": "capa/archived/v34.4.0/release.yaml", "status": "renamed", "changes": 0,
         "sha": "b", "previous_filename": "capa/v34.4.0/release.yaml"},  # archived unchanged
        {"filename": "capa/v35.0.0/release.yaml", "status": "renamed", "changes": 0,
         "sha": "g", "previous_filename": "capa/v34.4.1/release.yaml"},  # moved: name disagrees
        {"filename": "eks/archived/v33.0.0/release.yaml", "status": "renamed", "changes": 2,
         "sha": "c"},
        {"filename": "azure/v34.4.0/release.yaml", "status": "removed", "changes": 129, "sha": "d"},
        {"filename": "capa/v34.5.1/README.md", "status": "added", "changes": 9, "sha": "e"},
        {"filename": "vsphere/v34.5.0/release.yaml", "status": "modified", "changes": 2, "sha": "f"},
    ]
    assert release_files_from_pull(files) == [("capa/v34.5.1/release.yaml", "a"),
                                             ("capa/v35.0.0/release.yaml", "g"),
                                             ("eks/archived/v33.0.0/release.yaml", "c"),
                                             ("vsphere/v34.5.0/release.yaml", "f")]


def test_pr_files_from_the_api_text_from_checkout_or_api(cli, releases, github, monkeypatch):
    repo = github.create_repo(RELEASES)
    local_file = releases / "capa/v34.5.1/release.yaml"
    remote_only = (releases / "capa/v34.5.0/release.yaml").read_text().replace(
        "aws-34.5.0", "aws-34.6.0")  # in the PR, not in the local checkout
    repo.commit({"README.md": "releases\n"})  # the PR's base: main
    head = repo.commit({"capa/v34.5.1/release.yaml": local_file.read_text(),
                        "capa/v34.6.0/release.yaml": remote_only}, branch="feature")
    pull = repo.add_pull(title="Add aws 34.5.1 and 34.6.0", head_sha=head, files=[
        {"filename": "capa/v34.5.1/release.yaml", "status": "added", "changes": 40,
         "sha": blob(local_file)},
        {"filename": "capa/v34.6.0/release.yaml", "status": "added", "changes": 150,
         "sha": git_blob_sha(remote_only.encode())},
        {"filename": "capa/v34.6.0/README.md", "status": "added", "changes": 3, "sha": "0" * 40},
        {"filename": "capa/archived/v34.4.0/release.yaml", "status": "renamed", "changes": 0,
         "sha": blob(releases / "capa/v34.4.0/release.yaml"),
         "previous_filename": "capa/v34.4.0/release.yaml"},
    ])
    monkeypatch.setenv("GITHUB_REPOSITORY", RELEASES)
    result, data = gate(cli, releases, "--pr", str(pull.number))
    assert result.code == 1, result.err
    by_file = {r["file"]: r for r in data["releases"]}
    assert set(by_file) == {"capa/v34.5.1/release.yaml", "capa/v34.6.0/release.yaml"}
    assert by_file["capa/v34.5.1/release.yaml"]["status"] == "violation"  # os-tooling 2.0.0
    assert by_file["capa/v34.6.0/release.yaml"]["name"] == "aws-34.6.0"
    # only the file missing from the checkout was read through the API at the PR's head; at
    # its base (no history here) both new files were looked up, and neither is published; the
    # requests file of their directory was looked up at both (it applies from both; absent)
    reads = [r for r in github.requests if "/repos/acme/releases/contents/" in r.path]
    assert sorted(r.path.rsplit("/contents/", 1)[1] for r in reads
                  if r.query.get("ref") == head) == ["capa/requests.yaml",
                                                     "capa/v34.6.0/release.yaml"]
    assert sorted((r.path.rsplit("/contents/", 1)[1], r.status) for r in reads
                  if r.query.get("ref") == pull.base_sha) == [
        ("capa/requests.yaml", 404), ("capa/v34.5.1/release.yaml", 404),
        ("capa/v34.6.0/release.yaml", 404)]
    assert all(checks(r)["requests"]["status"] == "not-applicable" for r in data["releases"])
    assert all("published-release" not in checks(r) for r in data["releases"])


def test_pr_without_release_files_says_so(cli, releases, github, monkeypatch):
    repo = github.create_repo(RELEASES)
    pull = repo.add_pull(files=["README.md"])
    result, data = gate(cli, releases, "--pr", str(pull.number), "--pr-repo", RELEASES)
    assert result.code == 0
    assert data["releases"] == [] and "changes no release file" in data["notes"][0]


def test_pr_that_only_archives_says_so_in_every_format(cli, releases, github):
    from os_tooling.report.gate import summary_line

    repo = github.create_repo(RELEASES)
    pull = repo.add_pull(files=[
        {"filename": f"{d}/archived/v{v}/release.yaml", "status": "renamed", "changes": 0,
         "sha": "a" * 40, "previous_filename": f"{d}/v{v}/release.yaml"}
        for d, v in (("aws", "20.0.0"), ("kvm", "12.0.0"), ("capa", "34.4.0"))])
    result, data = gate(cli, releases, "--pr", str(pull.number), "--pr-repo", RELEASES)
    assert result.code == 0
    assert data["releases"] == [] and not any("changes no release file" in n for n in data["notes"])
    assert data["summary"]["moved_to_archived"] == 3
    line = summary_line(data["summary"])
    assert line == "3 releases moved to archived/ unchanged: nothing to gate"
    for fmt in ("text", "markdown"):
        out = cli("gate", "--pr", str(pull.number), "--pr-repo", RELEASES, "--config",
                  releases / "gate.yaml", "--catalog", CATALOG, "--repo-root", releases,
                  "--format", fmt).out
        assert line in out and "changes no release file" not in out


def test_pr_usage_errors(cli, releases, github, monkeypatch):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    result, _ = gate(cli, releases, "--pr", "1")
    assert result.code == 2 and "--pr-repo" in result.err
    github.create_repo(RELEASES)
    result, _ = gate(cli, releases, "--pr", "99", "--pr-repo", RELEASES)
    assert result.code == 2 and "pull request #99" in result.err
