"""The action's entrypoint under a simulated GitHub runner.

Each test runs the real ``python -m os_tooling.action`` in a subprocess with the environment a
runner gives a Docker action, realistic event payloads, real git repositories and (for the PR
comment) the loopback GitHub fake, then reads $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY and the log
the way the runner does.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.action_helpers import (
    TOKEN,
    parse_file_commands,
    pull_request_payload,
    push_payload,
    run_action,
    workflow_dispatch_payload,
)
from tests.gate_helpers import CATALOG, make_releases_repo
from tests.helpers import EXAMPLE_MANIFEST, ROOT, GitRepo

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

ACTION_YML = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
REPO = "acme/capi-image-builder"


class Capi:
    """A capi-image-builder checkout: v1.4.0 tagged at the base, a PR bumping teleport."""

    def __init__(self, path: Path):
        self.git = GitRepo(path)
        self.path = path
        text = EXAMPLE_MANIFEST.read_text(encoding="utf-8")
        self.git.write("os-tooling.yaml", text)
        for path in ("ansible/site.yml", "packer/flatcar.json", "images/README.md", "Makefile"):
            self.git.write(path, "x\n")  # what the example's policy.imageInputs names
        self.base = self.git.commit("Initial manifest")
        self.git.tag("v1.4.0", "os-tooling 1.4.0")
        self.git.write("os-tooling.yaml", text.replace("version: 17.4.2", "version: 17.5.0"))
        self.head = self.git.commit("Update teleport to 17.5.0")


@pytest.fixture
def capi(tmp_path) -> Capi:
    return Capi(tmp_path / "capi-image-builder")


def run(tmp_path, cwd, inputs, event_name=None, payload=None, extra=None, name="runner"):
    return run_action(tmp_path / name, cwd, {"token": TOKEN, **inputs}, event_name, payload,
                      extra)


def assert_token_only_masked(result) -> None:
    masks = result.log.named("add-mask")
    assert [m.data for m in masks] == [TOKEN]
    assert result.stdout.index("add-mask") < min(
        (result.stdout.index(c.line) for c in result.log.commands if c.name != "add-mask"),
        default=len(result.stdout))
    for place in (result.stdout.replace(masks[0].line, ""), result.stderr, result.output_text,
                  result.summary):
        assert TOKEN not in place


# -- validate ----------------------------------------------------------------------------------
def test_validate_on_a_pull_request(tmp_path, capi):
    payload = pull_request_payload(7, capi.base, capi.head)
    result = run(tmp_path, capi.path, {"command": "validate"}, "pull_request", payload)
    assert result.code == 0, result.stdout + result.stderr
    out = result.outputs
    assert out["ok"] == "true" and out["exit-code"] == "0"
    assert result.report["valid"] is True
    assert result.report["files"][0]["file"] == "os-tooling.yaml"
    assert "valid :white_check_mark:" in result.summary
    assert set(out) == set(ACTION_YML["outputs"])  # every declared output is set
    assert not result.log.unclosed_stop and not result.annotations("error")
    assert_token_only_masked(result)


def test_validate_findings_become_annotations_at_file_line_column(tmp_path, capi):
    capi.git.write("os-tooling.yaml", EXAMPLE_MANIFEST.read_text().replace(
        "providers: [capa, eks, capz]", "providers: [capa, eks, capq]"))
    result = run(tmp_path, capi.path, {"command": "validate"}, "pull_request",
                 pull_request_payload(7, capi.base, capi.head))
    assert result.code == 1
    assert result.outputs["ok"] == "false" and result.outputs["exit-code"] == "1"
    [error] = result.annotations("error")
    line = next(i for i, text in enumerate((capi.path / "os-tooling.yaml").read_text().split("\n"), 1)
                if "capq" in text)
    assert error.properties["file"] == "os-tooling.yaml"
    assert error.properties["line"] == str(line)
    assert int(error.properties["col"]) > 1
    assert "capq" in error.data
    assert result.report["errors"][0]["line"] == line
    assert "| error |" in result.summary and "capq" in result.summary


def test_validate_strict_turns_warnings_into_errors(tmp_path, capi):
    text = EXAMPLE_MANIFEST.read_text()
    capi.git.write("os-tooling.yaml", re.sub(r"\n\s*# renovate: [^\n]*containerd[^\n]*", "", text))
    relaxed = run(tmp_path, capi.path, {"command": "validate"}, name="relaxed")
    assert relaxed.code == 0
    [warning] = relaxed.annotations("warning")
    assert "containerd" in warning.data and warning.properties["file"] == "os-tooling.yaml"
    strict = run(tmp_path, capi.path, {"command": "validate", "strict": "  TRUE \n"}, name="strict")
    assert strict.code == 1 and strict.outputs["ok"] == "false"
    assert "containerd" in strict.annotations("error")[0].data


def test_inputs_are_trimmed_and_several_manifests_validated(tmp_path, capi):
    other = capi.path / "sub" / "other.yaml"
    other.parent.mkdir()
    shutil.copy(EXAMPLE_MANIFEST, other)
    result = run(tmp_path, capi.path, {"command": "\n  validate \t",
                                       "manifest": " os-tooling.yaml\n\n  sub/other.yaml \n"})
    assert result.code == 0, result.stdout
    assert [f["file"] for f in result.report["files"]] == ["os-tooling.yaml", "sub/other.yaml"]


# -- plan --------------------------------------------------------------------------------------
def test_plan_on_a_pull_request_compares_with_the_base_commit(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "plan"}, "pull_request",
                 pull_request_payload(7, capi.base, capi.head, labels=["dependencies"]))
    assert result.code == 0, result.stdout + result.stderr
    out = result.outputs
    assert (out["level"], out["current-version"], out["next-version"]) == ("minor", "1.4.0", "1.5.0")
    assert out["released"] == "" and out["tag"] == ""
    [change] = result.report["changes"]
    assert (change["tool"], change["from"], change["to"]) == ("teleport", "17.4.2", "17.5.0")
    assert "this PR releases **1.5.0** (minor)" in result.summary
    [notice] = result.annotations("notice")
    assert "1.5.0" in notice.data
    assert_token_only_masked(result)


def test_plan_pull_request_labels_are_declared_levels(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "plan"}, "pull_request",
                 pull_request_payload(7, capi.base, capi.head, labels=["release/major", "bug"]))
    assert result.code == 0
    assert (result.outputs["level"], result.outputs["next-version"]) == ("major", "2.0.0")
    assert any(c["reason"] == "declared by label release/major" for c in result.report["changes"])


def test_plan_on_push_compares_with_the_commit_before(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "plan", "format": "text"}, "push",
                 push_payload(capi.base, capi.head))
    assert result.code == 0
    assert result.outputs["next-version"] == "1.5.0"
    assert "plan: os-tooling 1.4.0 -> 1.5.0 (minor)" in result.log.text


def test_plan_with_inputs_instead_of_the_event(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "plan", "base-ref": "v1.4.0",
                                       "current-version": "2.3.4", "declared-level": "patch",
                                       "format": "json"},
                 "workflow_dispatch", workflow_dispatch_payload())
    assert result.code == 0
    assert result.outputs["next-version"] == "2.4.0"
    logged = json.loads("\n".join(result.log.text[result.log.text.index("{"):
                                                 result.log.text.index("}") + 1]))
    assert logged == result.report


def test_plan_without_a_base_is_a_clear_usage_error(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "plan"}, "workflow_dispatch",
                 workflow_dispatch_payload())
    assert result.code == 2
    [error] = result.annotations("error")
    assert "base-ref" in error.data
    assert result.outputs["ok"] == "false" and result.outputs["exit-code"] == "2"
    assert set(result.outputs) == set(ACTION_YML["outputs"])
    assert "Traceback" not in result.stdout + result.stderr


def test_plan_base_missing_from_a_shallow_checkout(tmp_path, capi):
    payload = pull_request_payload(7, "ab" * 20, capi.head)
    result = run(tmp_path, capi.path, {"command": "plan"}, "pull_request", payload)
    assert result.code == 2
    assert any("unknown git ref" in e.data for e in result.annotations("error"))
    assert "could not run" in result.summary


@pytest.mark.parametrize("inputs, message", [
    ({}, "the input 'command' is required"),
    ({"command": "deploy"}, "unknown command 'deploy'"),
    ({"command": "validate", "strict": "yes"}, "must be true or false"),
    ({"command": "validate", "format": "xml"}, "must be one of"),
    ({"command": "plan", "base-ref": "v1.4.0", "declared-level": "huge"}, "declared-level"),
    ({"command": "validate", "working-directory": "no/such/dir"}, "working-directory"),
])
def test_bad_inputs_exit_two_with_one_error(tmp_path, capi, inputs, message):
    result = run(tmp_path, capi.path, inputs)
    assert result.code == 2
    [error] = result.annotations("error")
    assert message in error.data
    assert result.outputs["ok"] == "false"
    assert "Traceback" not in result.stdout + result.stderr


def test_unreadable_event_file_is_a_usage_error(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "validate"}, "push",
                 extra={"GITHUB_EVENT_PATH": str(EXAMPLE_MANIFEST)})
    assert result.code == 2
    assert "not valid JSON" in result.annotations("error")[0].data


def test_outside_a_runner_no_file_commands_and_no_set_output(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "plan", "base-ref": "v1.4.0"},
                 extra={"GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": ""})
    assert result.code == 0
    assert result.output_text == "" and result.summary == ""
    assert not any(c.name in ("set-output", "save-state", "set-env") for c in result.log.commands)
    assert "set-output" not in result.stdout


def test_outputs_are_appended_with_fresh_random_delimiters(tmp_path, capi):
    first = run(tmp_path, capi.path, {"command": "validate"}, name="same")
    second = run(tmp_path, capi.path, {"command": "plan", "base-ref": "v1.4.0"}, name="same")
    records = parse_file_commands(second.output_text)
    assert len(records["ok"]) == 2 and records["level"] == ["", "minor"]
    delimiters = re.findall(r"^[a-z-]+<<(.+)$", second.output_text, re.M)
    assert len(delimiters) == len(set(delimiters)) == 2 * len(ACTION_YML["outputs"])
    assert first.outputs["ok"] == "true"


# -- the inputs the code reads are the inputs action.yml declares -------------------------------
def test_every_input_read_is_declared_and_documented(monkeypatch):
    from os_tooling.action import commands as action_commands
    from os_tooling.action.inputs import Inputs
    from os_tooling.adapters.github_event import Event

    asked: set[str] = set()

    class Recording(Inputs):
        def raw(self, name: str) -> str:
            asked.add(name)
            return {"base-ref": "main", "files": "a.yaml", "version": "1.0.0", "from": "1.0.0",
                    "to": "1.1.0", "flatcar": "4593.2.4", "kubernetes": "1.34.10"}.get(name, "")

    event = Event("pull_request", pull_request_payload(1, "a" * 40, "b" * 40))
    for spec in action_commands.COMMANDS.values():
        spec.argv(Recording(), event)
    for source in sorted((ROOT / "src/os_tooling/action").glob("*.py")):  # main, commit, ...
        asked |= set(re.findall(r'inputs\.(?:get|flag|choice|lines|items)\("([a-z-]+)"',
                                source.read_text()))
    declared = set(ACTION_YML["inputs"])
    assert asked <= declared, asked - declared
    assert set(action_commands.OUTPUTS) == set(ACTION_YML["outputs"])
    assert set(action_commands.COMMANDS) <= set(
        re.findall(r"[a-z][a-z-]*", ACTION_YML["inputs"]["command"]["description"].split(":", 1)[1]))
    docs = (ROOT / "docs" / "action.md").read_text()
    for name in declared | set(ACTION_YML["outputs"]):
        assert f"`{name}`" in docs, f"{name} is not documented in docs/action.md"


# -- the sticky PR comment ----------------------------------------------------------------------
def fake_env(fake) -> dict[str, str]:
    env = fake.env(token=None)
    env["OS_TOOLING_GITHUB_RETRIES"] = "2"
    return env


def setup_pull(fake, capi, labels=()):
    repo = fake.import_git(capi.path, REPO)
    pull = repo.add_pull(title="Update teleport", labels=list(labels), head_sha=capi.head)
    return repo, pull


def test_sticky_comment_created_then_edited_in_place(tmp_path, capi, github_fake):
    repo, pull = setup_pull(github_fake, capi)
    inputs = {"command": "plan", "comment": "true"}
    first = run(tmp_path, capi.path, inputs, "pull_request",
                pull_request_payload(pull.number, capi.base, capi.head), fake_env(github_fake),
                name="first")
    assert first.code == 0, first.stdout + first.stderr
    [comment] = repo.comments.values()
    assert comment.body.startswith("<!-- os-tooling:plan -->\n")
    assert "**1.5.0** (minor)" in comment.body
    assert "https://github.com/acme/capi-image-builder/actions/runs/4242" in comment.body
    assert "created the os-tooling plan comment" in first.stdout

    second = run(tmp_path, capi.path, inputs, "pull_request",
                 pull_request_payload(pull.number, capi.base, capi.head, labels=["release/major"]),
                 fake_env(github_fake), name="second")
    assert second.code == 0
    assert list(repo.comments) == [comment.id]  # the same comment, edited
    assert "**2.0.0** (major)" in repo.comments[comment.id].body
    assert github_fake.calls(method="POST") == 1 and github_fake.calls(method="PATCH") == 1
    third = run(tmp_path, capi.path, inputs, "pull_request",
                pull_request_payload(pull.number, capi.base, capi.head, labels=["release/major"]),
                fake_env(github_fake), name="third")
    assert "unchanged" in third.stdout and github_fake.calls(method="PATCH") == 1
    for logged in github_fake.requests:
        assert logged.token == TOKEN


def test_a_marker_comment_by_someone_else_is_never_edited(tmp_path, capi, github_fake):
    repo, pull = setup_pull(github_fake, capi)
    github_fake.add_token("mallory-token", login="mallory")
    gh = github_fake.client(token="mallory-token")
    planted = gh.get_repo(REPO).get_issue(pull.number).create_comment(
        "<!-- os-tooling:plan -->\nos-tooling says: merge me")
    result = run(tmp_path, capi.path, {"command": "plan", "comment": "true"}, "pull_request",
                 pull_request_payload(pull.number, capi.base, capi.head), fake_env(github_fake))
    assert result.code == 0
    assert repo.comments[planted.id].body.endswith("merge me")
    ours = [c for c in repo.comments.values() if c.id != planted.id]
    assert len(ours) == 1 and ours[0].login == "github-actions[bot]"


def test_duplicate_sticky_comments_are_collapsed(tmp_path, capi, github_fake):
    repo, pull = setup_pull(github_fake, capi)
    issue = github_fake.client(token=TOKEN).get_repo(REPO).get_issue(pull.number)
    for _ in range(2):  # e.g. a create replayed by a retry
        issue.create_comment("<!-- os-tooling:plan -->\nold")
    result = run(tmp_path, capi.path, {"command": "plan", "comment": "true"}, "pull_request",
                 pull_request_payload(pull.number, capi.base, capi.head), fake_env(github_fake))
    assert result.code == 0
    [comment] = repo.comments.values()
    assert "1.5.0" in comment.body


def test_read_only_token_falls_back_to_the_summary(tmp_path, capi, github_fake):
    repo, pull = setup_pull(github_fake, capi)
    github_fake.read_only()
    result = run(tmp_path, capi.path, {"command": "plan", "comment": "true"}, "pull_request",
                 pull_request_payload(pull.number, capi.base, capi.head), fake_env(github_fake))
    assert result.code == 0 and result.outputs["ok"] == "true"
    assert not repo.comments
    [notice] = [n for n in result.annotations("notice") if "comment" in n.data]
    assert "pull-requests: write" in notice.data
    assert "no pull request comment" in result.summary and "1.5.0" in result.summary


def test_fork_pull_request_makes_no_write_attempt(tmp_path, capi, github_fake):
    repo, pull = setup_pull(github_fake, capi)
    payload = pull_request_payload(pull.number, capi.base, capi.head, head_repo="someone/fork")
    result = run(tmp_path, capi.path, {"command": "plan", "comment": "true"}, "pull_request",
                 payload, fake_env(github_fake))
    assert result.code == 0
    assert github_fake.requests == []
    assert any("fork" in n.data for n in result.annotations("notice"))
    assert "fork" in result.summary


def test_github_failing_is_a_warning_not_a_failed_check(tmp_path, capi, github_fake):
    repo, pull = setup_pull(github_fake, capi)
    github_fake.inject(status=502, times=10, method="GET", path="/comments")
    result = run(tmp_path, capi.path, {"command": "plan", "comment": "true"}, "pull_request",
                 pull_request_payload(pull.number, capi.base, capi.head), fake_env(github_fake))
    assert result.code == 0 and result.outputs["ok"] == "true"
    [warning] = result.annotations("warning")
    assert "commenting on pull request" in warning.data
    assert not repo.comments


def test_comment_on_a_push_event_is_skipped_quietly(tmp_path, capi, github_fake):
    result = run(tmp_path, capi.path, {"command": "plan", "comment": "true"}, "push",
                 push_payload(capi.base, capi.head), fake_env(github_fake))
    assert result.code == 0
    assert github_fake.requests == []
    assert "has no pull request" in result.stdout


# -- gate --------------------------------------------------------------------------------------
def test_gate_on_a_pull_request_of_the_releases_repository(tmp_path, github_fake):
    root = make_releases_repo(tmp_path / "releases")
    git = GitRepo(root)
    base = git.commit("releases")
    new = root / "capa" / "v34.6.0" / "release.yaml"
    new.parent.mkdir()
    new.write_text((root / "capa/v34.5.0/release.yaml").read_text()
                   .replace("aws-34.5.0", "aws-34.6.0").replace("version: 1.33.1", "version: 1.33.7"))
    head = git.commit("Add aws-34.6.0")
    fake_repo = github_fake.import_git(root, "acme/releases")
    pull = fake_repo.add_pull(title="aws 34.6.0", head_sha=head)
    payload = pull_request_payload(pull.number, base, head, repo="acme/releases")
    result = run(tmp_path, root, {"command": "gate", "catalog": str(CATALOG), "comment": "true",
                                  "tooling-checks": "false"},
                 "pull_request", payload,
                 {**fake_env(github_fake), "GITHUB_REPOSITORY": "acme/releases"})
    assert result.code == 1, result.stdout + result.stderr
    assert result.outputs["ok"] == "false"
    [release] = result.report["releases"]
    assert release["file"] == "capa/v34.6.0/release.yaml" and release["status"] == "missing"
    errors = result.annotations("error")
    assert errors and all(e.properties["file"] == "capa/v34.6.0/release.yaml" for e in errors)
    line = next(i for i, t in enumerate(new.read_text().split("\n"), 1) if "1.33.7" in t)
    assert any(e.properties.get("line") == str(line) for e in errors)
    [comment] = fake_repo.comments.values()
    assert comment.body.startswith("<!-- os-tooling:gate -->") and "aws-34.6.0" in comment.body


# -- release, describe, diff --------------------------------------------------------------------
def test_release_on_push_tags_and_publishes_once(tmp_path, capi, github_fake):
    repo = github_fake.import_git(capi.path, REPO)
    repo.add_pull(title="Update teleport", labels=["release/major"], head_sha=capi.head,
                  merged=True, merge_commit_sha=capi.head)
    payload = push_payload(capi.base, capi.head)
    first = run(tmp_path, capi.path, {"command": "release"}, "push", payload,
                fake_env(github_fake), name="first")
    assert first.code == 0, first.stdout + first.stderr
    out = first.outputs
    assert (out["released"], out["tag"], out["level"]) == ("true", "v2.0.0", "major")
    assert (out["current-version"], out["next-version"]) == ("1.4.0", "2.0.0")
    assert repo.peel(repo.ref("tags/v2.0.0")) == capi.head
    [release] = repo.releases.values()
    assert release.tag_name == "v2.0.0" and "teleport" in release.body
    assert "teleport" in first.summary and "17.5.0" in first.summary
    assert any("released: os-tooling 2.0.0" in n.data for n in first.annotations("notice"))
    assert_token_only_masked(first)

    again = run(tmp_path, capi.path, {"command": "release"}, "push", payload,
                fake_env(github_fake), name="again")
    assert again.code == 0
    assert again.report["outcome"] == "already-released"
    assert len(repo.releases) == 1 and repo.tag_names() == ["v1.4.0", "v2.0.0"]


def test_release_dry_run_changes_nothing(tmp_path, capi, github_fake):
    repo = github_fake.import_git(capi.path, REPO)
    result = run(tmp_path, capi.path, {"command": "release", "dry-run": "true"}, "push",
                 push_payload(capi.base, capi.head), fake_env(github_fake))
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["released"] == "false" and result.outputs["tag"] == ""
    assert result.outputs["next-version"] == "1.5.0"
    assert result.summary.startswith("> Dry run")
    assert not repo.releases and repo.tag_names() == ["v1.4.0"]
    assert github_fake.calls(method="POST") == 0


def test_describe_and_diff_read_the_tags(tmp_path, capi):
    capi.git.tag("v1.5.0", "os-tooling 1.5.0")
    described = run(tmp_path, capi.path, {"command": "describe", "version": "1.4.0"},
                    name="describe")
    assert described.code == 0, described.stdout + described.stderr
    tools = {t["name"]: t["version"] for t in described.report["tools"]}
    assert tools["teleport"] == "17.4.2"
    diffed = run(tmp_path, capi.path, {"command": "diff", "from": "1.4.0", "to": "v1.5.0"},
                 name="diff")
    assert diffed.code == 0
    assert "teleport" in diffed.summary and "17.5.0" in diffed.summary
    assert [(c["tool"], c["to"]) for c in diffed.report["changes"]] == [("teleport", "17.5.0")]


def test_describe_of_a_version_that_is_no_release_is_a_finding(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "describe", "version": "9.9.9"})
    assert result.code == 1
    assert result.outputs["ok"] == "false" and result.outputs["exit-code"] == "1"
    assert any("not a release" in e.data for e in result.annotations("error"))
    assert "failed :x:" in result.summary
    missing = run(tmp_path, capi.path, {"command": "diff", "from": "1.4.0"}, name="missing")
    assert missing.code == 2 and "needs the input 'to'" in missing.annotations("error")[0].data


def test_a_misconfigured_api_url_is_a_warning_not_a_failed_check(tmp_path, capi):
    result = run(tmp_path, capi.path, {"command": "plan", "comment": "true"}, "pull_request",
                 pull_request_payload(7, capi.base, capi.head),
                 {"GITHUB_API_URL": "ftp://example.invalid"})
    assert result.code == 0 and result.outputs["ok"] == "true"
    [warning] = result.annotations("warning")
    assert "no pull request comment" in warning.data and "https://" in warning.data


def test_gate_reads_os_tooling_versions_from_github(tmp_path, github_fake):
    from tests.gate_helpers import make_tooling_repo

    tooling = make_tooling_repo(tmp_path / "tooling")
    github_fake.import_git(tooling.path, "acme/capi-image-builder")
    root = make_releases_repo(tmp_path / "releases")
    GitRepo(root).commit("releases")
    inputs = {"command": "gate", "catalog": str(CATALOG), "files": "capa/v34.5.0/release.yaml",
              "image-builder-repo": "acme/capi-image-builder"}
    result = run(tmp_path, root, inputs, "workflow_dispatch", workflow_dispatch_payload(),
                 fake_env(github_fake))
    assert result.code == 0, result.stdout + result.stderr
    [release] = result.report["releases"]
    checks = {c["name"]: c["status"] for c in release["checks"]}
    assert checks["os-tooling-release"] == "ok"
    assert github_fake.requests and all(r.token == TOKEN for r in github_fake.requests)


# -- available ---------------------------------------------------------------------------------
def test_available_on_a_renovate_pull_request(tmp_path, capi):
    catalog = tmp_path / "images.yaml"
    catalog.write_text(
        "capa: [flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.34.0-gs,"
        " flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.35.0-gs]\n"
        "capz: [flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.34.0-gs]\n")
    payload = pull_request_payload(9, capi.base, capi.head)
    result = run(tmp_path, capi.path, {"command": "available", "flatcar": "4593.2.4",
                                       "kubernetes": "1.34.10", "providers": "capa, capz",
                                       "catalog": str(catalog)}, "pull_request", payload)
    assert result.code == 0, result.stdout + result.stderr
    assert result.report["latest"] == "1.34.0"
    assert "### os-tooling 1.34.0 has images for every provider" in result.summary
    missing = run(tmp_path, capi.path, {"command": "available", "flatcar": "4593.2.4"}, name="bad")
    assert missing.code == 2 and missing.outputs["ok"] == "false"
