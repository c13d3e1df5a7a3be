"""Release from a side branch, and a tag left without its release.

``release`` tags HEAD, so a run on a feature branch would tag the feature's commit and block
the release branch (its next run finds the newest tag outside its history). Releases are made
only from the release branch (``--release-branch``; in GitHub Actions the event's default
branch; else ``origin/HEAD``; else the one of main/master); anything else is one line, exit 1
(exit 2 when the branch cannot be told), and no tag.

On GitHub a run can fail after tagging (a 500 on creating the release): the next run finishes
that release before it releases anything new, or fails loudly naming the tag; it never
releases over it silently.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.action_helpers import TOKEN, pull_request_payload, push_payload, run_action
from tests.helpers import GitRepo, manifest_text
from tests.test_release_github import FULL_NAME, Setup, tools

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake


def manifest(teleport: str = "17.1.4") -> str:
    return manifest_text({"name": "teleport", "version": teleport})


def tags(repo: GitRepo) -> list[str]:
    return repo.git("tag", "--list").split()


def head(repo: GitRepo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


def release(cli, repo: GitRepo, *extra: str):
    result = cli("release", "--local", "--repo-root", repo.path, "--format", "json", *extra)
    data = json.loads(result.out) if result.out.strip().startswith("{") else None
    return result, data


def refused(result, code: int = 1) -> str:
    """Exit ``code``, one line on stderr, nothing on stdout."""
    assert result.code == code, (result.code, result.out, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert not result.out.strip()
    return lines[0]


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    """main with v1.0.0 released and a feature branch with a teleport bump checked out."""
    git_repo.write("os-tooling.yaml", manifest())
    git_repo.commit("initial")
    git_repo.tag("v1.0.0", "os-tooling 1.0.0")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("os-tooling.yaml", manifest("17.4.2"))
    git_repo.commit("bump teleport")
    return git_repo


# -- local: which branch -----------------------------------------------------------------------
def test_the_issue_release_local_on_a_feature_branch_tags_nothing(cli, repo):
    line = refused(release(cli, repo)[0])
    assert "not on the release branch main" in line and "branch feature" in line
    assert "nothing was tagged" in line
    assert tags(repo) == ["v1.0.0"]
    # main is not blocked: after the merge, main releases the change
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "feature", "-m", "Merge feature")
    result, data = release(cli, repo)
    assert result.code == 0, result.err
    assert (data["tag"], data["commit"]) == ("v1.1.0", head(repo))


def test_dry_run_on_a_feature_branch_says_a_real_run_would_refuse(cli, repo):
    result, data = release(cli, repo, "--dry-run")
    assert result.code == 0, result.err
    assert data["outcome"] == "dry-run"
    assert any("a real run would refuse" in m and "release branch main" in m
               for m in data["messages"])
    assert tags(repo) == ["v1.0.0"]


def test_the_release_branch_can_be_named(cli, repo):
    result, data = release(cli, repo, "--release-branch", "feature")
    assert result.code == 0, result.err
    assert data["tag"] == "v1.1.0"
    line = refused(release(cli, repo, "--release-branch", "main")[0])
    assert "--release-branch" in line  # said where the name came from


@pytest.mark.parametrize("name", ["-x", "--points-at=HEAD", "a..b", "bad\nname", "x\x1b[2K",
                                  "HEAD@{1}", "refs/heads/../x"])
def test_a_bad_release_branch_name_is_a_usage_error(cli, repo, name):
    line = refused(release(cli, repo, "--release-branch", name)[0], code=2)
    assert "\x1b" not in line
    assert tags(repo) == ["v1.0.0"]


def test_detached_head_on_the_release_branch_releases_and_elsewhere_refuses(cli, repo):
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "feature", "-m", "Merge feature")
    merged = head(repo)
    repo.git("checkout", "-q", "--detach", merged)  # actions/checkout of a sha
    result, data = release(cli, repo)
    assert result.code == 0, result.err
    assert data["commit"] == merged and data["tag"] == "v1.1.0"
    # a commit that is on no release branch, checked out detached
    repo.git("checkout", "-q", "-b", "other", "v1.0.0")
    repo.write("os-tooling.yaml", manifest("18.0.0"))
    stray = repo.commit("stray")
    repo.git("checkout", "-q", "--detach", stray)
    line = refused(release(cli, repo)[0])
    assert "a detached HEAD" in line and "release branch main" in line
    assert tags(repo) == ["v1.0.0", "v1.1.0"]


def test_origin_head_names_the_release_branch(cli, tmp_path):
    upstream = GitRepo(tmp_path / "upstream")
    upstream.git("checkout", "-q", "-b", "trunk")
    upstream.write("os-tooling.yaml", manifest())
    upstream.commit("initial")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(upstream.path), str(clone)], check=True)
    local = GitRepo(clone)  # (re)configures identity; the clone's branches stay
    assert local.git("symbolic-ref", "refs/remotes/origin/HEAD").strip() == "refs/remotes/origin/trunk"
    local.git("checkout", "-q", "-b", "main")  # a branch called main is not the release branch
    local.write("os-tooling.yaml", manifest("17.4.2"))
    local.commit("on main")
    line = refused(release(cli, local)[0])
    assert "release branch trunk (origin/HEAD)" in line
    local.git("checkout", "-q", "trunk")
    result, data = release(cli, local)
    assert result.code == 0, result.err
    assert data["tag"] == "v0.1.0"


def test_no_way_to_tell_the_release_branch_is_exit_2(cli, tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.git("checkout", "-q", "-b", "develop")
    repo.write("os-tooling.yaml", manifest())
    repo.commit("initial")
    line = refused(release(cli, repo)[0], code=2)
    assert "cannot tell the release branch" in line and "--release-branch" in line
    # both main and master: still ambiguous
    repo.git("branch", "main")
    repo.git("branch", "master")
    assert "cannot tell" in refused(release(cli, repo)[0], code=2)
    repo.git("branch", "-D", "master")
    repo.write("os-tooling.yaml", manifest("17.4.2"))
    repo.commit("only on develop")
    assert "release branch main" in refused(release(cli, repo)[0])
    repo.git("checkout", "-q", "main")
    assert release(cli, repo)[0].code == 0
    assert tags(repo) == ["v0.1.0"]


# -- local: GitHub Actions facts ---------------------------------------------------------------
def actions_env(monkeypatch, tmp_path, *, default_branch: object, ref: str, sha: str) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"full_name": FULL_NAME,
                                                "default_branch": default_branch}}))
    for key, value in {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event),
                       "GITHUB_EVENT_NAME": "push", "GITHUB_REF": ref, "GITHUB_SHA": sha}.items():
        monkeypatch.setenv(key, value)


def test_in_actions_the_event_default_branch_and_the_run_ref_decide(cli, tmp_path, monkeypatch):
    """A detached checkout of the pushed commit, no local branch of that name at all."""
    repo = GitRepo(tmp_path / "repo")
    repo.git("checkout", "-q", "-b", "release")
    repo.write("os-tooling.yaml", manifest())
    pushed = repo.commit("initial")
    repo.git("checkout", "-q", "--detach", pushed)
    repo.git("branch", "-D", "release")
    repo.git("branch", "main")  # a main exists, but the repository's default branch is release
    actions_env(monkeypatch, tmp_path, default_branch="release", ref="refs/heads/release",
                sha=pushed)
    result, data = release(cli, repo)
    assert result.code == 0, result.err
    assert data["tag"] == "v0.1.0"
    repo.git("tag", "-d", "v0.1.0")
    actions_env(monkeypatch, tmp_path, default_branch="release", ref="refs/pull/3/merge",
                sha=pushed)  # a pull_request run: not the release branch
    line = refused(release(cli, repo)[0])
    assert "release branch release (the repository's default branch)" in line
    assert tags(repo) == []


@pytest.mark.parametrize("default_branch", ["--points-at=HEAD", "a\nb", "x..y"])
def test_a_hostile_default_branch_in_the_event_is_refused(cli, repo, tmp_path, monkeypatch,
                                                         default_branch):
    actions_env(monkeypatch, tmp_path, default_branch=default_branch, ref="refs/heads/main",
                sha=head(repo))
    refused(release(cli, repo)[0], code=2)
    assert tags(repo) == ["v1.0.0"]


def test_the_action_passes_the_event_default_branch(tmp_path, github_fake):
    capi = GitRepo(tmp_path / "capi")
    capi.write("os-tooling.yaml", manifest())
    base = capi.commit("initial")
    capi.tag("v1.0.0", "os-tooling 1.0.0")
    capi.git("checkout", "-q", "-b", "feature")
    capi.write("os-tooling.yaml", manifest("17.4.2"))
    feature = capi.commit("bump")
    remote = github_fake.import_git(capi.path, FULL_NAME)
    env = github_fake.env(token=None)
    # a workflow that runs release on its pull requests: refused, nothing tagged
    result = run_action(tmp_path / "pr", capi.path, {"command": "release", "token": TOKEN},
                        "pull_request", pull_request_payload(4, base, feature), env)
    assert result.code == 1
    assert result.outputs["ok"] == "false" and result.outputs["tag"] == ""
    [error] = result.annotations("error")
    assert "not on the release branch main" in error.data
    assert remote.tag_names() == ["v1.0.0"]
    # the same commit pushed to main (fast-forward): released
    capi.git("checkout", "-q", "main")
    capi.git("merge", "-q", "--ff-only", "feature")
    result = run_action(tmp_path / "push", capi.path, {"command": "release", "token": TOKEN},
                        "push", push_payload(base, feature), env)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["tag"] == "v1.1.0"


# -- GitHub: a tag left without its release ----------------------------------------------------
@pytest.fixture
def setup(git_repo, github_fake, monkeypatch) -> Setup:
    return Setup(git_repo, github_fake, monkeypatch)


def half_release(cli, setup: Setup):
    """A run that tags v1.1.0 and then fails on creating the release (a lasting 500)."""
    failing = setup.fake.inject(500, times=1000, method="POST", path=r"/releases$")
    result, _ = setup.run(cli)
    assert result.code == 1 and "tag v1.1.0 is on" in result.err
    assert setup.release_tags() == ["v1.1.0"] and setup.releases() == []
    return failing


def merge_more(setup: Setup) -> str:
    """Another PR lands on main after the failed run; GitHub sees it too."""
    setup.head = setup.merge("bump-containerd", tools(teleport="17.4.2", containerd="v1.7.28"))
    setup.fake.import_git(setup.repo.path, FULL_NAME)
    return setup.head


def test_the_next_release_first_finishes_the_unreleased_tag(cli, setup):
    failing = half_release(cli, setup)
    tagged = setup.remote.peel(setup.remote.ref("tags/v1.1.0"))
    failing.times = 0
    merge_more(setup)
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert (data["tag"], data["previous_tag"], data["level"]) == ("v1.1.1", "v1.1.0", "patch")
    assert any("finished the release of v1.1.0" in m for m in data["messages"])
    releases = {r.tag_name: r for r in setup.releases()}
    assert sorted(releases) == ["v1.1.0", "v1.1.1"]
    finished = releases["v1.1.0"]
    assert [a.name for a in finished.assets] == ["os-tooling.json"]
    payload = json.loads(finished.assets[0].data)
    assert (payload["version"], payload["commit"], payload["previous_tag"]) == ("1.1.0", tagged,
                                                                                "v1.0.0")
    # the notes are the ones the failed run wrote into the tag: deterministic, not re-guessed
    tag_object = setup.remote.tag_objects[setup.remote.ref("tags/v1.1.0")]
    assert finished.body == tag_object.message
    assert setup.remote.peel(setup.remote.ref("tags/v1.1.1")) == setup.head


def test_when_finishing_fails_the_next_release_stops_naming_the_tag(cli, setup):
    half_release(cli, setup)
    merge_more(setup)
    result, _ = setup.run(cli)
    line = refused(result)
    assert "tag v1.1.0" in line and "has no complete release" in line
    assert "Nothing new was tagged" in line
    assert setup.release_tags() == ["v1.1.0"] and setup.releases() == []


def test_a_missing_asset_of_the_previous_release_is_finished_too(cli, setup):
    failing = setup.fake.inject(500, times=1000, method="POST", path=r"/assets")
    assert setup.run(cli)[0].code == 1
    [release] = setup.releases()
    assert release.assets == []
    failing.times = 0
    merge_more(setup)
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    by_tag = {r.tag_name: [a.name for a in r.assets] for r in setup.releases()}
    assert by_tag == {"v1.1.0": ["os-tooling.json"], "v1.1.1": ["os-tooling.json"]}


def test_dry_run_says_the_unreleased_tag_would_be_finished(cli, setup):
    failing = half_release(cli, setup)
    failing.times = 0
    merge_more(setup)
    setup.fake.clear_log()
    result, data = setup.run(cli, "--dry-run")
    assert result.code == 0, result.err
    assert any("v1.1.0 has no complete release" in m for m in data["messages"])
    assert setup.fake.calls("POST") == 0 and setup.releases() == []


def test_a_tag_from_before_os_tooling_is_left_as_it_is(cli, setup):
    """v1.0.0 was tagged by hand ("os-tooling 1.0.0"), with no GitHub release: not ours."""
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert any("v1.0.0 has no os-tooling release" in m for m in data["messages"])
    assert [r.tag_name for r in setup.releases()] == ["v1.1.0"]


def test_the_release_branch_check_on_github_tags_nothing(cli, setup):
    setup.repo.git("checkout", "-q", "-b", "unmerged")
    setup.repo.write("os-tooling.yaml", tools(teleport="18.0.0"))
    setup.repo.commit("not merged")
    setup.fake.import_git(setup.repo.path, FULL_NAME)
    setup.fake.clear_log()
    line = refused(setup.run(cli)[0])
    assert "not on the release branch main" in line
    assert setup.fake.calls("POST") == 0 and setup.release_tags() == []
