"""Release PRs: `bump --base-ref` changes the os-tooling of the release files a PR adds, never a
published one; `available --base-ref` says which os-tooling the PR's releases could take.

Small git histories made here: main holds the real sample (published releases); a release PR
branch adds releases (and may touch published ones in allowed ways).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from os_tooling.core.availability import ProviderAnswer, VersionAvailability
from os_tooling.core.tooling_choice import choose_latest
from os_tooling.core.versions import Version
from tests.gate_helpers import SAMPLES
from tests.helpers import GitRepo

FLATCAR, KUBE = "4593.2.4", "1.34.10"  # capa/v34.5.0 and azure/v34.5.0 of the sample
CAPA_NEW, AZURE_NEW = "capa/v34.6.0/release.yaml", "azure/v34.6.0/release.yaml"
PUBLISHED = "capa/v34.5.0/release.yaml"


def img(tooling: str, kube: str = KUBE) -> str:
    return f"flatcar-stable-{FLATCAR}-kube-{kube}-tooling-{tooling}-gs"


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "images.json"
    path.write_text(json.dumps({
        # 1.36.0 only for capa; 2.0.0 (a new os-tooling major) only for capa
        "capa": [img("1.33.1"), img("1.34.0"), img("1.35.0"), img("1.36.0"), img("2.0.0")],
        "capz": [img("1.33.1"), img("1.34.0"), img("1.35.0")],
    }))
    return path


def release_pr(tmp_path, *adds: tuple[str, str, str]) -> GitRepo:
    """main: the sample (published); branch release-v34.6.0: each (source, target, name) added
    as a copy of a published release under its new name."""
    repo = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, repo.path, dirs_exist_ok=True)
    repo.commit("published releases")
    repo.git("checkout", "-q", "-b", "release-v34.6.0")
    for source, target, name in adds or ((PUBLISHED, CAPA_NEW, "aws-34.6.0"),
                                          ("azure/v34.5.0/release.yaml", AZURE_NEW,
                                           "azure-34.6.0")):
        text = (repo.path / source).read_text()
        old_name = text.split("name: ", 1)[1].split("\n", 1)[0]
        repo.write(target, text.replace(f"name: {old_name}", f"name: {name}", 1))
    repo.commit("Add release v34.6.0")
    return repo


def bump(cli, repo: GitRepo, catalog, *args: str):
    result = cli("bump", "--base-ref", "main", "--repo-root", repo.path, "--catalog", catalog,
                 "--format", "json", *args)
    assert result.code in (0, 1), result.err
    return result, json.loads(result.out)


def tooling_of(repo: GitRepo, relative: str) -> str:
    text = (repo.path / relative).read_text()
    return text.split("name: os-tooling\n", 1)[1].split("version: ", 1)[1].split("\n", 1)[0]


def snapshot(repo: GitRepo) -> dict[str, bytes]:
    return {p.relative_to(repo.path).as_posix(): p.read_bytes()
            for p in repo.path.rglob("*") if p.is_file() and ".git" not in p.parts}


# -- the pure choice --------------------------------------------------------------------------------
def row(version: str, **providers: str) -> VersionAvailability:
    return VersionAvailability(Version.parse(version), img(version),
                               {p: ProviderAnswer(s) for p, s in providers.items()})


def test_choose_latest_skips_missing_refused_and_prereleases():
    rows = [row("1.33.1", capa="present", capz="present"),
            row("2.0.0", capa="present", capz="present"),
            row("1.36.0-rc.1", capa="present", capz="present"),
            row("1.35.0", capa="present", capz="missing")]
    choice = choose_latest(rows, ["capa", "capz"],
                           lambda v: "new major" if v.major == 2 else None)
    assert str(choice.version) == "1.33.1"
    assert [(str(p.version), p.reason.split(" (")[0]) for p in choice.passed_over] == [
        ("2.0.0", "new major"), ("1.36.0-rc.1", "a prerelease"), ("1.35.0", "no image for capz")]
    assert str(choose_latest(rows, ["capa"], lambda v: None).version) == "2.0.0"
    assert choose_latest([], ["capa"]).version is None


# -- bump --base-ref ------------------------------------------------------------------------------
def test_release_pr_bump_sets_the_added_releases_and_leaves_the_published_ones(cli, tmp_path,
                                                                              catalog):
    repo = release_pr(tmp_path)
    # the release PR also deprecates a published release (allowed): bump must not touch it
    published = repo.path / PUBLISHED
    published.write_text(published.read_text().replace("state: active", "state: deprecated"))
    repo.commit("deprecate aws 34.5.0")
    before = snapshot(repo)
    result, data = bump(cli, repo, catalog, "--latest")
    assert result.code == 0, result.out
    by_file = {r["file"]: r for r in data["releases"]}
    assert set(by_file) == {CAPA_NEW, AZURE_NEW}  # only what the PR adds
    # capa: 1.36.0 has an image but 2.0.0 is a new major (a minor release may not take it)
    assert (by_file[CAPA_NEW]["from"], by_file[CAPA_NEW]["to"]) == ("1.33.1", "1.36.0")
    passed = {p["version"]: p["reason"] for p in by_file[CAPA_NEW]["passed_over"]}
    assert "raises os-tooling's major" in passed["2.0.0"]
    # azure (capz): 1.35.0 is the newest with a capz image
    assert (by_file[AZURE_NEW]["from"], by_file[AZURE_NEW]["to"]) == ("1.33.1", "1.35.0")
    assert data["changed"] and data["written"] and data["files"] == [AZURE_NEW, CAPA_NEW]
    after = snapshot(repo)
    assert {f for f in after if after[f] != before[f]} == {CAPA_NEW, AZURE_NEW}
    assert tooling_of(repo, CAPA_NEW) == "1.36.0" and tooling_of(repo, AZURE_NEW) == "1.35.0"
    assert tooling_of(repo, PUBLISHED) == "1.33.1"
    # only the version changed in the added files
    for relative in (CAPA_NEW, AZURE_NEW):
        diff = [(a, b) for a, b in zip(before[relative].split(b"\n"), after[relative].split(b"\n"),
                                       strict=True) if a != b]
        assert len(diff) == 1 and diff[0][0] == b"    version: 1.33.1", diff
    # a second run finds nothing to change
    repo.commit("bump os-tooling")
    result, data = bump(cli, repo, catalog, "--latest")
    assert result.code == 0 and not data["changed"] and not data["written"]
    assert {r["status"] for r in data["releases"]} == {"unchanged"}


def test_published_release_never_bumped_even_when_the_pr_changes_it(cli, tmp_path, catalog):
    repo = release_pr(tmp_path)
    published = repo.path / PUBLISHED  # an in-place edit of a published release (the gate's job)
    published.write_text(published.read_text().replace("version: 1.33.1", "version: 1.34.0"))
    repo.commit("edit a published release")
    text = published.read_text()
    result, data = bump(cli, repo, catalog, "--latest")
    assert result.code == 0
    assert PUBLISHED not in {r["file"] for r in data["releases"]}
    assert published.read_text() == text


def test_a_release_published_on_main_meanwhile_is_left_alone(cli, tmp_path, catalog):
    repo = release_pr(tmp_path)
    repo.git("checkout", "-q", "main")
    text = (repo.path / PUBLISHED).read_text().replace("aws-34.5.0", "aws-34.6.0")
    repo.write(CAPA_NEW, text)
    repo.commit("publish aws 34.6.0 on main")
    repo.git("checkout", "-q", "release-v34.6.0")
    result, data = bump(cli, repo, catalog, "--latest")
    assert result.code == 0
    assert [r["file"] for r in data["releases"]] == [AZURE_NEW]
    assert any(s["file"] == CAPA_NEW and "exists at main" in s["reason"] for s in data["skipped"])
    assert tooling_of(repo, CAPA_NEW) == "1.33.1"


def test_to_tooling_refuses_a_missing_image_or_a_major_and_writes_nothing(cli, tmp_path, catalog):
    repo = release_pr(tmp_path)
    before = snapshot(repo)
    result, data = bump(cli, repo, catalog, "--to-tooling", "2.0.0")
    assert result.code == 1
    reasons = {r["file"]: (r["status"], r["reason"]) for r in data["releases"]}
    assert reasons[AZURE_NEW][0] == "refused" and "is missing for capz" in reasons[AZURE_NEW][1]
    assert reasons[CAPA_NEW][0] == "refused" and "raises os-tooling's major" in reasons[CAPA_NEW][1]
    assert snapshot(repo) == before and not data["written"]
    # one release can, the other cannot: still nothing written (never a half-made release)
    result, data = bump(cli, repo, catalog, "--to-tooling", "1.36.0")
    assert result.code == 1 and snapshot(repo) == before
    assert {r["file"]: r["status"] for r in data["releases"]} == {CAPA_NEW: "bumped",
                                                                  AZURE_NEW: "refused"}
    assert "nothing was written" in data["notes"][-1]
    # a version both have: set, also below the newest
    result, data = bump(cli, repo, catalog, "--to-tooling", "1.34.0")
    assert result.code == 0, result.out
    assert tooling_of(repo, CAPA_NEW) == tooling_of(repo, AZURE_NEW) == "1.34.0"


def test_latest_never_lowers_what_the_pr_set(cli, tmp_path, catalog):
    repo = release_pr(tmp_path)
    path = repo.path / CAPA_NEW
    path.write_text(path.read_text().replace("version: 1.33.1", "version: 1.37.0"))
    repo.commit("os-tooling 1.37.0: its images are being built")
    result, data = bump(cli, repo, catalog, "--latest")
    assert result.code == 0
    capa = next(r for r in data["releases"] if r["file"] == CAPA_NEW)
    assert capa["status"] == "kept" and "1.37.0 is newer than 1.36.0" in capa["reason"]
    assert tooling_of(repo, CAPA_NEW) == "1.37.0"


def test_a_new_major_release_may_take_a_new_os_tooling_major(cli, tmp_path, catalog):
    repo = release_pr(tmp_path, (PUBLISHED, "capa/v35.0.0/release.yaml", "aws-35.0.0"))
    result, data = bump(cli, repo, catalog, "--latest")
    assert result.code == 0
    assert [(r["file"], r["to"]) for r in data["releases"]] == [("capa/v35.0.0/release.yaml",
                                                                 "2.0.0")]


def test_nothing_usable_is_a_finding_and_nothing_is_written(cli, tmp_path):
    repo = release_pr(tmp_path)
    empty = tmp_path / "none.json"
    empty.write_text("{}")
    before = snapshot(repo)
    result, data = bump(cli, repo, empty, "--latest")
    assert result.code == 1 and snapshot(repo) == before
    assert all(r["status"] == "refused" and "no os-tooling version has an image" in r["reason"]
               for r in data["releases"])


def test_no_added_release_and_symlinks(cli, tmp_path, catalog):
    repo = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, repo.path, dirs_exist_ok=True)
    repo.commit("published releases")
    repo.git("checkout", "-q", "-b", "release-v34.6.0")
    result, data = bump(cli, repo, catalog, "--latest")
    assert result.code == 0 and data["releases"] == [] and "no release file added" in data["notes"][0]
    # a release file added as a symbolic link to a published one is never written through
    (repo.path / "capa" / "v34.6.0").mkdir()
    os.symlink("../v34.5.0/release.yaml", repo.path / CAPA_NEW)
    repo.commit("a link")
    before = snapshot(repo)
    result, data = bump(cli, repo, catalog, "--latest")
    assert result.code == 0 and data["releases"] == []
    assert data["skipped"][0]["file"] == CAPA_NEW and "120000" in data["skipped"][0]["reason"]
    assert snapshot(repo) == before and os.path.islink(repo.path / CAPA_NEW)


def test_text_and_markdown_reports(cli, tmp_path, catalog):
    repo = release_pr(tmp_path)
    text = cli("bump", "--base-ref", "main", "--repo-root", repo.path, "--catalog", catalog,
               "--latest", "--dry-run")
    assert text.code == 0
    assert f"{CAPA_NEW}: would set os-tooling 1.33.1 -> 1.36.0" in text.out
    assert "passed over 2.0.0: minor release aws-34.6.0 raises os-tooling's major" in text.out
    assert tooling_of(repo, CAPA_NEW) == "1.33.1"  # dry run
    md = cli("bump", "--base-ref", "main", "--repo-root", repo.path, "--catalog", catalog,
             "--latest", "--format", "markdown")
    assert "### os-tooling bump: set os-tooling in 2 release file(s)" in md.out
    assert f"`{CAPA_NEW}`: os-tooling `1.33.1` -> `1.36.0`" in md.out


def test_usage_errors(cli, tmp_path, catalog):
    repo = release_pr(tmp_path)
    both = cli("bump", repo.path / CAPA_NEW, "--base-ref", "main", "--latest")
    assert both.code == 2 and "not both" in both.err
    neither = cli("bump", "--latest")
    assert neither.code == 2 and "--base-ref" in neither.err
    unknown = cli("bump", "--base-ref", "nope", "--repo-root", repo.path, "--latest",
                  "--catalog", catalog)
    assert unknown.code == 2 and "unknown git ref 'nope'" in unknown.err
    plain = tmp_path / "plain"
    plain.mkdir()
    outside = cli("bump", "--base-ref", "main", "--repo-root", plain, "--latest")
    assert outside.code == 2 and "needs a git repository" in outside.err


# -- available --base-ref: the sticky comment on release PRs -----------------------------------------
def test_available_on_a_release_pr_says_what_it_could_use(cli, tmp_path, catalog):
    repo = release_pr(tmp_path)
    args = ("available", "--base-ref", "main", "--repo-root", repo.path, "--catalog", catalog)
    md = cli(*args, "--format", "markdown")
    assert md.code == 0, md.err
    assert ("os-tooling 1.35.0 has images for every provider of this release; this PR uses "
            "1.33.1") in md.out
    data = json.loads(cli(*args, "--format", "json").out)
    [release] = data["releases"]
    assert (release["release"], release["providers"], release["latest"]) == (
        "34.6.0", ["capa", "capz"], "1.35.0")
    assert release["uses"] == {CAPA_NEW: "1.33.1", AZURE_NEW: "1.33.1"}
    # after setting 1.35.0 everywhere, the comment says the PR is up to date
    assert cli("bump", "--base-ref", "main", "--repo-root", repo.path, "--catalog", catalog,
               "--to-tooling", "1.35.0").code == 0
    md = cli(*args, "--format", "markdown")
    assert ("this PR uses os-tooling 1.35.0, the newest with images for every provider of this "
            "release") in md.out
    # the rule of the gate counts: a minor release never hears about the new major
    assert "2.0.0 has images" not in md.out


def test_available_base_ref_usage(cli, tmp_path, catalog):
    repo = release_pr(tmp_path)
    mixed = cli("available", "--base-ref", "main", "--flatcar", FLATCAR, "--repo-root", repo.path)
    assert mixed.code == 2 and "leave out --flatcar" in mixed.err
    missing = cli("available", "--catalog", catalog)
    assert missing.code == 2 and "--flatcar and --kubernetes" in missing.err


def test_a_release_pr_cannot_bring_its_own_images(cli, tmp_path, catalog):
    """A catalog inside the releases repository is read as it is at the base: a PR that lists
    an image of its own in it does not make bump (or available) take that version."""
    repo = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, repo.path, dirs_exist_ok=True)
    shutil.copy(catalog, repo.path / "images.json")
    repo.commit("published releases and the image catalog")
    repo.git("checkout", "-q", "-b", "release-v34.6.0")
    text = (repo.path / PUBLISHED).read_text().replace("name: aws-34.5.0", "name: aws-34.6.0", 1)
    repo.write(CAPA_NEW, text)
    forged = json.loads((repo.path / "images.json").read_text())
    forged["capa"].append(img("1.99.0"))
    (repo.path / "images.json").write_text(json.dumps(forged))
    repo.commit("Add release v34.6.0 (and an image that does not exist)")
    result, data = bump(cli, repo, repo.path / "images.json", "--latest", "--dry-run")
    assert result.code == 0, result.err
    assert [(r["file"], r["to"]) for r in data["releases"]] == [(CAPA_NEW, "1.36.0")]
    assert any("changed by this pull request" in n for n in data["notes"])
    shown = cli("available", "--base-ref", "main", "--repo-root", repo.path, "--catalog",
                repo.path / "images.json", "--format", "json")
    assert json.loads(shown.out)["releases"][0]["latest"] == "1.36.0"
