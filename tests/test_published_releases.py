"""A published release keeps its node image: the gate over small git histories made here.

A release file that exists at the base revision is published. Editing its state, date or apps
in place, or moving it to archived/, is allowed; changing its flatcar, kubernetes, os-tooling or
flatcar-variant version is a violation.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from os_tooling.core.published import (
    ComponentChange,
    node_image_changes,
    published_candidates,
    published_release_check,
    release_label,
)
from os_tooling.core.release_cr import parse_release
from tests.gate_helpers import CATALOG, SAMPLES, make_tooling_repo
from tests.helpers import GitRepo

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

CAPA = "capa/v34.5.0/release.yaml"
LEGACY = "capa/archived/v26.0.0/release.yaml"  # flatcar-variant


@pytest.fixture(scope="module")
def tooling(tmp_path_factory) -> Path:
    return make_tooling_repo(tmp_path_factory.mktemp("tooling") / "capi-image-builder").path


@pytest.fixture
def releases(tmp_path) -> GitRepo:
    """main: the real sample, committed (every release in it is published)."""
    repo = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, repo.path, dirs_exist_ok=True)
    repo.commit("published releases")
    repo.git("checkout", "-q", "-b", "change")
    return repo


def edit(repo: GitRepo, relative: str, old: str, new: str) -> None:
    path = repo.path / relative
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def gate(cli, repo: GitRepo, tooling: Path, *args: str):
    result = cli("gate", "--base-ref", "main", "--repo-root", repo.path, "--catalog", CATALOG,
                 "--tooling-repo", tooling, "--format", "json", *args)
    assert result.code in (0, 1), result.err
    return result, json.loads(result.out)


def by_file(data: dict) -> dict[str, dict]:
    return {r["file"]: r for r in data["releases"]}


def check(release: dict, name: str = "published-release") -> dict:
    found = [c for c in release["checks"] if c["name"] == name]
    assert len(found) == 1, release["checks"]
    return found[0]


# -- the pure rule -------------------------------------------------------------------------------
def test_only_node_image_components_count_and_a_v_prefix_is_no_change():
    base = {"flatcar": "4593.2.4", "kubernetes": "1.34.10", "os-tooling": "1.33.1"}
    assert node_image_changes(base, {**base, "os-tooling": "v1.33.1"}) == []
    assert node_image_changes(base, {**base, "os-tooling": "1.34.0"}) == [
        ComponentChange("os-tooling", "1.33.1", "1.34.0")]
    legacy = {"flatcar": "3815.2.5", "flatcar-variant": "2.0.0", "kubernetes": "1.28.11"}
    migrated = {"flatcar": "3815.2.5", "os-tooling": "1.15.0", "kubernetes": "1.28.11"}
    assert [c.describe() for c in node_image_changes(legacy, migrated)] == [
        "os-tooling 1.15.0 added", "flatcar-variant 2.0.0 removed"]


def test_published_candidates_follow_a_move_to_archived():
    assert published_candidates(CAPA) == [CAPA]
    assert published_candidates("capa/archived/v34.5.0/release.yaml") == [
        "capa/archived/v34.5.0/release.yaml", CAPA]
    assert published_candidates("somewhere/else.yaml") == ["somewhere/else.yaml"]
    assert release_label(CAPA) == "capa/v34.5.0"


def test_the_check_message_names_the_release_and_the_change():
    text = (SAMPLES / CAPA).read_text()
    base = parse_release(text, CAPA)
    head = parse_release(text.replace("version: 1.33.1", "version: 1.34.0"), CAPA)
    result = published_release_check("capa/v34.5.0", base, head)
    assert result.status == "violation"
    assert result.message == ("published release capa/v34.5.0 changes its node image: "
                              "os-tooling 1.33.1 -> 1.34.0; make a new release")
    same = published_release_check("capa/v34.5.0", base, parse_release(
        text.replace("state: active", "state: deprecated"), CAPA))
    assert same.status == "ok" and "keeps its node image" in same.message


@pytest.mark.parametrize("path", sorted(SAMPLES.rglob("release.yaml")),
                         ids=lambda p: "/".join(p.relative_to(SAMPLES).parts[:-1]))
def test_every_real_sample_release_keeps_its_image_when_its_state_and_date_change(path):
    text = path.read_text()
    relative = path.relative_to(SAMPLES).as_posix()
    edited = text.replace("state: active", "state: deprecated").replace("date:", "date: #")
    assert edited != text
    result = published_release_check(release_label(relative), parse_release(text, relative),
                                     parse_release(edited, relative))
    assert result.status == "ok", result.message


# -- the gate over small histories ----------------------------------------------------------------
def test_state_only_edit_of_a_published_release_is_allowed(cli, releases, tooling):
    edit(releases, CAPA, "state: active", "state: deprecated")
    releases.commit("deprecate aws 34.5.0")
    result, data = gate(cli, releases, tooling)
    assert result.code == 0, result.out
    release = by_file(data)[CAPA]
    assert release["status"] == "ok"
    assert check(release)["status"] == "ok"
    assert check(release)["base_file"] == CAPA


def test_changing_os_tooling_of_a_published_release_is_a_violation(cli, releases, tooling):
    edit(releases, CAPA, "name: os-tooling\n    version: 1.33.1", "name: os-tooling\n    version: 2.0.0")
    releases.commit("bump os-tooling in place")
    result, data = gate(cli, releases, tooling)
    assert result.code == 1
    release = by_file(data)[CAPA]
    assert release["status"] == "violation"
    found = check(release)
    assert found["status"] == "violation"
    assert found["message"] == ("published release capa/v34.5.0 changes its node image: "
                                "os-tooling 1.33.1 -> 2.0.0; make a new release")
    assert found["changes"] == [{"component": "os-tooling", "from": "1.33.1", "to": "2.0.0"}]
    text_lines = (releases.path / CAPA).read_text().splitlines()
    assert text_lines[found["line"] - 1].strip() == "version: 2.0.0"  # annotation on the value
    # the image exists (catalog) and os-tooling 2.0.0 is a release: only this rule stops it
    assert check(release, "image")["status"] == "ok"
    assert data["annotations"] and "make a new release" in data["annotations"][-1]["message"]


def test_the_same_change_in_a_new_release_is_fine(cli, releases, tooling):
    text = (releases.path / CAPA).read_text().replace("aws-34.5.0", "aws-34.5.1")
    releases.write("capa/v34.5.1/release.yaml", text)
    releases.commit("aws 34.5.1")
    result, data = gate(cli, releases, tooling)
    assert result.code == 0, result.out
    release = by_file(data)["capa/v34.5.1/release.yaml"]
    assert release["status"] == "ok"
    assert "published-release" not in {c["name"] for c in release["checks"]}


def test_moving_a_published_release_to_archived_is_allowed(cli, releases, tooling):
    releases.git("mv", "capa/v34.4.0", "capa/archived/v34.4.0")
    releases.commit("archive aws 34.4.0")
    result, data = gate(cli, releases, tooling)
    assert result.code == 0 and data["releases"] == []  # an unchanged move is not even gated
    # moved and deprecated in the same change: gated, compared with where it was published
    edit(releases, "capa/archived/v34.4.0/release.yaml", "state: active", "state: deprecated")
    releases.commit("deprecate it too")
    result, data = gate(cli, releases, tooling)
    assert result.code == 0, result.out
    release = by_file(data)["capa/archived/v34.4.0/release.yaml"]
    assert check(release)["status"] == "ok"
    assert check(release)["base_file"] == "capa/v34.4.0/release.yaml"
    # and archived with a new kubernetes: still the published release, still a violation
    edit(releases, "capa/archived/v34.4.0/release.yaml", "version: 1.34.7", "version: 1.34.10")
    releases.commit("new kubernetes while archiving")
    result, data = gate(cli, releases, tooling)
    assert result.code == 1
    message = check(by_file(data)["capa/archived/v34.4.0/release.yaml"])["message"]
    assert message == ("published release capa/v34.4.0 changes its node image: kubernetes "
                       "1.34.7 -> 1.34.10; make a new release")


def test_a_legacy_release_keeps_its_flatcar_variant(cli, releases, tooling):
    text = (releases.path / LEGACY).read_text()
    variant = next(line for line in text.splitlines()[text.splitlines().index(
        "  - name: flatcar-variant") + 1:] if "version:" in line)
    edit(releases, LEGACY, "- name: flatcar-variant\n" + variant + "\n",
         "- name: flatcar-variant\n    version: 9.9.9\n")
    releases.commit("change the variant in place")
    result, data = gate(cli, releases, tooling)
    assert result.code == 1
    release = by_file(data)[LEGACY]
    assert release["status"] == "violation"  # skipped for the image, not for this rule
    assert "flatcar-variant" in check(release)["message"] and "9.9.9" in check(release)["message"]
    # the same file with only its state changed stays a skipped release
    releases.git("checkout", "-q", "main", "--", LEGACY)
    edit(releases, LEGACY, "state: active" if "state: active" in text else "state: deprecated",
         "state: preview")
    releases.commit("only the state")
    result, data = gate(cli, releases, tooling)
    assert result.code == 0, result.out
    release = by_file(data)[LEGACY]
    assert release["status"] == "skipped" and check(release)["status"] == "ok"


def test_text_and_markdown_reports_show_the_rule(cli, releases, tooling):
    edit(releases, CAPA, "name: os-tooling\n    version: 1.33.1", "name: os-tooling\n    version: 2.0.0")
    releases.commit("bump os-tooling in place")
    text = cli("gate", "--base-ref", "main", "--repo-root", releases.path, "--catalog", CATALOG,
               "--tooling-repo", tooling)
    assert text.code == 1
    assert ("violation      published-release: published release capa/v34.5.0 changes its node "
            "image: os-tooling 1.33.1 -> 2.0.0; make a new release") in text.out
    md = cli("gate", "--base-ref", "main", "--repo-root", releases.path, "--catalog", CATALOG,
             "--tooling-repo", tooling, "--format", "markdown")
    assert "**published-release** violation: published release capa/v34.5.0 changes its node " \
           "image" in md.out


def test_the_real_sample_edited_in_place_flags_nothing_new(cli, releases, tooling):
    """Every current sample release edited the way the real history edits releases (state,
    date): the gate's answers are the same as without a base, plus a passing published check."""
    current = sorted(p.relative_to(releases.path).as_posix()
                     for p in releases.path.rglob("release.yaml") if "/archived/" not in str(p))
    for relative in current:
        path = releases.path / relative
        text = path.read_text()
        path.write_text(text.replace("state: active", "state: deprecated")
                        .replace('date: "', 'date: "2027-01-01T00:00:00Z" #'))
        assert path.read_text() != text, relative
    releases.commit("deprecate everything")
    _, with_base = gate(cli, releases, tooling, "--no-tooling-checks")
    assert sorted(by_file(with_base)) == current
    plain = cli("gate", *[releases.path / r for r in current], "--repo-root", releases.path,
                "--catalog", CATALOG, "--tooling-repo", tooling, "--no-tooling-checks",
                "--format", "json")
    without = {Path(r["file"]).relative_to(releases.path).as_posix(): r
               for r in json.loads(plain.out)["releases"]}
    for relative, release in by_file(with_base).items():
        assert release["status"] == without[relative]["status"], relative
        assert check(release)["status"] == "ok", relative
        others = [c for c in release["checks"] if c["name"] != "published-release"]
        assert [c["status"] for c in others] == [c["status"] for c in without[relative]["checks"]]


# -- a pull request through the GitHub API -----------------------------------------------------------
def test_pull_request_mode_reads_the_base_from_github_or_from_the_checkout(
        cli, releases, tooling, github_fake, monkeypatch, tmp_path):
    from os_tooling.adapters.changed_files import git_blob_sha

    edit(releases, CAPA, "name: os-tooling\n    version: 1.33.1", "name: os-tooling\n    version: 2.0.0")
    added = "capa/v34.5.1/release.yaml"
    releases.write(added, (releases.path / CAPA).read_text().replace("aws-34.5.0", "aws-34.5.1"))
    head = releases.commit("a new release, and the published one changed in place")
    fake = github_fake.import_git(releases.path, "acme/releases")
    fake.default_branch = "main"
    pull = fake.add_pull(head_sha=head, head_ref="change", base="main", files=[
        {"filename": CAPA, "status": "modified", "changes": 2,
         "sha": git_blob_sha((releases.path / CAPA).read_bytes())},
        {"filename": added, "status": "added", "changes": 150,
         "sha": git_blob_sha((releases.path / added).read_bytes())}])
    for key, value in github_fake.env().items():
        monkeypatch.setenv(key, value)

    def run(root: Path) -> dict[str, dict]:
        result = cli("gate", "--pr", str(pull.number), "--pr-repo", "acme/releases",
                     "--repo-root", root, "--catalog", CATALOG, "--tooling-repo", tooling,
                     "--format", "json")
        assert result.code == 1, result.err
        return by_file(json.loads(result.out))

    # a checkout without the base commit (no history): the base is read through the API
    checkout = tmp_path / "checkout"
    shutil.copytree(releases.path, checkout, ignore=shutil.ignore_patterns(".git"))
    found = run(checkout)
    assert check(found[CAPA])["status"] == "violation"
    assert "os-tooling 1.33.1 -> 2.0.0; make a new release" in check(found[CAPA])["message"]
    assert "published-release" not in {c["name"] for c in found[added]["checks"]}
    assert found[added]["status"] == "ok"
    assert github_fake.calls("GET", r"/contents/capa/v34\.5\.0/release\.yaml") == 1
    assert github_fake.calls("GET", r"/contents/capa/v34\.5\.1/release\.yaml") == 1  # 404
    # the local repository has the base commit: the same answer, no API read of the base
    github_fake.clear_log()
    found = run(releases.path)
    assert check(found[CAPA])["status"] == "violation"
    assert "published-release" not in {c["name"] for c in found[added]["checks"]}
    assert github_fake.calls("GET", r"/contents/") == 0


def test_releases_in_a_subdirectory_of_the_git_repository(cli, tmp_path, tooling):
    """--repo-root below the git top level: the base is read relative to the releases root."""
    repo = GitRepo(tmp_path / "monorepo")
    shutil.copytree(SAMPLES / "capa", repo.path / "releases" / "capa")
    repo.commit("published releases")
    edit(repo, f"releases/{CAPA}", "name: os-tooling\n    version: 1.33.1",
         "name: os-tooling\n    version: 2.0.0")
    repo.commit("change it in place")
    result = cli("gate", "--base-ref", "HEAD~1", "--repo-root", repo.path / "releases",
                 "--catalog", CATALOG, "--tooling-repo", tooling, "--format", "json")
    assert result.code == 1, result.err
    found = check(by_file(json.loads(result.out))[CAPA])
    assert found["status"] == "violation" and found["base_file"] == CAPA


def test_a_component_listed_twice_is_compared_entry_by_entry():
    from os_tooling.core.published import repeated_changes

    sample = (SAMPLES / "azure/archived/v11.0.0/release.yaml").read_text()
    entry = "  - name: kubernetes\n    version: 1.16.3\n"

    def vintage(*versions: str):
        text = sample.replace(entry, "".join(f"  - name: kubernetes\n    version: {v}\n"
                                             for v in versions))
        return parse_release(text, "azure/archived/v11.0.0/release.yaml")

    once, twice = vintage("1.16.3"), vintage("1.16.3", "1.16.3")
    assert once.kind == twice.kind == "skipped"
    assert repeated_changes(once, twice) == repeated_changes(twice, once) == []  # same versions
    assert repeated_changes(twice, vintage("1.16.3", "v1.16.3")) == []
    [change] = repeated_changes(twice, vintage("1.16.3", "1.17.0"))
    assert change.describe() == "kubernetes 1.16.3, 1.16.3 -> 1.16.3, 1.17.0"
    result = published_release_check("azure/archived/v11.0.0", twice, vintage("1.16.3", "1.17.0"))
    assert result.status == "violation" and "kubernetes 1.16.3, 1.16.3 -> 1.16.3, 1.17.0" in result.message
