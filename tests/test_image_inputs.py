"""``policy.imageInputs``: files outside the manifest that go into the image (Ansible roles,
Packer templates, build scripts) count in ``plan`` and ``release``; ``validate`` checks the
patterns against the repository. Real git histories throughout."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from os_tooling.core.levels import Level
from os_tooling.core.manifest import parse_manifest
from os_tooling.core.policy import PlanOptions, plan
from tests.helpers import GitRepo, manifest_text, run_subprocess

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

TASKS = "ansible/roles/teleport/tasks/main.yml"
INPUTS = "policy:\n  imageInputs:\n    paths: ['ansible/**', 'packer/*.json', Makefile]\n"


def tools(teleport: str = "17.4.2", policy: str = INPUTS) -> str:
    return manifest_text({"name": "teleport", "version": teleport},
                         {"name": "containerd", "version": "v1.7.27"}, policy=policy)


def m(text: str):
    report = parse_manifest(text, "m.yaml")
    assert report.valid, report.errors
    return report.manifest


def builder(repo: GitRepo, manifest: str | None = None) -> GitRepo:
    """A capi-image-builder-like repository, released as v1.33.1."""
    repo.write("os-tooling.yaml", tools() if manifest is None else manifest)
    repo.write(TASKS, "- name: install teleport\n")
    repo.write("packer/flatcar.json", "{}\n")
    repo.write("Makefile", "build:\n")
    repo.write("README.md", "# builder\n")
    repo.write("tests/test_x.py", "\n")
    repo.commit("initial")
    repo.tag("v1.33.1", "os-tooling 1.33.1")
    return repo


def pr(repo: GitRepo, files: dict[str, str], message: str = "change", *,
       delete: tuple[str, ...] = (), branch: str = "pr") -> None:
    repo.git("checkout", "-q", "-b", branch)
    for path, text in files.items():
        repo.write(path, text)
    for path in delete:
        repo.git("rm", "-q", path)
    repo.commit(message)


def plan_json(cli, *extra: str) -> dict:
    result = cli("plan", "--base-ref", "main", "--format", "json", *extra)
    assert result.code == 0, result.out + result.err
    return json.loads(result.out)


def rows(data: dict, kind: str) -> list[dict]:
    return [c for c in data["changes"] if c["kind"] == kind]


# -- plan on a pull request ---------------------------------------------------------------------
@pytest.fixture
def repo(git_repo, monkeypatch) -> GitRepo:
    builder(git_repo)
    monkeypatch.chdir(git_repo.path)
    return git_repo


def test_an_ansible_only_change_is_a_patch(cli, repo):
    pr(repo, {TASKS: "- name: install teleport\n  become: true\n"})
    data = plan_json(cli)
    assert (data["level"], data["current_version"], data["next_version"]) == ("patch", "1.33.1", "1.33.2")
    assert data["changes"] == [{
        "tool": None, "from": None, "to": None, "level": "patch", "kind": "image-input",
        "reason": f"changes image inputs ({TASKS}): at least a patch", "paths": [TASKS]}]


def test_a_docs_ci_and_tests_change_is_none(cli, repo):
    pr(repo, {"README.md": "# more docs\n", "docs/usage.md": "x\n", "tests/test_x.py": "# t\n",
              ".github/workflows/ci.yaml": "on: push\n", "packer/old/flatcar.json": "{}\n"})
    data = plan_json(cli)
    assert (data["level"], data["next_version"], data["changes"]) == ("none", "1.33.1", [])
    assert "no change that affects the images" in cli("plan", "--base-ref", "main").out


def test_an_ansible_change_with_a_minor_label_is_a_minor(cli, repo):
    pr(repo, {TASKS: "- name: install teleport 2\n"})
    data = plan_json(cli, "--label", "release/minor")
    assert (data["level"], data["next_version"]) == ("minor", "1.34.0")
    assert [r["level"] for r in rows(data, "image-input")] == ["patch"]
    assert [r["reason"] for r in rows(data, "declared")] == ["declared by label release/minor"]


def test_a_manifest_minor_plus_an_ansible_change_is_a_minor(cli, repo):
    pr(repo, {"os-tooling.yaml": tools(teleport="17.5.0"), TASKS: "- name: install teleport 17.5\n"})
    data = plan_json(cli)
    assert (data["level"], data["next_version"]) == ("minor", "1.34.0")
    assert [(c["kind"], c["tool"], c["level"]) for c in data["changes"]] == [
        ("version", "teleport", "minor"), ("image-input", None, "patch")]
    assert rows(data, "image-input")[0]["paths"] == [TASKS]  # the manifest is not an image input


def test_the_pr_comment_says_it_in_words_and_lists_a_handful(cli, repo):
    pr(repo, {TASKS: "- changed\n", "ansible/roles/teleport/templates/teleport.yaml.j2": "x\n",
              "ansible/site.yml": "x\n", "packer/flatcar.json": "{\"x\": 1}\n"})
    data = plan_json(cli)
    [row] = rows(data, "image-input")
    assert len(row["paths"]) == 4 and row["paths"] == sorted(row["paths"])
    reason = f"changes image inputs ({TASKS}, +3 more): at least a patch"
    assert row["reason"] == reason
    comment = cli("plan", "--base-ref", "main", "--format", "markdown").out
    assert "### os-tooling: this PR releases **1.33.2** (patch)" in comment
    assert f"| (image inputs) |  |  | **patch** | {reason} |" in comment
    text = cli("plan", "--base-ref", "main").out
    assert f"  patch  (image inputs)  {reason}\n" in text


def test_hostile_path_names_are_escaped_in_the_comment(cli, repo):
    pr(repo, {"ansible/<img src=x>|*x*_@me`.yml": "x\n", "ansible/rôle ü\tx.yml": "x\n"})
    assert plan_json(cli)["changes"][0]["paths"] == [  # verbatim, not git's quoted form
        "ansible/<img src=x>|*x*_@me`.yml", "ansible/rôle ü\tx.yml"]
    comment = cli("plan", "--base-ref", "main", "--format", "markdown").out
    row = next(line for line in comment.splitlines() if line.startswith("| (image inputs)"))
    assert "<img" not in row and "&lt;img src=x&gt;\\|\\*x\\*\\_@&#8203;me\\`.yml" in row
    assert row.count(" | ") == 4  # the path's '|' does not add a column


def test_a_level_in_the_policy_raises_image_input_changes(cli, repo):
    minor = "policy:\n  imageInputs:\n    paths: ['ansible/**']\n    level: minor\n"
    repo.write("os-tooling.yaml", tools(policy=minor))
    repo.commit("image inputs are minors")
    repo.tag("v1.34.0", "os-tooling 1.34.0")
    pr(repo, {TASKS: "- x\n"})
    data = plan_json(cli)
    assert (data["level"], data["next_version"]) == ("minor", "1.35.0")
    assert rows(data, "image-input")[0]["reason"].endswith(": at least a minor")


@pytest.mark.parametrize("head_policy", [
    "",  # the PR drops imageInputs
    "policy:\n  imageInputs:\n    paths: ['packer/*.json']\n",  # ... or narrows the patterns
    "policy:\n  imageInputs:\n    paths: ['ansible/*.yml']\n",  # ... so they miss its file
])
def test_a_pr_cannot_escape_by_editing_the_patterns_in_the_same_change(cli, repo, head_policy):
    pr(repo, {"os-tooling.yaml": tools(policy=head_policy), TASKS: "- sneaky\n"})
    data = plan_json(cli)
    assert data["level"] == "patch"
    assert rows(data, "image-input")[0]["paths"] == [TASKS]


def test_patterns_added_by_the_pr_count_at_once_and_the_higher_level_wins(cli, git_repo, monkeypatch):
    builder(git_repo, tools(policy=""))
    monkeypatch.chdir(git_repo.path)
    head_policy = "policy:\n  imageInputs:\n    paths: ['ansible/**']\n    level: minor\n"
    pr(git_repo, {"os-tooling.yaml": tools(policy=head_policy), TASKS: "- x\n"})
    assert plan_json(cli)["level"] == "minor"


def test_the_manifest_is_judged_by_its_content_even_under_a_catch_all_pattern(cli, git_repo,
                                                                               monkeypatch):
    catch_all = "policy:\n  imageInputs:\n    paths: ['**']\n"
    builder(git_repo, tools(policy=catch_all))
    monkeypatch.chdir(git_repo.path)
    pr(git_repo, {"os-tooling.yaml": "# a comment\n" + tools(policy=catch_all)})
    assert plan_json(cli)["level"] == "none"


def test_moving_a_file_out_of_an_input_folder_counts(cli, repo):
    repo.git("checkout", "-q", "-b", "pr")
    (repo.path / "docs").mkdir()
    repo.git("mv", TASKS, "docs/old-task.yml")
    repo.commit("move a task away")
    [row] = rows(plan_json(cli), "image-input")
    assert row["paths"] == [TASKS]


def test_without_image_inputs_nothing_changes(cli, git_repo, monkeypatch):
    builder(git_repo, tools(policy=""))
    monkeypatch.chdir(git_repo.path)
    pr(git_repo, {TASKS: "- x\n", "Makefile": "all:\n"})
    data = plan_json(cli)
    assert (data["level"], data["changes"], data["notes"]) == ("none", [], [])


def test_a_base_file_has_no_changed_files_and_says_so(cli, repo, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(tools())
    result = cli("plan", "--base", base, "--head", repo.path / "os-tooling.yaml", "--format", "json")
    data = json.loads(result.out)
    assert data["level"] == "none"
    assert any("policy.imageInputs is not applied" in n for n in data["notes"])


# -- the core, without git ------------------------------------------------------------------------
def test_core_judges_under_both_patterns_and_lists_all_paths():
    base = m(tools(policy="policy:\n  imageInputs:\n    paths: ['ansible/**']\n"))
    head = m(tools(policy="policy:\n  imageInputs:\n    paths: ['packer/*.json']\n    level: major\n"))
    changed = ("README.md", TASKS, "packer/flatcar.json", "os-tooling.yaml")
    result = plan(base, head, PlanOptions(changed_files=changed, manifest_path="os-tooling.yaml"))
    [row] = result.changes
    assert (row.kind, row.level, row.paths) == ("image-input", Level.MAJOR,
                                                (TASKS, "packer/flatcar.json"))
    # not known: not applied (and no row); known but empty: none
    assert plan(base, head, PlanOptions()).changes == []
    assert plan(base, head, PlanOptions(changed_files=())).level is Level.NONE


@pytest.mark.parametrize("changed,listed", [
    (("Makefile",), "Makefile"),
    (("Makefile", "packer/a.json", "packer/b.json"), "Makefile, packer/a.json, packer/b.json"),
    (("Makefile", "packer/a.json", "packer/b.json", "packer/c.json"),
     "Makefile, packer/a.json, packer/b.json, +1 more"),  # at most three
    ((TASKS, "ansible/site.yml"), f"{TASKS}, ansible/site.yml"),
    ((TASKS, "ansible/roles/teleport/templates/teleport.yaml.j2"),
     f"{TASKS}, +1 more"),  # and about 60 characters
    (("ansible/" + "x" * 200,), "ansible/" + "x" * 200),  # but always one
])
def test_core_names_a_handful_of_paths_and_counts_the_rest(changed, listed):
    manifest = m(tools())
    [row] = plan(manifest, manifest, PlanOptions(changed_files=changed)).changes
    assert row.reason == f"changes image inputs ({listed}): at least a patch"
    assert row.paths == tuple(sorted(changed))


def test_core_counts_an_incomplete_file_list_as_changed_inputs():
    manifest = m(tools())
    result = plan(manifest, manifest, PlanOptions(changed_files=("docs/a.md",),
                                                  changed_files_complete=False))
    [row] = result.changes
    assert row.level is Level.PATCH and row.paths == ()
    assert "incomplete" in row.reason
    unknown_inputs = m(tools(policy=""))
    assert plan(unknown_inputs, unknown_inputs, PlanOptions(
        changed_files=("docs/a.md",), changed_files_complete=False)).level is Level.NONE


# -- validate ---------------------------------------------------------------------------------------
def test_a_pattern_matching_nothing_is_a_warning_and_strict_makes_it_an_error(cli, repo):
    typo = "policy:\n  imageInputs:\n    paths: ['ansible/**', 'paker/*.json']\n"
    repo.write("os-tooling.yaml", tools(policy=typo))
    data = json.loads(cli("validate", "--format", "json").out)
    assert data["valid"] is True and data["errors"] == []
    [warning] = data["warnings"]
    assert "'paker/*.json' matches no file in the repository" in warning["message"]
    lines = (repo.path / "os-tooling.yaml").read_text().splitlines()
    assert lines[warning["line"] - 1][warning["column"] - 1:].startswith("'paker/*.json'")
    assert warning["location"] == "policy.imageInputs.paths[1]"
    strict = cli("validate", "--strict")
    assert strict.code == 1 and "error: image input pattern 'paker/*.json'" in strict.out


def test_validate_notes_typical_image_input_folders_without_failing(cli, git_repo, monkeypatch):
    builder(git_repo, tools(policy=""))
    git_repo.write("images/capi/Makefile", "x\n")
    git_repo.commit("images")
    monkeypatch.chdir(git_repo.path)
    for args in ((), ("--strict",)):
        result = cli("validate", "--format", "json", *args)
        assert result.code == 0  # a note never fails, not even under --strict
        data = json.loads(result.out)
        assert data["valid"] is True and data["warnings"] == []
        [note] = data["notes"]
        assert note["severity"] == "note"
        assert "the repository has ansible/ and images/" in note["message"]
        assert "'ansible/**', 'images/**'" in note["message"]
    assert ": note: policy.imageInputs is not set" in cli("validate").out


def test_no_note_once_image_inputs_are_set_or_outside_git(cli, repo, tmp_path):
    assert json.loads(cli("validate", "--format", "json").out)["notes"] == []
    outside = tmp_path / "elsewhere" / "os-tooling.yaml"
    outside.parent.mkdir()
    shutil.copy(repo.path / "os-tooling.yaml", outside)
    data = json.loads(cli("validate", outside, "--format", "json").out)
    assert (data["valid"], data["warnings"], data["notes"]) == (True, [], [])


def test_bad_patterns_and_levels_are_errors_with_their_place(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(tools(policy="policy:\n  imageInputs:\n    paths: ['ansible/', 'packer/**.json']\n"
                                "    level: none\n    pathz: []\n"))
    result = cli("validate", bad, "--format", "json")
    assert result.code == 1
    messages = {(e["line"], e["message"]) for e in json.loads(result.out)["errors"]}
    lines = bad.read_text().splitlines()
    paths_line = next(i for i, line in enumerate(lines, 1) if "paths:" in line)
    assert (paths_line, "image input pattern 'ansible/': a pattern names files: write "
                        "'ansible/**' for everything under a directory") in messages
    assert any(line == paths_line and "whole path segment" in msg for line, msg in messages)
    assert any("unknown release level 'none'" in msg for _, msg in messages)
    assert any("unknown key 'pathz'" in msg for _, msg in messages)
    many = tmp_path / "many.yaml"
    many.write_text(tools(policy="policy:\n  imageInputs:\n    paths: [" +
                          ", ".join(f"'d{i}/**'" for i in range(101)) + "]\n"))
    assert "at most 100 image input patterns, not 101" in cli("validate", many).out
    long = tmp_path / "long.yaml"
    long.write_text(tools(policy=f"policy:\n  imageInputs:\n    paths: ['{'x' * 257}']\n"))
    [error] = json.loads(cli("validate", long, "--format", "json").out)["errors"]
    assert "256" in error["message"]  # reported once
    empty = tmp_path / "empty.yaml"
    empty.write_text(tools(policy="policy:\n  imageInputs: {level: patch}\n"))
    assert "missing required key 'paths'" in cli("validate", empty).out


# -- release --------------------------------------------------------------------------------------
def merge(repo: GitRepo, branch: str, files: dict[str, str], *, message: str = "change") -> None:
    pr(repo, files, message, branch=branch)
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", branch, "-m", f"Merge pull request from {branch}")


def release(cli, repo: GitRepo, *extra: str) -> dict:
    result = cli("release", "--local", "--repo-root", repo.path, "--format", "json", *extra)
    assert result.code == 0, result.out + result.err
    return json.loads(result.out)


def test_release_local_tags_image_input_changes(cli, git_repo):
    repo = builder(git_repo)
    merge(repo, "ansible", {TASKS: "- name: install teleport\n  become: true\n"})
    data = release(cli, repo)
    assert (data["outcome"], data["tag"], data["level"]) == ("released", "v1.33.2", "patch")
    [row] = data["changes"]
    assert (row["kind"], row["paths"]) == ("image-input", [TASKS])
    notes = repo.git("cat-file", "tag", "v1.33.2")
    assert "| (image inputs) | - | - | **patch** | changes image inputs (" in notes
    assert data["asset"]["changes"] == data["changes"]

    merge(repo, "docs", {"README.md": "# docs only\n", "tests/test_x.py": "# t\n"})
    data = release(cli, repo)
    assert (data["outcome"], data["level"], data["tag"]) == ("nothing-to-release", "none", "v1.33.2")

    merge(repo, "ansible-minor", {TASKS: "- name: new feature\n"})
    data = release(cli, repo, "--label", "release/minor")
    assert (data["tag"], data["level"]) == ("v1.34.0", "minor")
    assert {c["kind"] for c in data["changes"]} == {"image-input", "declared"}

    merge(repo, "teleport", {"os-tooling.yaml": tools(teleport="17.5.0"), "Makefile": "build: x\n"})
    data = release(cli, repo)
    assert (data["tag"], data["level"]) == ("v1.35.0", "minor")
    assert [(c["kind"], c["level"]) for c in data["changes"]] == [("version", "minor"),
                                                                  ("image-input", "patch")]
    assert repo.git("tag", "--list").split() == ["v1.33.1", "v1.33.2", "v1.34.0", "v1.35.0"]


def test_release_text_names_the_image_input_row(cli, git_repo):
    repo = builder(git_repo)
    merge(repo, "ansible", {TASKS: "- x\n"})
    result = cli("release", "--local", "--repo-root", repo.path, "--dry-run")
    assert result.code == 0  # stdout: the notes; stderr: the report
    assert f"\n  changes image inputs ({TASKS}): at least a patch\n" in result.err
    assert repo.git("tag", "--list").split() == ["v1.33.1"]  # dry run


def test_release_cannot_escape_by_dropping_the_patterns_with_the_change(cli, git_repo):
    repo = builder(git_repo)
    merge(repo, "sneaky", {"os-tooling.yaml": tools(policy=""), TASKS: "- sneaky\n"})
    data = release(cli, repo)
    assert (data["tag"], data["level"]) == ("v1.33.2", "patch")
    # from then on the relaxed policy applies: an Ansible change alone releases nothing
    merge(repo, "later", {TASKS: "- later\n"})
    assert release(cli, repo)["outcome"] == "nothing-to-release"


# -- release through GitHub: a shallow checkout reads the changed files from the compare API ---
FULL_NAME = "acme/capi-image-builder"


def shallow_release(cli, repo: GitRepo, github_fake, monkeypatch, tmp_path):
    github_fake.import_git(repo.path, FULL_NAME)
    for key, value in github_fake.env(repository=FULL_NAME).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("INPUT_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_SERVER_URL", raising=False)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow)],
                   check=True)
    github_fake.clear_log()
    result = cli("release", "--repo-root", shallow, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_github_release_from_a_shallow_checkout_uses_the_compare_files(cli, git_repo, github_fake,
                                                                        monkeypatch, tmp_path):
    repo = builder(git_repo)
    merge(repo, "ansible", {TASKS: "- x\n", "README.md": "docs\n"})
    data = shallow_release(cli, repo, github_fake, monkeypatch, tmp_path)
    assert (data["tag"], data["level"], data["created_release"]) == ("v1.33.2", "patch", True)
    assert [c["paths"] for c in data["changes"]] == [[TASKS]]
    assert github_fake.calls("GET", r"/compare/") == 1  # shared with the commit list


def test_github_release_counts_a_file_moved_out_of_an_input_folder(cli, git_repo, github_fake,
                                                                  monkeypatch, tmp_path):
    repo = builder(git_repo)
    repo.git("checkout", "-q", "-b", "move")
    (repo.path / "docs").mkdir()
    repo.git("mv", TASKS, "docs/old-task.yml")
    repo.commit("move a task away")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "move", "-m", "Merge pull request from move")
    data = shallow_release(cli, repo, github_fake, monkeypatch, tmp_path)
    assert (data["tag"], data["level"]) == ("v1.33.2", "patch")
    assert [c["paths"] for c in data["changes"]] == [[TASKS]]  # the old path, from the rename


def test_github_lists_at_most_300_files_so_a_long_list_counts_as_changed(cli, git_repo, github_fake,
                                                                         monkeypatch, tmp_path):
    repo = builder(git_repo)
    merge(repo, "docs", {f"docs/page-{i:03}.md": "x\n" for i in range(301)})
    data = shallow_release(cli, repo, github_fake, monkeypatch, tmp_path)
    assert (data["tag"], data["level"]) == ("v1.33.2", "patch")
    [row] = data["changes"]
    assert row["paths"] == [] and "incomplete" in row["reason"]


# -- the action: the PR comment and the validate note ---------------------------------------------
def test_the_action_plans_an_ansible_pr_and_notes_missing_image_inputs(tmp_path, git_repo):
    from tests.action_helpers import TOKEN, pull_request_payload, run_action

    repo = builder(git_repo)
    base = repo.git("rev-parse", "HEAD").strip()
    pr(repo, {TASKS: "- x\n"})
    head = repo.git("rev-parse", "HEAD").strip()
    result = run_action(tmp_path / "plan", repo.path, {"token": TOKEN, "command": "plan"},
                        "pull_request", pull_request_payload(7, base, head))
    assert result.code == 0, result.stdout + result.stderr
    assert (result.outputs["level"], result.outputs["next-version"]) == ("patch", "1.33.2")
    assert f"changes image inputs ({TASKS}): at least a patch" in result.summary

    repo.write("os-tooling.yaml", tools(policy=""))
    result = run_action(tmp_path / "validate", repo.path,
                        {"token": TOKEN, "command": "validate", "strict": "true"})
    assert result.code == 0 and result.outputs["ok"] == "true"
    [notice] = result.annotations("notice")
    assert "policy.imageInputs is not set" in notice.data
    assert notice.properties["file"] == "os-tooling.yaml"


def test_the_diff_is_only_asked_for_when_a_manifest_has_image_inputs(git_repo, monkeypatch, cli):
    # a base with no history in common: git cannot say what the change brings
    builder(git_repo, tools(policy=""))
    git_repo.git("checkout", "-q", "--orphan", "unrelated")
    git_repo.commit("unrelated start")
    monkeypatch.chdir(git_repo.path)
    git_repo.write("os-tooling.yaml", tools(policy=""))
    git_repo.commit("manifest")
    result = cli("plan", "--base-ref", "main", "--format", "json")
    assert result.code == 0 and json.loads(result.out)["level"] == "none"  # no diff needed
    git_repo.write("os-tooling.yaml", tools())
    git_repo.commit("image inputs")
    failed = run_subprocess("plan", "--base-ref", "main", cwd=git_repo.path)
    assert failed.code == 2 and "git diff failed: " in failed.err and "no merge base" in failed.err
    assert len(failed.err.strip().splitlines()) == 1 and "Traceback" not in failed.err
