"""The loopback GitHub fake itself (other tests rely on its shapes) and the shared client
(adapters.github_client): settings, retries, waits, token masking."""

from __future__ import annotations

import logging

import pytest
from github import GithubException, UnknownObjectException

from os_tooling.adapters import github_client as ghc
from os_tooling.errors import UsageError
from tests.helpers import GitRepo

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake


@pytest.fixture
def remote(github_fake):
    repo = github_fake.create_repo("acme/tools")
    first = repo.commit({"a.txt": "one\n", "dir/b.txt": "two\n"}, "first")
    second = repo.commit({"a.txt": "changed\n"}, "second")
    return repo, first, second


def test_pagination_follows_link_headers(github_fake, remote):
    repo, first, _ = remote
    for n in range(130):
        repo.tag(f"v1.0.{n}", first)
    gh = github_fake.client()
    refs = list(gh.get_repo("acme/tools", lazy=True).get_git_matching_refs("tags/v1.0."))
    assert len(refs) == 130
    assert github_fake.calls("GET", "/git/matching-refs/") == 5  # 30 per page by default
    assert all(r.query.get("page") in (None, "1", "2", "3", "4", "5") for r in github_fake.requests)


def test_contents_compare_and_commit_pulls(github_fake, remote):
    repo, first, second = remote
    gh = github_fake.client().get_repo("acme/tools", lazy=True)
    assert gh.get_contents("a.txt", ref=first).decoded_content == b"one\n"
    assert gh.get_contents("a.txt").decoded_content == b"changed\n"  # default branch
    listing = gh.get_contents("", ref=first)
    assert sorted((c.name, c.type) for c in listing) == [("a.txt", "file"), ("dir", "dir")]
    with pytest.raises(UnknownObjectException):
        gh.get_contents("missing.txt")
    assert gh.compare(first, second).status == "ahead"
    assert gh.compare(second, first).status == "behind"
    assert gh.compare(first, first).status == "identical"
    side = repo.commit({"c.txt": "x"}, "side", branch="side", parents=[first])
    assert gh.compare(second, side).status == "diverged"
    assert [f.filename for f in gh.compare(first, second).files] == ["a.txt"]
    assert [f.filename for f in gh.compare(second, side).files] == ["c.txt"]  # since the merge base
    many = repo.commit({f"docs/{i:03}.md": "x" for i in range(301)}, "many", branch="many",
                       parents=[first])
    assert len(gh.compare(first, many).files) == 300  # GitHub's cap
    moved = repo.commit({"dir/moved.txt": "two\n"}, "move", branch="move", parents=[first],
                        delete=("dir/b.txt",))
    [rename] = gh.compare(first, moved).files
    assert (rename.status, rename.filename, rename.previous_filename) == (
        "renamed", "dir/moved.txt", "dir/b.txt")
    pull = repo.add_pull(title="t", labels=["release/patch"], head_sha=side, merged=True,
                         merge_commit_sha=second)
    assert [p.number for p in gh.get_commit(second).get_pulls()] == [pull.number]
    assert [f.filename for f in gh.get_pull(pull.number).get_files()] == ["a.txt", "c.txt"]


def test_issue_comments_for_the_sticky_comment(github_fake, remote):
    repo, _, second = remote
    pull = repo.add_pull(title="PR", head_sha=second)
    gh = github_fake.client().get_repo("acme/tools", lazy=True)
    pr = gh.get_pull(pull.number)
    comment = pr.create_issue_comment("first body")
    comment.edit("second body")
    assert [c.body for c in pr.get_issue_comments()] == ["second body"]
    assert [c.body for c in gh.get_issue(pull.number).get_comments()] == ["second body"]
    comment.delete()
    assert list(pr.get_issue_comments()) == []


def test_tokens_read_only_and_strict(github_fake, remote):
    github_fake.add_token("ro", write=False)
    gh = github_fake.client(token="ro").get_repo("acme/tools", lazy=True)
    assert gh.get_git_ref("heads/main").object.sha == remote[2]  # reads work
    with pytest.raises(GithubException) as raised:
        gh.create_git_ref("refs/tags/x", remote[1])
    assert raised.value.status == 403
    assert github_fake.client(token=None).get_repo("acme/tools").full_name == "acme/tools"
    github_fake.strict_tokens = True
    with pytest.raises(GithubException) as raised:
        github_fake.client(token="unknown").get_repo("acme/tools").full_name  # noqa: B018
    assert raised.value.status == 401


def test_apply_faults_and_hooks(github_fake, remote):
    repo, first, _ = remote
    gh = github_fake.client().get_repo("acme/tools", lazy=True)
    github_fake.inject(502, method="POST", path=r"/git/refs$", apply=True)
    with pytest.raises(GithubException) as raised:  # the replay finds its own ref
        gh.create_git_ref("refs/tags/t1", first)
    assert raised.value.status == 422 and raised.value.data["message"] == "Reference already exists"
    seen = []
    github_fake.inject(kind="hook", method="POST", path=r"/git/refs$", action=seen.append)
    gh.create_git_ref("refs/tags/t2", first)
    assert seen == [{"ref": "refs/tags/t2", "sha": first}]
    assert repo.tag_names() == ["t1", "t2"]


def test_import_git_keeps_real_object_ids(github_fake, git_repo: GitRepo):
    git_repo.write("f.txt", "x\n")
    sha = git_repo.commit("c1")
    git_repo.tag("v1.0.0", "annotated\n\n# heading kept")
    repo = github_fake.import_git(git_repo.path, "acme/real")
    tag_sha = git_repo.git("rev-parse", "v1.0.0").strip()
    assert repo.ref("tags/v1.0.0") == tag_sha and repo.peel(tag_sha) == sha
    gh = github_fake.client().get_repo("acme/real", lazy=True)
    assert gh.get_git_tag(tag_sha).object.sha == sha
    assert gh.get_contents("f.txt", ref="v1.0.0").decoded_content == b"x\n"


# -- adapters.github_client ---------------------------------------------------------------------
def test_settings_from_env_precedence_and_validation():
    env = {"GITHUB_TOKEN": "gh-token", "INPUT_TOKEN": "input-token",
           "GITHUB_API_URL": "https://ghe.example/api/v3/"}
    s = ghc.ClientSettings.from_env(env=env)
    assert (s.token, s.base_url) == ("input-token", "https://ghe.example/api/v3")
    assert ghc.ClientSettings.from_env(token="flag", env=env).token == "flag"
    assert ghc.ClientSettings.from_env(env={}).base_url == ghc.DEFAULT_API_URL
    assert "input-token" not in repr(s)
    with pytest.raises(UsageError):
        ghc.ClientSettings.from_env(env={"OS_TOOLING_GITHUB_TIMEOUT": "soon"})
    with pytest.raises(UsageError):
        ghc.ClientSettings.from_env(env={"GITHUB_API_URL": "ftp://x"})
    with pytest.raises(UsageError):
        ghc.open_repo(object(), "not a repo name")  # type: ignore[arg-type]


def test_the_token_is_masked_in_every_log_record(caplog):
    secret = "ghs_MaskMe0123456789"
    ghc.install_token_mask(secret)
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="github.Requester"):
        logging.getLogger("github.Requester").debug("Authorization: token %s", secret)
        logging.getLogger("somewhere.else").warning(f"url with {secret} inside")
    assert secret not in caplog.text and caplog.text.count("***") == 2
    assert ghc.mask(f"x {secret} y") == "x *** y"


def test_a_primary_rate_limit_reset_far_away_is_not_slept(github_fake, remote):
    github_fake.primary_rate_limit(method="GET", reset_in=3600)
    settings = ghc.ClientSettings(base_url=github_fake.url, token="t", retries=3, backoff=0.01,
                                  max_wait=5, throttle=False)
    repo = ghc.open_repo(ghc.build_client(settings), "acme/tools")
    with pytest.raises(ghc.RateLimitWaitTooLong) as raised:
        repo.get_git_ref("heads/main")
    assert "more than the 5s allowed" in ghc.explain(raised.value, "reading") and raised.value.seconds > 3000


def test_explain_gives_one_actionable_line(github_fake, remote):
    settings = ghc.ClientSettings(base_url=github_fake.url, token="t", retries=1, backoff=0.01,
                                  throttle=False)
    repo = ghc.open_repo(ghc.build_client(settings), "acme/nope")
    with pytest.raises(GithubException) as raised:
        repo.get_git_ref("heads/main")
    assert ghc.is_auth_problem(raised.value)
    assert "not found on GitHub (404)" in ghc.explain(raised.value, "reading acme/nope")
    github_fake.inject(500, times=5)
    repo = ghc.open_repo(ghc.build_client(settings), "acme/tools")
    with pytest.raises(Exception) as raised:
        repo.get_git_ref("heads/main")
    assert ghc.is_github_error(raised.value) and ghc.is_transient(raised.value)
    assert "kept failing" in ghc.explain(raised.value, "reading")
