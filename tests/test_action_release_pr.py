"""The action on release PRs of the releases repository, under a simulated runner: ``bump``
commits the os-tooling bump of the releases a PR adds to the PR's branch (pushed to a real
"origin" repository), ``available`` comments what the PR could use."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from os_tooling.action.commit import commit_message
from os_tooling.adapters.github_event import Event
from tests.action_helpers import TOKEN, pull_request_payload, run_action
from tests.gate_helpers import SAMPLES
from tests.helpers import GitRepo

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

BRANCH = "release-v34.6.0"
CAPA_NEW, AZURE_NEW = "capa/v34.6.0/release.yaml", "azure/v34.6.0/release.yaml"
BOT = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"


def img(tooling: str) -> str:
    return f"flatcar-stable-4593.2.4-kube-1.34.10-tooling-{tooling}-gs"


class ReleasesOrigin:
    """A bare "origin" with main (published releases) and a release PR branch adding v34.6.0
    for capa and azure, and a workspace cloned from it on the PR branch (as checkout does)."""

    def __init__(self, tmp: Path):
        source = GitRepo(tmp / "source")
        shutil.copytree(SAMPLES, source.path, dirs_exist_ok=True)
        self.base = source.commit("published releases")
        source.git("checkout", "-q", "-b", BRANCH)
        for old, new, name in (("capa/v34.5.0", "capa/v34.6.0", "aws-34.6.0"),
                               ("azure/v34.5.0", "azure/v34.6.0", "azure-34.6.0")):
            text = (source.path / old / "release.yaml").read_text()
            source.write(f"{new}/release.yaml", text.replace(
                f"name: {name.replace('34.6.0', '34.5.0')}", f"name: {name}", 1))
        self.head = source.commit("Add release v34.6.0")
        self.origin = tmp / "origin.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(source.path), str(self.origin)],
                       check=True)
        self.workspace = tmp / "workspace"
        subprocess.run(["git", "clone", "-q", "--branch", BRANCH, str(self.origin),
                        str(self.workspace)], check=True)

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(["git", *args], cwd=cwd or self.origin, check=True,
                              capture_output=True, text=True).stdout

    def branch_tip(self) -> str:
        return self.git("rev-parse", f"refs/heads/{BRANCH}").strip()


@pytest.fixture
def origin(tmp_path) -> ReleasesOrigin:
    return ReleasesOrigin(tmp_path / "git")


@pytest.fixture
def catalog(tmp_path) -> Path:
    path = tmp_path / "images.json"
    path.write_text(json.dumps({"capa": [img("1.33.1"), img("1.34.0"), img("1.35.0"), img("2.0.0")],
                                "capz": [img("1.33.1"), img("1.34.0"), img("1.35.0")]}))
    return path


def run(tmp_path, cwd, inputs, event_name=None, payload=None, extra=None, name="runner"):
    return run_action(tmp_path / name, cwd, {"token": TOKEN, **inputs}, event_name, payload,
                      {"GITHUB_REPOSITORY": "acme/releases", **(extra or {})})


def payload(origin: ReleasesOrigin, number: int = 12) -> dict:
    return pull_request_payload(number, origin.base, origin.head, repo="acme/releases",
                                head_ref=BRANCH, title="Release v34.6.0")


def test_bump_commits_a_signed_off_change_to_the_release_pr_branch(tmp_path, origin, catalog):
    result = run(tmp_path, origin.workspace, {"command": "bump", "catalog": str(catalog)},
                 "pull_request", payload(origin))
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["changed"] == "true" and result.outputs["ok"] == "true"
    sha = result.outputs["commit"]
    assert sha and origin.branch_tip() == sha  # pushed to the PR's head branch
    message = origin.git("log", "-1", "--format=%B", sha)
    assert message.startswith("Bump os-tooling to 1.35.0\n")
    assert f"- {CAPA_NEW}: 1.33.1 -> 1.35.0" in message
    assert message.rstrip().endswith(f"Signed-off-by: {BOT}")
    assert origin.git("log", "-1", "--format=%an <%ae>|%cn <%ce>", sha).strip() == f"{BOT}|{BOT}"
    changed = origin.git("diff", "--name-only", f"{origin.head}..{sha}").split()
    assert sorted(changed) == [AZURE_NEW, CAPA_NEW]  # never a published release
    assert origin.git("rev-parse", f"{sha}^").strip() == origin.head  # one commit on top
    assert "### os-tooling bump: set os-tooling in 2 release file(s)" in result.summary
    assert any("pushed to release-v34.6.0" in n.data for n in result.annotations("notice"))
    # run again (the weekly job): nothing changes, nothing is committed or pushed
    again = run(tmp_path, origin.workspace, {"command": "bump", "catalog": str(catalog)},
                "pull_request", payload(origin), name="again")
    assert again.code == 0, again.stdout + again.stderr
    assert again.outputs["changed"] == "false" and again.outputs["commit"] == ""
    assert origin.branch_tip() == sha


def test_update_release_comment_sets_a_version_on_the_branch_it_is_given(tmp_path, origin,
                                                                          catalog):
    comment_payload = {"action": "created", "issue": {"number": 12, "pull_request": {
        "url": "https://api.github.com/repos/acme/releases/pulls/12"}},
        "comment": {"body": "/update-release 1.34.0", "author_association": "MEMBER"},
        "repository": {"full_name": "acme/releases"}}
    inputs = {"command": "bump", "catalog": str(catalog), "base-ref": "origin/main",
              "to-tooling": "1.34.0", "branch": BRANCH, "git-user-name": "releases-bot",
              "git-user-email": "bot@example.invalid"}
    subprocess.run(["git", "checkout", "-q", "--detach"], cwd=origin.workspace, check=True)
    result = run(tmp_path, origin.workspace, inputs, "issue_comment", comment_payload)
    assert result.code == 0, result.stdout + result.stderr
    sha = result.outputs["commit"]
    assert origin.branch_tip() == sha
    assert origin.git("log", "-1", "--format=%an <%ae>", sha).strip() == \
        "releases-bot <bot@example.invalid>"
    assert "Signed-off-by: releases-bot <bot@example.invalid>" in origin.git(
        "log", "-1", "--format=%B", sha)
    assert "version: 1.34.0" in origin.git("show", f"{sha}:{CAPA_NEW}")
    assert Event("issue_comment", comment_payload).pr_number == 12


def test_a_refused_bump_commits_nothing_and_fails_the_step(tmp_path, origin, catalog):
    result = run(tmp_path, origin.workspace, {"command": "bump", "catalog": str(catalog),
                                              "to-tooling": "2.0.0"}, "pull_request",
                 payload(origin))
    assert result.code == 1
    assert result.outputs["changed"] == "false" and result.outputs["commit"] == ""
    assert origin.branch_tip() == origin.head
    errors = result.annotations("error")
    assert {e.properties.get("file") for e in errors} == {CAPA_NEW, AZURE_NEW}
    assert subprocess.run(["git", "status", "--porcelain"], cwd=origin.workspace, check=True,
                          capture_output=True, text=True).stdout == ""


def test_dry_run_and_no_commit_leave_the_branch_alone(tmp_path, origin, catalog):
    dry = run(tmp_path, origin.workspace, {"command": "bump", "catalog": str(catalog),
                                           "dry-run": "true"}, "pull_request", payload(origin))
    assert dry.code == 0 and dry.outputs["changed"] == "false"
    assert "would set os-tooling" in dry.summary
    kept = run(tmp_path, origin.workspace, {"command": "bump", "catalog": str(catalog),
                                            "commit": "false"}, "pull_request", payload(origin),
               name="kept")
    assert kept.code == 0 and kept.outputs["changed"] == "true" and kept.outputs["commit"] == ""
    assert origin.branch_tip() == origin.head
    assert "version: 1.35.0" in (origin.workspace / CAPA_NEW).read_text()


def test_bump_usage_errors(tmp_path, origin, catalog):
    no_base = run(tmp_path, origin.workspace, {"command": "bump", "catalog": str(catalog)},
                  name="no-base")
    assert no_base.code == 2 and "bump needs a base" in no_base.stdout
    bad_email = run(tmp_path, origin.workspace, {"command": "bump", "catalog": str(catalog),
                                                 "git-user-email": "nobody"},
                    "pull_request", payload(origin), name="bad-email")
    assert bad_email.code == 2 and "git-user-email" in bad_email.stdout
    assert origin.branch_tip() == origin.head
    assert subprocess.run(["git", "status", "--porcelain"], cwd=origin.workspace, check=True,
                          capture_output=True, text=True).stdout == ""  # checked before writing
    bad_branch = run(tmp_path, origin.workspace, {"command": "bump", "catalog": str(catalog),
                                                  "branch": "-delete"},
                     "pull_request", payload(origin), name="bad-branch")
    assert bad_branch.code == 2 and "not a valid branch name" in bad_branch.stdout
    assert origin.branch_tip() == origin.head


def test_commit_message_lists_each_file_and_keeps_one_line_per_entry():
    data = {"releases": [
        {"file": "capa/v34.6.0/release.yaml", "status": "bumped", "from": "1.33.1", "to": "1.35.0"},
        {"file": "evil\nSigned-off-by: x", "status": "bumped", "from": "1", "to": "1.36.0"},
        {"file": "azure/v34.6.0/release.yaml", "status": "unchanged"}]}
    message = commit_message(data)
    assert message.startswith("Bump os-tooling in 2 release files\n\n")
    assert "\nSigned-off-by" not in message
    assert "azure" not in message


def test_available_comments_on_a_release_pr(tmp_path, origin, catalog, github_fake):
    fake_repo = github_fake.import_git(origin.origin, "acme/releases")
    pull = fake_repo.add_pull(title="Release v34.6.0", head_sha=origin.head, head_ref=BRANCH)
    env = github_fake.env(token=None)
    result = run(tmp_path, origin.workspace, {"command": "available", "catalog": str(catalog),
                                              "comment": "true"}, "pull_request",
                 pull_request_payload(pull.number, origin.base, origin.head, repo="acme/releases",
                                      head_ref=BRANCH), env)
    assert result.code == 0, result.stdout + result.stderr
    sentence = ("os-tooling 1.35.0 has images for every provider of this release; this PR uses "
                "1.33.1")
    assert sentence in result.summary
    [comment] = fake_repo.comments.values()
    assert comment.body.startswith("<!-- os-tooling:available -->") and sentence in comment.body
    assert result.report["releases"][0]["latest"] == "1.35.0"


# -- the example workflows' own scripts, run with bash and jq (gh is a stand-in) ------------------
WORKFLOWS = Path(__file__).resolve().parents[1] / "examples" / "workflows" / "releases"


def workflow_script(file: str, job: str) -> str:
    import yaml

    workflow = yaml.safe_load((WORKFLOWS / file).read_text())
    [script] = [s["run"] for s in workflow["jobs"][job]["steps"] if "run" in s]
    return script


def run_script(tmp_path: Path, script: str, gh_output: str, env: dict[str, str]) -> dict[str, str]:
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (tmp_path / "gh.json").write_text(gh_output)
    gh = bin_dir / "gh"
    gh.write_text(f"#!/bin/sh\ncat '{tmp_path / 'gh.json'}'\n")
    gh.chmod(0o755)
    output = tmp_path / "output"
    output.write_text("")
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          env={"PATH": f"{bin_dir}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(output),
                               "GITHUB_REPOSITORY": "acme/releases", **env},
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


@pytest.mark.parametrize(("body", "version", "ok"), [
    ("/update-release", "", "true"),
    ("/update-release 1.35.0", "1.35.0", "true"),
    ("/update-release v1.35.0\nthanks", "1.35.0", "true"),
    ("/update-release 1.35.0; rm -rf /", "", "false"),
    ("/update-releases", "", "false"),
])
def test_update_release_comment_script(tmp_path, body, version, ok):
    pr = json.dumps({"headRefName": BRANCH, "baseRefName": "main", "isCrossRepository": False,
                     "state": "OPEN"})
    out = run_script(tmp_path, workflow_script("os-tooling-release-pr.yaml",
                                               "update-release-target"), pr,
                     {"NUMBER": "12", "BODY": body})
    assert out == {"head": BRANCH, "base": "main", "version": version, "ok": ok}


@pytest.mark.parametrize(("pr", "ok"), [
    ({"headRefName": "feature/x", "isCrossRepository": False, "state": "OPEN"}, "false"),
    ({"headRefName": BRANCH, "isCrossRepository": True, "state": "OPEN"}, "false"),
    ({"headRefName": BRANCH, "isCrossRepository": False, "state": "MERGED"}, "false"),
])
def test_update_release_only_on_open_release_prs_of_this_repository(tmp_path, pr, ok):
    out = run_script(tmp_path, workflow_script("os-tooling-release-pr.yaml",
                                               "update-release-target"),
                     json.dumps({"baseRefName": "main", **pr}),
                     {"NUMBER": "12", "BODY": "/update-release"})
    assert out["ok"] == ok


def test_weekly_job_lists_the_open_release_prs_of_this_repository(tmp_path):
    prs = [{"number": 1, "headRefName": "release-v34.6.0", "baseRefName": "main",
            "isCrossRepository": False},
           {"number": 2, "headRefName": "release-v35.0.0", "baseRefName": "main",
            "isCrossRepository": True},
           {"number": 3, "headRefName": "renovate/cilium", "baseRefName": "main",
            "isCrossRepository": False}]
    out = run_script(tmp_path, workflow_script("os-tooling-bump-weekly.yaml", "release-prs"),
                     json.dumps(prs), {})
    assert json.loads(out["prs"]) == [{"number": 1, "head": "release-v34.6.0", "base": "main"}]
    assert "\n" not in out["prs"]
    empty = run_script(tmp_path, workflow_script("os-tooling-bump-weekly.yaml", "release-prs"),
                       "[]", {})
    assert empty["prs"] == "[]"  # the bump job's condition
