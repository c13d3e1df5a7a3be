"""One tooling-source interface (``core/tooling_source.py``) over a local checkout, GitHub's
contents at the tag and the release's ``os-tooling.json`` asset: the same answers for the same
repository, each answer asked once, and one error model (setup problem: exit 2; GitHub failing:
``ToolingLookupError``, exit 1)."""

from __future__ import annotations

import pytest

from os_tooling.adapters.github_client import ClientSettings
from os_tooling.adapters.tooling_github import GitHubAssetTooling, GitHubTooling
from os_tooling.adapters.tooling_local import LocalTooling
from os_tooling.adapters.tooling_sources import LazyTooling, open_tooling
from os_tooling.core.tooling_source import ToolingLookupError, ToolingSource
from os_tooling.core.versions import Version
from os_tooling.errors import ExitCode, UsageError
from tests.helpers import GitRepo, manifest_text

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

FULL_NAME = "acme/capi-image-builder"
V1, V2, PRE = Version.parse("1.0.0"), Version.parse("1.1.0"), Version.parse("1.2.0-rc.1")


@pytest.fixture
def released(cli, git_repo: GitRepo, github_fake, monkeypatch) -> GitRepo:
    """v1.0.0 (tag only), v1.1.0 (released through GitHub: has the asset), v1.2.0-rc.1."""
    git_repo.write("os-tooling.yaml", manifest_text(
        {"name": "teleport", "version": "17.1.4", "providers": ["capa"]}))
    git_repo.commit("one")
    git_repo.tag("v1.0.0", "v1.0.0")
    git_repo.write("os-tooling.yaml", manifest_text(
        {"name": "teleport", "version": "17.4.2", "providers": ["capa", "capz"]},
        {"name": "node-exporter", "version": "1.9.1", "providers": ["capa"]}))
    git_repo.commit("two")
    github_fake.import_git(git_repo.path, FULL_NAME)
    for key, value in github_fake.env(repository=FULL_NAME).items():
        monkeypatch.setenv(key, value)
    result = cli("release", "--repo-root", git_repo.path, "--format", "json")
    assert result.code == 0, result.err
    git_repo.tag("v1.1.0", "v1.1.0")  # the local checkout gets the tag the release made
    git_repo.tag("v1.2.0-rc.1", "rc")
    github_fake.import_git(git_repo.path, FULL_NAME)
    return git_repo


def sources(github_fake, repo: GitRepo) -> dict[str, ToolingSource]:
    settings = lambda: ClientSettings.from_env(env=github_fake.env())  # noqa: E731
    return {
        "local": open_tooling(repo.path, None),
        "contents": open_tooling(None, FULL_NAME, settings=settings),
        "asset": open_tooling(None, FULL_NAME, settings=settings, from_asset=True),
    }


def test_every_source_answers_the_same(released, github_fake):
    found = sources(github_fake, released)
    assert isinstance(found["local"], LocalTooling)
    assert all(isinstance(found[k], LazyTooling) for k in ("contents", "asset"))
    for name, source in found.items():
        assert source.versions() == [PRE, V2, V1], name
        assert source.newest() == ["v1.1.0", "v1.0.0"], name  # no pre-release in hints
        assert source.has_version(V2) and not source.has_version(Version.parse("9.9.9")), name
        assert source.tag_of(V2) == "v1.1.0", name
        answer = source.manifest(V2)
        assert answer.manifest is not None, (name, answer.reason)
        assert sorted((t.name, str(t.version)) for t in answer.manifest.tools) == [
            ("node-exporter", "1.9.1"), ("teleport", "17.4.2")], name
        missing = source.manifest(Version.parse("9.9.9"))
        assert missing.manifest is None and "9.9.9" in missing.reason, name
    # a tag without a GitHub release has no asset: a reason, not an error
    assert "has no GitHub release" in found["asset"].manifest(V1).reason
    assert found["contents"].manifest(V1).manifest is not None
    assert found["local"].location == str(released.path.resolve())
    assert found["contents"].location == f"{FULL_NAME} (GitHub)"


def test_each_answer_is_asked_once(released, github_fake):
    source = sources(github_fake, released)["contents"]
    github_fake.clear_log()
    for _ in range(3):
        source.manifest(V2)
        source.versions()
    assert github_fake.calls("GET", r"/git/matching-refs/tags") == 1
    assert github_fake.calls("GET", r"/contents/os-tooling.yaml") == 1


def test_github_is_asked_only_when_a_command_needs_it(github_fake):
    made = []
    source = open_tooling(None, FULL_NAME, settings=lambda: made.append(1) or
                          ClientSettings.from_env(env=github_fake.env()))
    assert made == [] and github_fake.calls() == 0
    with pytest.raises(UsageError, match="not found"):  # the repository is not on the fake
        source.versions()
    assert made == [1]


def test_one_error_model(released, github_fake):
    # GitHub failing after the client's retries: the source cannot answer (exit 1)
    source = GitHubTooling.from_settings(ClientSettings.from_env(env=github_fake.env()), FULL_NAME)
    github_fake.inject(502, times=10, method="GET", path=r"/git/matching-refs/tags")
    with pytest.raises(ToolingLookupError) as failing:
        source.versions()
    assert failing.value.exit_code == ExitCode.FINDING and "kept failing" in str(failing.value)
    # a bad token is a setup problem (exit 2), whichever source
    github_fake.faults.clear()
    github_fake.strict_tokens = True
    bad = ClientSettings.from_env(env=github_fake.env(token="ghp_notknown"))
    for kind in (GitHubTooling, GitHubAssetTooling):
        with pytest.raises(UsageError) as refused:
            kind.from_settings(bad, FULL_NAME).versions()
        assert refused.value.exit_code == ExitCode.USAGE
    with pytest.raises(UsageError, match="not a git repository"):
        open_tooling("/nonexistent/checkout", None)
    with pytest.raises(UsageError, match="OWNER/NAME"):
        open_tooling(None, "not a repo name")
