"""``release`` against the loopback GitHub fake, driven through PyGithub: happy path, reruns,
races, injected faults, retries, timeouts, tokens, API-call budget, concurrent runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fakes.github import DEFAULT_TOKEN, FakeRepo, GitHubFake
from tests.helpers import GitRepo, manifest_text

pytestmark = pytest.mark.slow  # retries that honour Retry-After and timeouts for real

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

FULL_NAME = "acme/capi-image-builder"


def tools(teleport: str = "17.1.4", containerd: str = "v1.7.27") -> str:
    return manifest_text({"name": "teleport", "version": teleport},
                         {"name": "containerd", "version": containerd})


class Setup:
    """A real repo (v1.0.0, then a merged PR bumping teleport) mirrored into the fake."""

    def __init__(self, repo: GitRepo, fake: GitHubFake, monkeypatch: pytest.MonkeyPatch):
        self.repo = repo
        self.fake = fake
        self.monkeypatch = monkeypatch
        repo.write("os-tooling.yaml", tools())
        repo.commit("initial")
        repo.tag("v1.0.0", "os-tooling 1.0.0")
        self.head = self.merge("bump-teleport", tools(teleport="17.4.2"))
        self.remote: FakeRepo = fake.import_git(repo.path, FULL_NAME)
        self.pull = self.remote.add_pull(title="Bump teleport to 17.4.2", head_sha=self.branch_tip,
                                         merged=True, merge_commit_sha=self.head)
        self.env(fake.env(repository=FULL_NAME))
        for name in ("INPUT_TOKEN", "GITHUB_SERVER_URL"):
            monkeypatch.delenv(name, raising=False)

    def env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self.monkeypatch.setenv(key, value)

    def merge(self, branch: str, manifest: str, body: str = "") -> str:
        self.repo.git("checkout", "-q", "-b", branch)
        self.repo.write("os-tooling.yaml", manifest)
        self.branch_tip = self.repo.commit(f"{branch}\n\n{body}" if body else branch)
        self.repo.git("checkout", "-q", "main")
        self.repo.git("merge", "-q", "--no-ff", branch, "-m", f"Merge pull request from {branch}")
        return self.repo.git("rev-parse", "HEAD").strip()

    def run(self, cli, *extra: str):
        result = cli("release", "--repo-root", self.repo.path, "--format", "json", *extra)
        data = json.loads(result.out) if result.out.strip().startswith("{") else None
        return result, data

    def release_tags(self) -> list[str]:
        return [t for t in self.remote.tag_names() if t != "v1.0.0"]

    def releases(self) -> list:
        return list(self.remote.releases.values())


@pytest.fixture
def setup(git_repo, github_fake, monkeypatch) -> Setup:
    return Setup(git_repo, github_fake, monkeypatch)


def assert_one_release(setup: Setup, tag: str = "v1.1.0") -> None:
    assert setup.release_tags() == [tag]
    [release] = setup.releases()
    assert release.tag_name == tag
    assert [a.name for a in release.assets] == ["os-tooling.json"]
    assert setup.remote.peel(setup.remote.ref(f"tags/{tag}")) == setup.head


def test_happy_path_tags_releases_and_attaches_the_payload(cli, setup):
    setup.fake.clear_log()
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert data["released"] is True and data["outcome"] == "released"
    assert (data["tag"], data["version"], data["previous_version"], data["level"]) == \
        ("v1.1.0", "1.1.0", "1.0.0", "minor")
    assert data["commit"] == setup.head
    assert data["created_tag"] and data["created_release"] and data["uploaded_asset"]
    assert_one_release(setup)
    [release] = setup.releases()
    assert data["release_url"].endswith(f"/{FULL_NAME}/releases/tag/v1.1.0")
    assert release.body == data["release_notes"]
    assert "| teleport | `17.1.4` | `17.4.2` | **minor** |" in release.body
    assert f"/{FULL_NAME}/compare/v1.0.0...v1.1.0" in release.body
    # annotated tag object with the notes, pointing at HEAD
    tag_sha = setup.remote.ref("tags/v1.1.0")
    assert setup.remote.tag_objects[tag_sha].message == data["release_notes"]
    payload = json.loads(release.assets[0].data)
    assert payload == data["asset"]
    assert (payload["version"], payload["commit"], payload["previous_version"]) == ("1.1.0", setup.head, "1.0.0")
    assert [t["name"] for t in payload["tools"]] == ["containerd", "teleport"]
    assert payload["changes"][0]["tool"] == "teleport"
    # the budget: a release uses at most 8 API calls (here the previous tag is local: 6)
    assert len(setup.fake.requests) <= 8, [(r.method, r.path) for r in setup.fake.requests]
    assert setup.fake.calls("POST") == 4


def test_budget_when_the_previous_tag_exists_only_on_github(cli, setup):
    assert setup.run(cli)[0].code == 0  # v1.1.0 now exists on GitHub only
    setup.head = setup.merge("bump-containerd", tools(teleport="17.4.2", containerd="v1.7.28"))
    setup.fake.import_git(setup.repo.path, FULL_NAME)
    setup.fake.clear_log()
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert (data["tag"], data["previous_tag"], data["level"]) == ("v1.1.1", "v1.1.0", "patch")
    assert setup.fake.calls("GET", r"/git/tags/") == 1  # the previous tag peeled through the API
    assert len(setup.fake.requests) <= 8, [(r.method, r.path) for r in setup.fake.requests]


def test_rerun_is_idempotent(cli, setup):
    first = setup.run(cli)[1]
    setup.fake.clear_log()
    result, second = setup.run(cli)
    assert result.code == 0
    assert second["outcome"] == "already-released" and second["released"] is True
    assert (second["tag"], second["release_url"]) == (first["tag"], first["release_url"])
    assert second["release_notes"] == first["release_notes"]
    assert setup.fake.calls("POST") == 0
    assert_one_release(setup)


def test_pr_labels_raise_the_level(cli, setup):
    setup.pull.labels.append("release/major")
    setup.remote.add_pull(title="unmerged", labels=["release/major"], head_sha=setup.head, merged=False)
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert (data["tag"], data["level"]) == ("v2.0.0", "major")
    declared = [c for c in data["changes"] if c["kind"] == "declared"]
    assert [c["reason"] for c in declared] == [f"declared by label release/major (#{setup.pull.number})"]


def test_the_label_of_a_pr_beyond_the_newest_hundred_is_still_found(cli, setup):
    # a busy repository: 100 other pull requests were closed after ours
    setup.pull.labels.append("release/major")
    for i in range(100):
        setup.remote.add_pull(title=f"other {i}", state="closed")
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert (data["tag"], data["level"]) == ("v2.0.0", "major")


def test_labels_of_unmerged_or_other_prs_and_disabled_lookup_do_not_count(cli, setup):
    setup.pull.labels.append("release/major")
    setup.fake.clear_log()
    result, data = setup.run(cli, "--no-pr-labels", "--dry-run")
    assert (result.code, data["level"], data["tag"]) == (0, "minor", "v1.1.0")
    assert setup.fake.calls("GET", r"/pulls$") == 0


def test_an_unknown_level_label_fails_clearly(cli, setup):
    setup.pull.labels.append("release/huge")
    result, _ = setup.run(cli)
    assert result.code == 1
    assert "release/huge" in result.err and "unknown release level" in result.err
    assert setup.release_tags() == []


def test_trailers_since_the_tag_raise_the_level(cli, setup):
    setup.repo.write("Dockerfile", "FROM debian\n")
    setup.head = setup.repo.commit("Upgrade image-builder\n\nRelease-Level: major")
    setup.fake.import_git(setup.repo.path, FULL_NAME)
    result, data = setup.run(cli)
    assert (result.code, data["tag"], data["level"]) == (0, "v2.0.0", "major")


def test_dry_run_makes_no_write_and_needs_no_token(cli, setup):
    setup.monkeypatch.delenv("GITHUB_TOKEN")
    setup.fake.clear_log()
    result, data = setup.run(cli, "--dry-run")
    assert result.code == 0, result.err
    assert (data["outcome"], data["released"], data["tag"]) == ("dry-run", False, "v1.1.0")
    assert setup.fake.calls("POST") == 0 and setup.release_tags() == []
    assert "## Binaries" in data["release_notes"]


def test_a_create_that_reached_github_before_the_connection_broke(cli, setup):
    """Each create is applied, then its answer is lost; the replay must not duplicate or crash."""
    fake = setup.fake
    faults = [fake.inject(kind="reset", method="POST", path=r"/git/refs$", apply=True),
              fake.inject(502, method="POST", path=r"/releases$", apply=True),
              fake.inject(kind="reset", method="POST", path=r"/assets$", apply=True)]
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert [f.times for f in faults] == [0, 0, 0]
    assert data["tag"] == "v1.1.0"
    assert_one_release(setup)


def test_injected_5xx_429_and_secondary_rate_limit_are_retried(cli, setup):
    fake = setup.fake
    faults = [fake.inject(500, method="GET", path=r"/git/matching-refs/"),
              fake.inject(502, method="POST", path=r"/git/tags$"),
              fake.rate_limit_429(method="POST", path=r"/releases$", retry_after="0"),
              fake.secondary_rate_limit(method="POST", path=r"/assets$", retry_after="1")]
    started = time.monotonic()
    result, data = setup.run(cli)
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err
    assert [f.times for f in faults] == [0, 0, 0, 0]
    assert {r.status for r in fake.requests if r.fault} == {500, 502, 429, 403}
    assert elapsed >= 0.9  # Retry-After: 1 was honoured
    assert_one_release(setup)


def test_secondary_rate_limit_without_retry_after_and_primary_limit(cli, setup):
    fake = setup.fake
    fake.secondary_rate_limit(method="GET", path=r"/pulls$", retry_after=None)
    fake.primary_rate_limit(method="POST", path=r"/git/refs$", reset_in=0)
    result, _ = setup.run(cli)
    assert result.code == 0, result.err
    assert_one_release(setup)


def test_a_wait_longer_than_allowed_fails_fast(cli, setup):
    setup.env({"OS_TOOLING_GITHUB_MAX_WAIT": "5"})
    setup.fake.secondary_rate_limit(method="GET", path=r"/git/matching-refs/", retry_after="3600")
    started = time.monotonic()
    result, _ = setup.run(cli)
    assert result.code == 1
    assert "asks to wait 3600s" in result.err and time.monotonic() - started < 10
    assert setup.release_tags() == []


def test_timeouts_on_calls_are_retried(cli, setup):
    setup.env({"OS_TOOLING_GITHUB_TIMEOUT": "1"})
    slow = setup.fake.inject(kind="slow", delay=60, method="GET", path=r"/git/matching-refs/")
    result, _ = setup.run(cli)
    assert result.code == 0, result.err
    assert slow.times == 0  # the slow answer was asked for ...
    # ... and is still being answered: the release gave up on it after the 1 s timeout and its
    # retry succeeded (without a timeout it would still be waiting, or have failed)
    assert setup.fake.in_flight == 1
    assert_one_release(setup)


def test_failure_between_tag_and_release_then_a_rerun_repairs_it(cli, setup):
    failing = setup.fake.inject(502, times=100, method="POST", path=r"/releases$")
    result, _ = setup.run(cli)
    assert result.code == 1
    assert "tag v1.1.0 is on" in result.err and "Rerun the release" in result.err
    assert "Traceback" not in result.err
    assert setup.release_tags() == ["v1.1.0"] and setup.releases() == []
    failing.times = 0
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert data["outcome"] == "repaired" and data["released"] is True
    assert (data["created_tag"], data["created_release"], data["uploaded_asset"]) == (False, True, True)
    assert_one_release(setup)
    assert setup.releases()[0].body == data["release_notes"]


def test_a_missing_asset_is_repaired(cli, setup):
    failing = setup.fake.inject(500, times=100, method="POST", path=r"/assets$")
    assert setup.run(cli)[0].code == 1
    failing.times = 0
    result, data = setup.run(cli)
    assert (result.code, data["outcome"], data["created_release"], data["uploaded_asset"]) == \
        (0, "repaired", False, True)
    assert_one_release(setup)


def test_tag_taken_on_another_commit_is_recomputed_once(cli, setup):
    """A concurrent merge released first: its tag is kept, this run releases on top of it."""
    repo = setup.repo
    repo.git("reset", "-q", "--hard", "HEAD~1")
    concurrent = setup.merge("bump-containerd", tools(containerd="v1.7.28"))
    setup.head = setup.merge("bump-teleport-2", tools(teleport="17.4.2", containerd="v1.7.28"))
    setup.remote = setup.fake.import_git(repo.path, FULL_NAME)

    def concurrent_release(body):  # another run tags its commit just before our tag lands
        setup.remote.tag(body["tag"], concurrent, message="concurrent")

    hook = setup.fake.inject(kind="hook", method="POST", path=r"/git/tags$", action=concurrent_release)
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert hook.times == 0
    assert any("appeared on commit" in m for m in data["messages"])
    assert setup.remote.peel(setup.remote.ref("tags/v1.1.0")) == concurrent  # not overwritten
    assert (data["tag"], data["previous_tag"]) == ("v1.2.0", "v1.1.0")
    assert setup.remote.peel(setup.remote.ref("tags/v1.2.0")) == setup.head


def test_tag_taken_twice_fails_clearly_and_overwrites_nothing(cli, setup):
    parent = setup.repo.git("rev-parse", "HEAD~1").strip()

    def concurrent_release(body):
        setup.remote.tag(body["tag"], parent, message="concurrent")

    setup.fake.inject(kind="hook", times=2, method="POST", path=r"/git/tags$", action=concurrent_release)
    result, _ = setup.run(cli)
    assert result.code == 1
    assert "already exists on commit" in result.err and "Nothing was overwritten" in result.err
    for tag in setup.release_tags():
        assert setup.remote.peel(setup.remote.ref(f"tags/{tag}")) == parent
    assert setup.releases() == []


def test_reference_already_exists_on_the_same_commit_finishes_the_release(cli, setup):
    """422 "Reference already exists" from a run on the same commit that tagged first."""
    def same_commit_release(body):
        setup.remote.tag(body["tag"], setup.head, message="the other run")

    setup.fake.inject(kind="hook", method="POST", path=r"/git/tags$", action=same_commit_release)
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert any(r.status == 422 and r.path.endswith("/git/refs") for r in setup.fake.requests)
    assert (data["created_tag"], data["created_release"]) == (False, True)
    assert_one_release(setup)


def test_read_only_token_fails_with_a_clear_line(cli, setup):
    setup.fake.read_only()
    result, _ = setup.run(cli)
    assert result.code == 2
    assert "403" in result.err and "write access" in result.err
    assert DEFAULT_TOKEN not in result.err + result.out
    assert setup.release_tags() == []


def test_bad_token_is_never_printed(cli, setup):
    setup.fake.strict_tokens = True
    secret = "ghp_thisIsASecretToken1234567890"
    setup.env({"GITHUB_TOKEN": secret})
    result, _ = setup.run(cli)
    assert result.code == 2 and "token is not valid" in result.err
    assert secret not in result.err + result.out


def test_unknown_repository_and_missing_settings(cli, setup):
    result = cli("release", "--repo-root", setup.repo.path, "--github-repo", "acme/nope")
    assert result.code == 2 and "not found" in result.err
    setup.monkeypatch.delenv("GITHUB_REPOSITORY")
    result = cli("release", "--repo-root", setup.repo.path)
    assert result.code == 2 and "--github-repo" in result.err and "--local" in result.err
    setup.monkeypatch.delenv("GITHUB_TOKEN")
    result = cli("release", "--repo-root", setup.repo.path, "--github-repo", FULL_NAME)
    assert result.code == 2 and "no GitHub token" in result.err


def test_github_enterprise_base_url(cli, setup):
    setup.env({"GITHUB_API_URL": setup.fake.ghe_url})
    result, data = setup.run(cli)
    assert result.code == 0, result.err
    assert_one_release(setup)
    assert any(r.path.startswith("/uploads/") for r in setup.fake.requests)


def test_shallow_checkout_reads_history_from_github(cli, setup, tmp_path):
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{setup.repo.path}", str(shallow)],
                   check=True)
    setup.fake.clear_log()
    result = cli("release", "--repo-root", shallow, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["tag"], data["level"]) == ("v1.1.0", "minor")
    assert setup.fake.calls("GET", r"/contents/") == 1 and setup.fake.calls("GET", r"/compare/") == 1
    assert_one_release(setup)


def test_eight_concurrent_runs_make_exactly_one_tag_and_one_release(setup):
    env = {**os.environ, **setup.fake.env(repository=FULL_NAME)}

    def one(_: int) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "os_tooling", "release", "--format", "json"],
                              cwd=setup.repo.path, env=env, capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert [r.returncode for r in results] == [0] * 8, [r.stderr for r in results]
    outputs = [json.loads(r.stdout) for r in results]
    assert {(o["tag"], o["released"]) for o in outputs} == {("v1.1.0", True)}
    assert sum(o["created_tag"] for o in outputs) == 1
    assert sum(o["created_release"] for o in outputs) == 1
    assert_one_release(setup)
