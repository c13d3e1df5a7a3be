"""``build-matrix --releases-github``: the releases repository read through the GitHub git data
API (loopback fake, driven by PyGithub): one recursive tree call, then one blob per release file
outside archived/; and the fake's trees and blobs held to real git."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.gate_helpers import SAMPLES, make_tooling_repo
from tests.helpers import GitRepo

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

RELEASES = "acme/releases"
BUILDER = "acme/capi-image-builder"
T = "1.34.0"


@pytest.fixture
def releases_repo(tmp_path) -> GitRepo:
    """The real release sample as a git repository, plus a legacy release outside archived/."""
    repo = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, repo.path, dirs_exist_ok=True)
    legacy = repo.path / "capa/v28.1.0"
    legacy.mkdir()
    (legacy / "release.yaml").write_text(
        (repo.path / "capa/archived/v28.1.0/release.yaml").read_text()
        .replace("state: deprecated", "state: active"))
    repo.commit("the releases")
    return repo


@pytest.fixture
def github(github_fake, monkeypatch):
    for key, value in github_fake.env().items():
        monkeypatch.setenv(key, value)
    return github_fake


def blob_shas(repo: GitRepo, *, archived: bool) -> set[str]:
    """git's own object ids of the release files (outside or inside archived/)."""
    out = set()
    for line in repo.git("ls-tree", "-r", "HEAD").splitlines():
        info, path = line.split("\t")
        if path.endswith("/release.yaml") and ("/archived/" in path) == archived:
            out.add(info.split()[2])
    return out


def matrix(cli, *args) -> tuple[int, dict, str]:
    result = cli("build-matrix", *args, "--format", "json")
    return result.code, (json.loads(result.out) if result.out.startswith("{") else {}), result.err


def test_one_tree_call_and_one_blob_per_current_release(cli, github, releases_repo, tmp_path):
    github.import_git(releases_repo.path, RELEASES)
    catalog = tmp_path / "images.yaml"
    catalog.write_text("capa: [flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.34.0-gs]\n")
    github.clear_log()
    code, remote, err = matrix(cli, "--releases-github", RELEASES, "--tooling", T,
                               "--catalog", catalog)
    assert code == 0, err
    current = blob_shas(releases_repo, archived=False)
    assert len(current) == 13  # 12 current releases of the sample + the legacy one
    assert github.calls(path=r"/git/trees/") == 1
    fetched = {r.path.rsplit("/", 1)[1] for r in github.requests if "/git/blobs/" in r.path}
    assert fetched == current and github.calls(path=r"/git/blobs/") == len(current)
    assert not fetched & blob_shas(releases_repo, archived=True)  # archived: never read
    assert len(github.requests) == 1 + len(current)  # nothing else: no clone, no contents API
    tree_call = next(r for r in github.requests if "/git/trees/" in r.path)
    assert tree_call.path.endswith("/git/trees/HEAD") and "recursive" in tree_call.query

    code, local, _ = matrix(cli, "--releases", releases_repo.path, "--tooling", T,
                            "--catalog", catalog)
    assert code == 0
    for key in ("tooling", "include", "existing", "archived"):
        assert remote[key] == local[key], key
    assert remote["source"]["releases"] == f"{RELEASES}@HEAD"
    assert len(remote["include"]) == 8 and remote["archived"] == 5
    legacy = next(r for r in remote["releases"] if r["file"] == "capa/v28.1.0/release.yaml")
    assert legacy["status"] == "skipped" and "flatcar-variant" in legacy["reason"]


def test_provider_filter_fetches_only_that_providers_blobs(cli, github, releases_repo):
    github.import_git(releases_repo.path, RELEASES)
    (releases_repo.path / "x.json").write_text("{}")
    github.clear_log()
    code, data, err = matrix(cli, "--releases-github", RELEASES, "--tooling", T,
                             "--provider", "capz", "--catalog", str(releases_repo.path / "x.json"))
    assert code == 0, err
    assert github.calls(path=r"/git/blobs/") == 2  # azure/v34.4.0 and azure/v34.5.0
    assert [e["provider"] for e in data["include"]] == ["capz", "capz"]


def test_ref_reads_another_branch(cli, github, releases_repo, tmp_path):
    releases_repo.git("checkout", "-q", "-b", "release-v34.6.0")
    new = releases_repo.path / "capa/v34.6.0"
    new.mkdir()
    (new / "release.yaml").write_text((releases_repo.path / "capa/v34.5.0/release.yaml")
                                      .read_text().replace("aws-34.5.0", "aws-34.6.0")
                                      .replace("1.34.10", "1.34.11"))
    releases_repo.commit("aws 34.6.0")
    releases_repo.git("checkout", "-q", "main")
    github.import_git(releases_repo.path, RELEASES)
    catalog = tmp_path / "c.yaml"
    catalog.write_text("{}\n")
    args = ("--releases-github", RELEASES, "--tooling", T, "--catalog", catalog,
            "--provider", "capa")
    _, main, _ = matrix(cli, *args)
    code, branch, err = matrix(cli, *args, "--ref", "release-v34.6.0")
    assert code == 0, err
    new_image = "flatcar-stable-4593.2.4-kube-1.34.11-tooling-1.34.0-gs"
    assert new_image in [e["image"] for e in branch["include"]]
    assert new_image not in [e["image"] for e in main["include"]]
    unknown = cli("build-matrix", *map(str, args), "--ref", "no-such-branch")
    assert unknown.code == 2 and "no-such-branch" in unknown.err
    assert len(unknown.err.strip().splitlines()) == 1


def test_a_symlinked_release_file_is_never_fetched(cli, github, releases_repo, tmp_path):
    folder = releases_repo.path / "eks/v34.9.0"
    folder.mkdir()
    os.symlink("../../capa/v34.5.0/release.yaml", folder / "release.yaml")
    releases_repo.commit("a symlink")
    fake_repo = github.import_git(releases_repo.path, RELEASES)
    assert fake_repo.commits[fake_repo.resolve("main")].modes == {
        "eks/v34.9.0/release.yaml": "120000"}
    catalog = tmp_path / "c.yaml"
    catalog.write_text("{}\n")
    github.clear_log()
    code, data, _ = matrix(cli, "--releases-github", RELEASES, "--tooling", T, "--catalog",
                           catalog, "--provider", "eks")
    assert code == 1
    [invalid] = [r for r in data["releases"] if r["status"] == "invalid"]
    assert invalid["file"] == "eks/v34.9.0/release.yaml" and "symbolic link" in invalid["reason"]
    assert github.calls(path=r"/git/blobs/") == 2  # the two real eks releases only
    assert len(data["include"]) == 2


def test_truncated_tree_and_failing_github(cli, github, releases_repo, tmp_path, monkeypatch):
    github.import_git(releases_repo.path, RELEASES)
    catalog = tmp_path / "c.yaml"
    catalog.write_text("{}\n")
    args = ("--releases-github", RELEASES, "--tooling", T, "--catalog", catalog)
    github.tree_limit = 10
    truncated = cli("build-matrix", *map(str, args))
    assert truncated.code == 1 and "too large" in truncated.err and truncated.out == ""
    github.tree_limit = 100_000
    github.inject(status=502, times=1, path=r"/git/blobs/")  # retried with backoff
    code, data, err = matrix(cli, *args)
    assert code == 0, err
    assert len(data["include"]) == 9
    github.inject(status=503, times=50, path=r"/git/trees/")
    monkeypatch.setenv("OS_TOOLING_GITHUB_RETRIES", "1")
    failing = cli("build-matrix", *map(str, args))
    assert failing.code == 1 and "GitHub kept failing" in failing.err
    assert len(failing.err.strip().splitlines()) == 1


def test_tooling_version_from_the_image_builder_repo_on_github(cli, github, releases_repo,
                                                                tmp_path):
    github.import_git(releases_repo.path, RELEASES)
    github.import_git(make_tooling_repo(tmp_path / "capi-image-builder").path, BUILDER)
    catalog = tmp_path / "c.yaml"
    catalog.write_text("{}\n")
    code, data, err = matrix(cli, "--releases-github", RELEASES, "--image-builder-repo",
                             BUILDER, "--catalog", catalog, "--provider", "capmox")
    assert code == 0, err
    assert data["tooling"] == "2.0.0" and data["include"] == []  # no proxmox release in the sample
    assert f"{BUILDER} on GitHub" in data["source"]["tooling"]


# -- the fake's trees and blobs are git's -------------------------------------------------------
def test_fake_trees_and_blobs_match_real_git(github, releases_repo):
    (releases_repo.path / "tools").mkdir()
    script = releases_repo.path / "tools" / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    os.symlink("capa/v34.5.0/release.yaml", releases_repo.path / "latest.yaml")
    releases_repo.commit("more kinds of entries")
    github.import_git(releases_repo.path, RELEASES)
    repo = github.client().get_repo(RELEASES)
    tree = repo.get_git_tree("main", recursive=True)
    expected = []
    for line in releases_repo.git("ls-tree", "-r", "-t", "-l", "HEAD").splitlines():
        info, path = line.split("\t")
        mode, kind, sha, size = info.split()
        expected.append((mode, kind, sha, path, None if size == "-" else int(size)))
    got = [(e.mode, e.type, e.sha, e.path, e.size) for e in tree.tree]
    assert got == expected
    assert tree.sha == releases_repo.git("rev-parse", "HEAD^{tree}").strip()
    assert tree.truncated is False
    top = repo.get_git_tree(tree.sha)  # by tree sha, not recursive: the root entries only
    assert [e.path for e in top.tree] == releases_repo.git("ls-tree", "--name-only",
                                                           "HEAD").split()
    release = next(e for e in tree.tree if e.path == "capa/v34.5.0/release.yaml")
    blob = repo.get_git_blob(release.sha)
    assert blob.encoding == "base64" and blob.size == release.size
    assert base64.b64decode(blob.content) == (releases_repo.path / release.path).read_bytes()
    raw = subprocess.run(["git", "cat-file", "blob", release.sha], cwd=releases_repo.path,
                         capture_output=True, check=True).stdout
    assert base64.b64decode(blob.content) == raw
    from github import UnknownObjectException

    with pytest.raises(UnknownObjectException):
        repo.get_git_blob("0" * 40)
    with pytest.raises(UnknownObjectException):
        repo.get_git_tree("nope")


def test_fake_tree_of_a_commit_made_in_the_fake_has_git_ids(github, tmp_path):
    repo = github.create_repo("acme/made")
    repo.commit({"a/b.txt": "x\n", "c.txt": "y\n"}, "first")
    sha, _trees = repo.tree("main")
    checkout = GitRepo(tmp_path / "same")
    (checkout.path / "a").mkdir()
    Path(checkout.path / "a/b.txt").write_text("x\n")
    Path(checkout.path / "c.txt").write_text("y\n")
    checkout.commit("same files")
    assert sha == checkout.git("rev-parse", "HEAD^{tree}").strip()
