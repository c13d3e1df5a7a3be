"""``gate --base-ref``: exactly the release files a branch changed, in a real git repository."""

from __future__ import annotations

import json
import shutil

import pytest

from os_tooling.adapters.changed_files import changed_release_files, release_files_from_name_status
from tests.gate_helpers import CATALOG, SAMPLES, release_files


def make_repo(git_repo):
    shutil.copytree(SAMPLES, git_repo.path, dirs_exist_ok=True)
    git_repo.write("README.md", "releases\n")
    git_repo.write("capa/v34.5.0/README.md", "# aws-34.5.0\n")
    git_repo.commit("base")
    git_repo.git("tag", "base")
    git_repo.git("checkout", "-q", "-b", "renovate/os-tooling")
    return git_repo


def test_base_ref_finds_exactly_the_changed_release_files(git_repo, cli):
    repo = make_repo(git_repo)
    root = repo.path
    # new release (added), bumped release (modified), archived unchanged (pure rename),
    # archived with a change, deleted release, non-release files
    new = (root / "capa/v34.5.0/release.yaml").read_text().replace("aws-34.5.0", "aws-34.5.1")
    repo.write("capa/v34.5.1/release.yaml", new)
    vsphere = root / "vsphere/v34.5.0/release.yaml"
    vsphere.write_text(vsphere.read_text().replace("state: active", "state: deprecated"))
    repo.git("mv", "capa/v34.4.0", "capa/archived/v34.4.0")
    (root / "cloud-director/archived").mkdir()
    repo.git("mv", "cloud-director/v34.4.0", "cloud-director/archived/v34.4.0")
    moved = root / "cloud-director/archived/v34.4.0/release.yaml"
    moved.write_text(moved.read_text().replace("state: deprecated", "state: active"))
    repo.git("rm", "-q", "-r", "eks/v33.0.0")
    repo.write("capa/v34.5.0/README.md", "# aws-34.5.0, now with notes\n")
    repo.write("README.md", "releases, changed\n")
    repo.write("docs/release.yaml", "not: a release\n")
    repo.git("add", "-A")
    repo.commit("bump")
    # a commit on the base branch after the fork point is not the PR's change
    repo.git("checkout", "-q", "main")
    eks = root / "eks/v34.0.1/release.yaml"
    eks.write_text(eks.read_text().replace("state: active", "state: deprecated"))
    repo.commit("unrelated change on main")
    repo.git("checkout", "-q", "renovate/os-tooling")

    expected = ["capa/v34.5.1/release.yaml", "cloud-director/archived/v34.4.0/release.yaml",
                "vsphere/v34.5.0/release.yaml"]
    assert changed_release_files(root, "main") == expected

    catalog = root / "catalog.yaml"
    shutil.copy(CATALOG, catalog)
    result = cli("gate", "--no-tooling-checks", "--base-ref", "main", "--repo-root", root, "--catalog", catalog,
                 "--format", "json")
    assert result.code == 0, result.out + result.err
    data = json.loads(result.out)
    assert [r["file"] for r in data["releases"]] == expected  # relative to the repo root
    by_file = {r["file"]: r for r in data["releases"]}
    assert by_file["capa/v34.5.1/release.yaml"]["previous"]["name"] == "aws-34.5.0"


def test_nothing_changed_is_ok_and_says_so(git_repo, cli):
    repo = make_repo(git_repo)
    result = cli("gate", "--no-tooling-checks", "--base-ref", "base", "--repo-root", repo.path, "--catalog", CATALOG)
    assert result.code == 0
    assert "no release file changed since base" in result.out


def test_explicit_files_and_base_ref_are_gated_once(git_repo, cli):
    repo = make_repo(git_repo)
    target = repo.path / "capa/v34.5.0/release.yaml"
    target.write_text(target.read_text().replace("state: active", "state: deprecated"))
    repo.commit("deprecate")
    result = cli("gate", "--no-tooling-checks", target, "--base-ref", "base", "--repo-root", repo.path, "--catalog",
                 CATALOG, "--format", "json")
    assert [r["file"] for r in json.loads(result.out)["releases"]] == [str(target)]


def test_unknown_base_ref_and_no_repository_are_usage_errors(git_repo, cli, tmp_path):
    repo = make_repo(git_repo)
    result = cli("gate", "--no-tooling-checks", "--base-ref", "nope", "--repo-root", repo.path, "--catalog", CATALOG)
    assert result.code == 2 and "unknown git ref 'nope'" in result.err
    plain = tmp_path / "plain"
    plain.mkdir()
    result = cli("gate", "--no-tooling-checks", "--base-ref", "main", "--repo-root", plain, "--catalog", CATALOG)
    assert result.code == 2 and "needs a git repository" in result.err


def test_name_status_parsing():
    out = "\0".join(["A", "capa/v1.0.0/release.yaml", "R100", "capa/v0.9.0/release.yaml",
                     "capa/archived/v0.9.0/release.yaml", "R087", "eks/v1.0.0/release.yaml",
                     "eks/archived/v1.0.0/release.yaml", "D", "azure/v1.0.0/release.yaml",
                     "M", "capa/v1.0.0/README.md", "M", "sub/capa/v1.0.0/release.yaml", ""])
    assert release_files_from_name_status(out) == ["capa/v1.0.0/release.yaml",
                                                   "eks/archived/v1.0.0/release.yaml",
                                                   "sub/capa/v1.0.0/release.yaml"]


def test_files_that_look_meant_as_releases_are_gated_not_ignored():
    # outside the layout, or an unchanged release moved anywhere but to archived/: the gate must
    # see them (and say they are wrong) rather than pass the PR with "0 release files"
    out = "\0".join(["A", "capa/35.0.1/release.yaml", "A", "capa/v35.0.0/release.yml",
                     "R100", "capa/v34.5.0/release.yaml", "capa/v35.2.0/release.yaml",
                     "R100", "vsphere/v34.5.0/release.yaml", "azure/v34.6.0/release.yaml",
                     "A", "docs/release.yaml", "A", "capa/v35.0.0/README.md", ""])
    assert release_files_from_name_status(out) == [
        "capa/35.0.1/release.yaml", "capa/v35.0.0/release.yml", "capa/v35.2.0/release.yaml",
        "azure/v34.6.0/release.yaml"]


def test_every_sample_is_a_release_file():
    from os_tooling.adapters.changed_files import is_release_file

    assert all(is_release_file(p.relative_to(SAMPLES).as_posix()) for p in release_files(SAMPLES))


def test_unchanged_moves_into_archived_of_any_folder_are_counted_not_gated():
    from os_tooling.adapters.changed_files import release_changes_from_name_status

    out = "\0".join(["R100", "aws/v20.0.0/release.yaml", "aws/archived/v20.0.0/release.yaml",
                     "R100", "kvm/v12.0.0/release.yaml", "kvm/archived/v12.0.0/release.yaml",
                     "R100", "capa/v34.4.0/release.yaml", "capa/archived/v34.4.0/release.yaml",
                     "R100", "aws/v20.0.0/README.md", "aws/archived/v20.0.0/README.md",
                     "R097", "kvm/v13.0.0/release.yaml", "kvm/archived/v13.0.0/release.yaml",
                     "R100", "aws/v21.0.0/release.yaml", "aws/archived/v21.1.0/release.yaml", ""])
    changes = release_changes_from_name_status(out)
    assert changes.archived == ["aws/archived/v20.0.0/release.yaml",
                                "kvm/archived/v12.0.0/release.yaml",
                                "capa/archived/v34.4.0/release.yaml"]
    # an edit on the way, or a move to another version: gated
    assert changes.files == ["kvm/archived/v13.0.0/release.yaml", "aws/archived/v21.1.0/release.yaml"]


@pytest.mark.parametrize("old, new, archiving", [
    ("aws/v20.0.0/release.yaml", "aws/archived/v20.0.0/release.yaml", True),
    ("kvm/v1.2.3/release.yaml", "kvm/archived/v1.2.3/release.yaml", True),
    ("capa/v34.4.0/release.yaml", "capa/archived/v34.4.0/release.yaml", True),
    ("sub/aws/v20.0.0/release.yaml", "sub/aws/archived/v20.0.0/release.yaml", True),
    ("aws/v20.0.0/release.yaml", "kvm/archived/v20.0.0/release.yaml", False),  # other folder
    ("aws/v20.0.0/release.yaml", "aws/archived/v20.0.1/release.yaml", False),  # other version
    ("aws/archived/v20.0.0/release.yaml", "aws/archived/archived/v20.0.0/release.yaml", False),
    ("aws/v20.0.0/README.md", "aws/archived/v20.0.0/README.md", False),
    ("aws/latest/release.yaml", "aws/archived/latest/release.yaml", False),
    ("release.yaml", "archived/release.yaml", False),
])
def test_is_archiving(old, new, archiving):
    from os_tooling.adapters.changed_files import is_archiving

    assert is_archiving(old, new) is archiving


def test_pull_request_archive_moves_are_counted():
    from os_tooling.adapters.changed_files import archived_from_pull

    files = [{"filename": "kvm/archived/v12.0.0/release.yaml", "status": "renamed", "changes": 0,
              "previous_filename": "kvm/v12.0.0/release.yaml"},
             {"filename": "aws/archived/v20.0.0/release.yaml", "status": "renamed", "changes": 3,
              "previous_filename": "aws/v20.0.0/release.yaml"},
             {"filename": "capa/v34.5.1/release.yaml", "status": "added", "changes": 150}]
    assert archived_from_pull(files) == ["kvm/archived/v12.0.0/release.yaml"]
