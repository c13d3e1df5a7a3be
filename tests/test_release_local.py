"""``release --local`` on real temporary git repositories (several merges, tags, first release,
pre-1.0, non-semver tags, reruns, dry runs, concurrent runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import GitRepo, manifest_text, run_subprocess


def tools(**versions: str) -> str:
    return manifest_text(*({"name": n.replace("_", "-"), "version": v} for n, v in versions.items()))


def merge(repo: GitRepo, branch: str, message: str, files: dict[str, str],
          body: str = "") -> str:
    """A feature branch with one commit, merged into main with a merge commit (like a PR)."""
    repo.git("checkout", "-q", "-b", branch)
    for path, text in files.items():
        repo.write(path, text)
    repo.commit(message + (f"\n\n{body}" if body else ""))
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", branch, "-m", f"Merge pull request from {branch}")
    return repo.git("rev-parse", "HEAD").strip()


def release(cli, repo: GitRepo, *extra: str) -> tuple[int, dict, str]:
    result = cli("release", "--local", "--repo-root", repo.path, "--format", "json", *extra)
    data = json.loads(result.out) if result.out.strip().startswith("{") else {}
    return result.code, data, result.err


def tag_names(repo: GitRepo) -> list[str]:
    return repo.git("tag", "--list").split()


def tag_message(repo: GitRepo, tag: str) -> str:
    raw = repo.git("cat-file", "tag", tag)
    return raw.split("\n\n", 1)[1]


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("os-tooling.yaml", tools(teleport="17.1.4", containerd="v1.7.27"))
    git_repo.write("Dockerfile", "FROM scratch\n")
    git_repo.commit("initial")
    return git_repo


def test_first_release_uses_the_initial_version_and_keeps_the_message_verbatim(cli, repo):
    code, data, _ = release(cli, repo)
    assert code == 0
    assert data["released"] is True and data["outcome"] == "released"
    assert (data["tag"], data["version"], data["previous_version"]) == ("v0.1.0", "0.1.0", None)
    assert data["commit"] == repo.git("rev-parse", "HEAD").strip()
    assert repo.git("cat-file", "-t", "v0.1.0").strip() == "tag"  # annotated
    assert repo.git("rev-parse", "v0.1.0^{commit}").strip() == data["commit"]
    message = tag_message(repo, "v0.1.0")
    assert message == data["release_notes"]  # verbatim: '#' headings survive
    assert data["notes"] == data["release_notes"]  # the deprecated spelling, kept until 0.3
    assert message.startswith("# os-tooling 0.1.0\n")
    assert "## Binaries" in message and "| teleport | `17.1.4` |" in message
    assert {t["name"] for t in data["asset"]["tools"]} == {"teleport", "containerd"}


def test_initial_version_is_configurable(cli, repo):
    code, data, _ = release(cli, repo, "--initial-version", "v1.0.0")
    assert (code, data["tag"]) == (0, "v1.0.0")
    bad = cli("release", "--local", "--repo-root", repo.path, "--initial-version", "x.y")
    assert bad.code == 2 and "--initial-version" in bad.err


def test_several_merges_each_release_the_right_level(cli, repo):
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    merge(repo, "bump-teleport", "Bump teleport", {"os-tooling.yaml": tools(teleport="17.4.2", containerd="v1.7.27")})
    code, data, _ = release(cli, repo)
    assert (code, data["tag"], data["level"], data["previous_version"]) == (0, "v1.1.0", "minor", "1.0.0")
    assert [c["tool"] for c in data["changes"]] == ["teleport"]

    merge(repo, "bump-containerd", "Bump containerd",
          {"os-tooling.yaml": tools(teleport="17.4.2", containerd="v1.7.28")})
    code, data, _ = release(cli, repo)
    assert (code, data["tag"], data["level"]) == (0, "v1.1.1", "patch")

    # docs only: nothing changes the images, nothing is released
    merge(repo, "docs", "Docs", {"README.md": "hello\n"})
    code, data, _ = release(cli, repo)
    assert code == 0 and data["released"] is False and data["outcome"] == "nothing-to-release"
    assert data["level"] == "none" and data["tag"] == "v1.1.1"
    assert "v1.1.2" not in tag_names(repo)

    # a Dockerfile change declared by a trailer (commits since the last tag count)
    merge(repo, "upstream", "Upgrade the base image", {"Dockerfile": "FROM debian\n"},
          body="Release-Level: minor")
    code, data, _ = release(cli, repo)
    assert (code, data["tag"], data["level"]) == (0, "v1.2.0", "minor")
    assert any(c["kind"] == "declared" and "Release-Level" in c["reason"] for c in data["changes"])

    merge(repo, "teleport-18", "Teleport 18", {"os-tooling.yaml": tools(teleport="18.0.0", containerd="v1.7.28")})
    code, data, _ = release(cli, repo)
    assert (code, data["tag"], data["level"]) == (0, "v2.0.0", "major")
    assert sorted(tag_names(repo)) == ["v1.0.0", "v1.1.0", "v1.1.1", "v1.2.0", "v2.0.0"]
    # each tag sits on the merge commit it released
    for tag in ("v1.1.0", "v1.1.1", "v1.2.0", "v2.0.0"):
        assert repo.git("log", "-1", "--format=%s", f"{tag}^{{commit}}").startswith("Merge pull request")


def test_pre_one_zero_repository_releases_a_major_change_as_a_minor(cli, repo):
    repo.tag("v0.3.0", "os-tooling 0.3.0")
    repo.write("os-tooling.yaml", tools(teleport="18.0.0", containerd="v1.7.27"))
    repo.commit("teleport 18")
    code, data, _ = release(cli, repo, "--dry-run")
    assert (code, data["tag"], data["level"], data["outcome"]) == (0, "v0.4.0", "minor", "dry-run")
    assert any("below 1.0.0" in m for m in data["messages"])
    assert tag_names(repo) == ["v0.3.0"]  # dry run: nothing tagged
    code, data, _ = release(cli, repo, "--major-on-zero")
    assert (code, data["tag"], data["level"]) == (0, "v1.0.0", "major")


def test_non_semver_tags_prereleases_and_build_tags_are_ignored(cli, repo):
    repo.tag("v1.4.0", "os-tooling 1.4.0")
    for name in ("latest", "v1", "v9", "v1.2.3.4", "release-9.0.0", "vv9.0.0", "v9.0.0+build.1"):
        repo.tag(name)
    repo.write("os-tooling.yaml", tools(teleport="17.1.5", containerd="v1.7.27"))
    repo.commit("teleport patch")
    repo.tag("v2.0.0-rc.1", "a release candidate")
    code, data, _ = release(cli, repo)
    assert (code, data["tag"], data["previous_version"]) == (0, "v1.4.1", "1.4.0")


def test_prereleases_count_when_asked(cli, repo):
    repo.tag("v1.4.0", "os-tooling 1.4.0")
    repo.write("os-tooling.yaml", tools(teleport="17.1.5", containerd="v1.7.27"))
    repo.commit("teleport patch")
    repo.tag("v2.0.0-rc.1", "a release candidate")
    repo.write("os-tooling.yaml", tools(teleport="17.1.6", containerd="v1.7.27"))
    repo.commit("teleport patch again")
    code, data, _ = release(cli, repo, "--include-prereleases")
    assert (code, data["tag"], data["previous_tag"]) == (0, "v2.0.0", "v2.0.0-rc.1")


def test_rerun_on_the_same_commit_makes_no_second_tag(cli, repo):
    code, first, _ = release(cli, repo)
    assert code == 0
    before = repo.git("for-each-ref", "refs/tags")
    code, second, _ = release(cli, repo)
    assert code == 0
    assert second["outcome"] == "already-released" and second["released"] is True
    assert second["tag"] == first["tag"] and second["release_notes"] == first["release_notes"]
    assert repo.git("for-each-ref", "refs/tags") == before


def test_an_older_commit_is_contained_in_the_newest_release(cli, repo):
    old = repo.git("rev-parse", "HEAD").strip()
    repo.write("os-tooling.yaml", tools(teleport="17.2.0", containerd="v1.7.27"))
    repo.commit("bump")
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    repo.git("checkout", "-q", old)
    code, data, _ = release(cli, repo)
    assert (code, data["outcome"], data["released"]) == (0, "contained", False)
    assert tag_names(repo) == ["v1.0.0"]


def test_a_side_branch_that_does_not_contain_the_newest_tag_is_refused(cli, repo):
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write("os-tooling.yaml", tools(teleport="17.2.0", containerd="v1.7.27"))
    repo.commit("on main")
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    repo.git("checkout", "-q", "-b", "side", base)
    repo.write("os-tooling.yaml", tools(teleport="17.3.0", containerd="v1.7.27"))
    repo.commit("on a side branch")
    result = cli("release", "--local", "--repo-root", repo.path)
    assert result.code == 1
    assert "not on the release branch main" in result.err  # the first guard
    # named as the release branch, it still does not contain the newest tag
    result = cli("release", "--local", "--repo-root", repo.path, "--release-branch", "side")
    assert result.code == 1
    assert "does not descend from the newest release tag v1.0.0" in result.err
    assert tag_names(repo) == ["v1.0.0"]


def test_text_output_puts_the_notes_on_stdout_and_the_summary_on_stderr(repo, tmp_path):
    result = run_subprocess("release", "--local", cwd=repo.path)
    assert result.code == 0
    assert result.out == tag_message(repo, "v0.1.0") + "\n" or result.out == tag_message(repo, "v0.1.0")
    assert result.err.startswith("released os-tooling 0.1.0")
    assert "Traceback" not in result.err


def test_notes_file_is_written_outside_the_working_tree_only(cli, repo, tmp_path):
    notes = tmp_path / "out" / "notes.md"
    payload = tmp_path / "out" / "os-tooling.json"
    result = cli("release", "--local", "--repo-root", repo.path, "--notes-file", notes,
                 "--payload-file", payload)
    assert result.code == 0
    assert notes.read_text() == tag_message(repo, "v0.1.0")
    assert json.loads(payload.read_text())["version"] == "0.1.0"
    assert "released os-tooling 0.1.0" in result.out
    assert repo.git("status", "--porcelain") == ""  # the working tree is untouched

    inside = cli("release", "--local", "--repo-root", repo.path, "--notes-file", repo.path / "NOTES.md")
    assert inside.code == 2 and "inside the working tree" in inside.err
    assert not (repo.path / "NOTES.md").exists()


def test_dry_run_changes_nothing(cli, repo):
    result = cli("release", "--local", "--repo-root", repo.path, "--dry-run")
    assert result.code == 0
    assert result.err.startswith("dry run: would release os-tooling 0.1.0")  # the summary
    assert result.out.startswith("# os-tooling 0.1.0")  # the notes that would be the message
    assert tag_names(repo) == []
    as_json = cli("release", "--local", "--repo-root", repo.path, "--dry-run", "--format", "json")
    assert json.loads(as_json.out)["outcome"] == "dry-run" and tag_names(repo) == []


def test_level_none_releases_nothing(cli, repo):
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    text = (repo.path / "os-tooling.yaml").read_text()
    repo.write("os-tooling.yaml", "# the binaries\n" + text.replace("17.1.4", "v17.1.4"))
    repo.commit("comment and v prefix only")
    code, data, _ = release(cli, repo)
    assert (code, data["released"], data["level"], data["outcome"]) == (0, False, "none", "nothing-to-release")
    assert tag_names(repo) == ["v1.0.0"]


def test_invalid_or_missing_manifest_fails_without_tagging(cli, repo):
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    repo.write("os-tooling.yaml", "tools:\n  - name: teleport\n    verison: 1.0.0\n")
    repo.commit("typo")
    result = cli("release", "--local", "--repo-root", repo.path)
    assert result.code == 1 and "manifest is invalid" in result.err
    repo.git("rm", "-q", "os-tooling.yaml")
    repo.commit("no manifest")
    result = cli("release", "--local", "--repo-root", repo.path)
    assert result.code == 2 and "does not exist at HEAD" in result.err
    assert tag_names(repo) == ["v1.0.0"]


def test_a_downgrade_is_refused_unless_allowed(cli, repo):
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    repo.write("os-tooling.yaml", tools(teleport="17.1.3", containerd="v1.7.27"))
    repo.commit("teleport back")
    result = cli("release", "--local", "--repo-root", repo.path)
    assert result.code == 1 and "goes down" in result.err
    code, data, _ = release(cli, repo, "--allow-downgrade")
    assert (code, data["tag"]) == (0, "v1.0.1")


def test_a_manifest_elsewhere_in_the_repository(cli, git_repo):
    git_repo.write("images/os-tooling.yaml", tools(teleport="1.0.0"))
    git_repo.commit("initial")
    git_repo.tag("v2.0.0", "x")
    git_repo.write("images/os-tooling.yaml", tools(teleport="1.1.0"))
    git_repo.commit("bump")
    code, data, _ = release(cli, git_repo, "--manifest", "images/os-tooling.yaml")
    assert (code, data["tag"]) == (0, "v2.1.0")


def test_concurrent_local_runs_make_one_tag(repo):
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    repo.write("os-tooling.yaml", tools(teleport="17.4.2", containerd="v1.7.27"))
    repo.commit("bump")

    def one(_: int) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "os_tooling", "release", "--local", "--format", "json"],
                              cwd=repo.path, capture_output=True, text=True, timeout=60)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, range(4)))
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    outputs = [json.loads(r.stdout) for r in results]
    assert {o["tag"] for o in outputs} == {"v1.1.0"}
    assert sum(o["created_tag"] for o in outputs) == 1
    assert sorted(tag_names(repo)) == ["v1.0.0", "v1.1.0"]


def test_docs_list_exactly_the_json_keys_of_release(cli, repo):
    from tests.helpers import ROOT

    doc = (ROOT / "docs" / "release.md").read_text()
    table = doc.split("| key | meaning |", 1)[1].split("\n\n", 1)[0]
    documented = set()
    for row in table.splitlines()[2:]:
        documented.update(k.strip(" `") for k in row.split("|")[1].split(","))
    code, data, _ = release(cli, repo, "--dry-run")
    assert code == 0
    assert documented == set(data) - {"dry_run", "backend", "notes_file"}
