"""``os-tooling gate`` end to end: real Release CRs, the catalog store, a real tooling git repo."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.gate_helpers import (
    BROKEN,
    CATALOG,
    make_releases_repo,
    make_tooling_repo,
    release_files,
)
from tests.helpers import run_subprocess


@pytest.fixture(scope="module")
def tooling(tmp_path_factory):
    return make_tooling_repo(tmp_path_factory.mktemp("tooling") / "capi-image-builder").path


@pytest.fixture
def releases(tmp_path) -> Path:
    return make_releases_repo(tmp_path / "releases")


def gate_json(cli, releases: Path, *files: str, extra: tuple = (), code: int | None = None):
    result = cli("gate", "--no-tooling-checks", *[str(releases / f) for f in files], "--catalog", CATALOG,
                 "--repo-root", releases, "--format", "json", *extra)
    assert result.code in (0, 1), result.err
    if code is not None:
        assert result.code == code, result.out
    data = json.loads(result.out)
    return data, {Path(r["file"]).relative_to(releases).parent.as_posix(): r for r in data["releases"]}


def checks(release: dict) -> dict[str, dict]:
    return {c["name"]: c for c in release["checks"]}


def test_whole_repository_with_tooling_repo(cli, releases, tooling):
    files = [p.relative_to(releases).as_posix() for p in release_files(releases)]
    data, by_dir = gate_json(cli, releases, *files, extra=("--tooling-repo", tooling), code=1)
    assert data["ok"] is False
    statuses = {d: r["status"] for d, r in by_dir.items()}
    assert statuses == {
        "aks/v35.1.0": "skipped",
        "azure/archived/v11.0.0": "skipped",
        "azure/archived/v25.0.0": "skipped",
        "azure/archived/v25.1.0": "ok",
        "azure/v34.4.0": "ok",
        "azure/v34.5.0": "ok",
        "capa/archived/v26.0.0": "skipped",
        "capa/archived/v28.1.0": "skipped",
        "capa/archived/v29.0.0": "ok",
        "capa/v34.4.0": "ok",
        "capa/v34.4.1": "ok",
        "capa/v34.5.0": "ok",
        "capa/v34.5.1": "violation",  # patch release raising os-tooling's major
        "cloud-director/v34.4.0": "ok",
        "cloud-director/v34.5.0": "ok",
        "eks/v33.0.0": "ok",
        "eks/v34.0.1": "ok",
        "eks/v34.1.0": "ok",
        "proxmox/archived/v33.0.0": "ok",
        "proxmox/v34.5.0": "ok",
        "proxmox/v34.6.0": "violation",  # minor release whose tooling raises teleport's major
        "vsphere/v34.2.0": "ok",
        "vsphere/v34.5.0": "ok",
    }
    assert data["summary"] == {"releases": 23, "gated": 18, "ok": 16, "missing": 0, "violation": 2,
                               "skipped": 5, "error": 0, "failing": 2, "moved_to_archived": 0}
    for release in data["releases"]:
        if release["status"] == "skipped":
            assert release["reason"] and release["checks"] == []
        else:  # every gated release had every check, and each check ran
            assert set(checks(release)) == {"image", "os-tooling-release", "os-tooling-major",
                                            "binary-majors", "requests"}
            assert checks(release)["os-tooling-release"]["status"] == "ok"
            # capa has the real requests.yaml: its active releases satisfy it, as the releases
            # repository's own test says; the others have none, deprecated ones are not held to it
            requests = checks(release)["requests"]
            expected = ("ok" if release["provider"] == "capa" and release["state"] == "active"
                        else "not-applicable")
            assert requests["status"] == expected, requests


def test_patch_release_raising_os_tooling_major(cli, releases, tooling):
    _, by_dir = gate_json(cli, releases, "capa/v34.5.1/release.yaml",
                          extra=("--tooling-repo", tooling), code=1)
    release = by_dir["capa/v34.5.1"]
    major = checks(release)["os-tooling-major"]
    assert major["status"] == "violation"
    assert "patch release aws-34.5.1 raises os-tooling's major: os-tooling 1.33.1 -> 2.0.0" in major["message"]
    assert release["previous"]["name"] == "aws-34.5.0" and release["level"] == "patch"
    assert checks(release)["image"]["status"] == "ok"


def test_minor_release_raising_teleport_major(cli, releases, tooling):
    data, by_dir = gate_json(cli, releases, "proxmox/v34.6.0/release.yaml",
                             extra=("--tooling-repo", tooling), code=1)
    release = by_dir["proxmox/v34.6.0"]
    assert release["level"] == "minor"
    assert checks(release)["os-tooling-major"]["status"] == "ok"  # 1.33.1 -> 1.34.0 is a minor
    binary = checks(release)["binary-majors"]
    assert binary["status"] == "violation"
    assert "teleport 17.4.2 -> 18.0.0" in binary["message"]
    # the binary changes between the two tooling versions, for the release notes (capmox only)
    changes = {c["tool"]: (c["from"], c["to"]) for c in release["binary_changes"]}
    assert changes == {"teleport": ("17.4.2", "18.0.0")}  # containerd is not baked for capmox
    # the annotation points at the os-tooling component's version line
    [annotation] = data["annotations"]
    lines = Path(annotation["file"]).read_text().splitlines()
    assert lines[annotation["line"] - 1].strip() == "version: 1.34.0"
    assert lines[annotation["line"] - 2].strip() == "- name: os-tooling"
    assert "teleport" in annotation["message"]


def test_all_ok_exits_zero_and_lists_binary_changes(cli, releases, tooling):
    data, by_dir = gate_json(cli, releases, "capa/v34.5.0/release.yaml", "azure/v34.5.0/release.yaml",
                             "aks/v35.1.0/release.yaml", "azure/archived/v11.0.0/release.yaml",
                             extra=("--tooling-repo", tooling), code=0)
    assert data["ok"] is True and data["annotations"] == []
    capa = by_dir["capa/v34.5.0"]
    assert capa["status"] == "ok" and capa["previous"]["name"] == "aws-34.4.1"
    assert {c["tool"]: (c["from"], c["to"], c["level"]) for c in capa["binary_changes"]} == {
        "teleport": ("17.3.0", "17.4.2", "minor")}


def test_previous_release_legacy_is_not_applicable(cli, releases, tooling):
    _, by_dir = gate_json(cli, releases, "azure/archived/v25.1.0/release.yaml",
                          extra=("--tooling-repo", tooling), code=0)
    release = by_dir["azure/archived/v25.1.0"]
    assert release["previous"]["name"] == "azure-25.0.0" and release["previous"]["os_tooling"] is None
    assert checks(release)["os-tooling-major"]["status"] == "not-applicable"
    assert checks(release)["binary-majors"]["status"] == "not-applicable"


def test_previous_release_found_in_archived(cli, releases):
    new = releases / "proxmox/v33.1.0/release.yaml"
    new.parent.mkdir(parents=True)
    new.write_text((releases / "proxmox/archived/v33.0.0/release.yaml").read_text()
                   .replace("proxmox-33.0.0", "proxmox-33.1.0").replace("1.26.4", "2.0.0"))
    _, by_dir = gate_json(cli, releases, "proxmox/v33.1.0/release.yaml", code=1)
    release = by_dir["proxmox/v33.1.0"]
    assert release["previous"]["file"] == "proxmox/archived/v33.0.0/release.yaml"
    assert checks(release)["os-tooling-major"]["status"] == "violation"


def test_missing_image_with_near_miss_hints(cli, releases, tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"capv": [
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.32.0-gs",
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.0-gs",
        "flatcar-stable-4593.2.4-kube-1.33.1-tooling-1.33.1-gs",  # other kubernetes: no hint
    ]}))
    result = cli("gate", "--no-tooling-checks", releases / "vsphere/v34.5.0/release.yaml", "--catalog", catalog,
                 "--repo-root", releases, "--format", "json")
    assert result.code == 1
    [release] = json.loads(result.out)["releases"]
    assert release["status"] == "missing"
    assert release["similar"] == ["flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.0-gs",
                                  "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.32.0-gs"]
    image = checks(release)["image"]
    assert image["status"] == "missing" and "1.33.0" in image["message"]


def test_os_tooling_version_that_is_no_release(cli, releases, tooling):
    path = releases / "capa/v34.5.0/release.yaml"
    path.write_text(path.read_text().replace("version: 1.33.1", "version: 1.33.9"))
    catalog = releases / "cat.yaml"
    catalog.write_text("capa: [flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.9-gs]\n")
    result = cli("gate", "--no-tooling-checks", path, "--catalog", catalog, "--repo-root", releases,
                 "--tooling-repo", tooling, "--format", "json")
    assert result.code == 1
    [release] = json.loads(result.out)["releases"]
    tooling_check = checks(release)["os-tooling-release"]
    assert release["status"] == "missing" and tooling_check["status"] == "missing"
    assert "1.33.9 is not a release" in tooling_check["message"] and "v2.0.0" in tooling_check["message"]
    assert checks(release)["binary-majors"]["status"] == "not-run"  # 1.33.9 has no manifest


def test_without_a_tooling_source_the_release_fails_unless_accepted(cli, releases):
    # fail closed: a green gate must mean every check ran
    closed = cli("gate", releases / "capa/v34.5.0/release.yaml", "--catalog", CATALOG,
                 "--repo-root", releases)
    assert closed.code == 1
    assert re.search(r"error +os-tooling-release: os-tooling 1\.33\.1 not checked", closed.out)
    assert "--no-tooling-checks to accept it" in closed.out
    # accepted explicitly: reported as not run, never as passed
    result = cli("gate", "--no-tooling-checks", releases / "capa/v34.5.0/release.yaml", "--catalog", CATALOG,
                 "--repo-root", releases)
    assert result.code == 0
    assert re.search(r"not-run +os-tooling-release: os-tooling 1\.33\.1 not checked", result.out)
    assert re.search(r"not-run +binary-majors", result.out)
    assert "gate: ok: 1 release file: 1 gated (1 ok, 0 missing" in result.out


def test_json_file_is_the_path_as_given(cli, releases, monkeypatch):
    monkeypatch.chdir(releases)
    result = cli("gate", "--no-tooling-checks", "capa/v34.5.0/release.yaml", "--catalog", CATALOG, "--format", "json")
    assert result.code == 0, result.err
    [release] = json.loads(result.out)["releases"]
    assert release["file"] == "capa/v34.5.0/release.yaml"
    assert {k: release[k] for k in ("name", "provider", "image", "status")} == {
        "name": "aws-34.5.0", "provider": "capa", "status": "ok",
        "image": "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"}
    assert release["previous"]["file"] == "capa/v34.4.1/release.yaml"


def test_release_file_given_from_inside_its_folder(cli, releases, monkeypatch):
    monkeypatch.chdir(releases / "capa/v34.5.0")
    result = cli("gate", "--no-tooling-checks", "release.yaml", "--catalog", CATALOG, "--format", "json")
    assert result.code == 0, result.out
    assert json.loads(result.out)["releases"][0]["previous"]["name"] == "aws-34.4.1"


def test_broken_releases_are_errors_with_annotations(cli, tmp_path):
    broken = shutil.copytree(BROKEN, tmp_path / "broken")
    files = release_files(broken)
    result = cli("gate", "--no-tooling-checks", *files, "--catalog", CATALOG, "--repo-root", broken, "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert {r["status"] for r in data["releases"]} == {"error"}
    assert len(data["annotations"]) >= len(files)
    by_file = {Path(a["file"]).relative_to(broken).parent.as_posix(): a for a in data["annotations"]}
    assert by_file["capa/v40.0.0"]["line"] == 10
    assert by_file["azure/v40.0.0"]["line"] == 5 and "aws-40.0.0" in by_file["azure/v40.0.0"]["message"]


def test_markdown_report(cli, releases, tooling):
    result = cli("gate", "--no-tooling-checks", releases / "proxmox/v34.6.0/release.yaml",
                 releases / "capa/v34.5.0/release.yaml", releases / "aks/v35.1.0/release.yaml",
                 "--catalog", CATALOG, "--repo-root", releases, "--tooling-repo", tooling,
                 "--format", "markdown")
    assert result.code == 1
    out = result.out
    assert out.startswith("### os-tooling gate: FAILED :x:\n\n3 release files: 2 gated (1 ok, 0 missing, "
                          "1 violation, 0 error), 1 skipped\n")
    assert "#### Problems" in out and "teleport 17.4.2 -&gt; 18.0.0" in out
    assert "#### Binary changes" in out and "| teleport | `17.3.0` | `17.4.2` | minor |" in out
    assert "#### Skipped" in out and "`aks-35.1.0`" in out


def test_hostile_text_is_escaped(cli, releases):
    path = releases / "capa/v34.5.0/release.yaml"
    hostile = 'aws-34.5.0\\n::error::pwned <img src=x onerror=alert(1)> `x` | @team'
    path.write_text(path.read_text().replace("name: aws-34.5.0", f'name: "{hostile}"'))
    text = cli("gate", "--no-tooling-checks", path, "--catalog", CATALOG, "--repo-root", releases)
    assert text.code == 1
    assert not any(line.startswith("::") for line in text.out.splitlines())
    markdown = cli("gate", "--no-tooling-checks", path, "--catalog", CATALOG, "--repo-root", releases,
                   "--format", "markdown")
    assert "<img" not in markdown.out
    outside_code = re.sub(r"`[^`]*`", "", markdown.out)
    assert "@team" not in outside_code and "`x`" not in outside_code
    assert not any(line.startswith("::") for line in markdown.out.splitlines())
    data = json.loads(cli("gate", "--no-tooling-checks", path, "--catalog", CATALOG, "--repo-root", releases,
                          "--format", "json").out)
    assert "::error::pwned" in data["annotations"][0]["message"]  # raw in JSON, escaped by the action


@pytest.mark.parametrize("make_args, message", [
    (lambda r, t: [r / "capa/v99.0.0/release.yaml", "--catalog", CATALOG], "no such file"),
    (lambda r, t: [r / "capa/v34.5.0/release.yaml", "--catalog", t / "nope.yaml"], "no such file"),
    (lambda r, t: [r / "capa/v34.5.0/release.yaml", "--config", t / "nope.yaml"], "no such file"),
    (lambda r, t: ["--catalog", CATALOG], "nothing to gate"),
    (lambda r, t: [r / "capa/v34.5.0/release.yaml", "--catalog", CATALOG, "--repo-root",
                   t / "nope"], "not a directory"),
    (lambda r, t: [r / "capa/v34.5.0/release.yaml", "--catalog", CATALOG, "--tooling-repo", t],
     "not a git repository"),
    (lambda r, t: [r / "capa/v34.5.0/release.yaml", "--format", "xml"], "invalid choice"),
])
def test_usage_errors_exit_two(cli, releases, tmp_path, make_args, message):
    result = cli("gate", "--no-tooling-checks", *make_args(releases, tmp_path))
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_unreadable_release_files_exit_two(cli, releases):
    path = releases / "capa/v34.5.0/release.yaml"
    path.write_bytes(b"apiVersion: \xff\xfe\n")
    result = cli("gate", "--no-tooling-checks", path, "--catalog", CATALOG)
    assert result.code == 2 and "not UTF-8" in result.err
    result = cli("gate", "--no-tooling-checks", releases / "capa/v34.5.0", "--catalog", CATALOG)
    assert result.code == 2 and "directory" in result.err


def test_invalid_catalog_exits_two_with_file_and_line(cli, releases, tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("capa: []\ncapx:\n  - flatcar-stable-1.0.0-kube-1.0.0-tooling-1.0.0-gs\n")
    result = cli("gate", "--no-tooling-checks", releases / "capa/v34.5.0/release.yaml", "--catalog", catalog)
    assert result.code == 2
    assert f"{catalog}:2:" in result.err and "unknown provider 'capx'" in result.err


def test_every_fixture_in_a_subprocess_never_a_traceback(releases, tmp_path, tooling):
    broken = shutil.copytree(BROKEN, tmp_path / "broken")
    files = release_files(releases) + release_files(broken)
    for fmt in ("text", "json", "markdown"):
        result = run_subprocess("gate", "--no-tooling-checks", *files, "--catalog", CATALOG, "--repo-root", releases,
                                "--tooling-repo", tooling, "--format", fmt)
        assert result.code == 1, result.err
        assert result.err == "" and "Traceback" not in result.out
    data = json.loads(run_subprocess("gate", "--no-tooling-checks", *files, "--catalog", CATALOG,
                                     "--format", "json").out)
    assert len(data["releases"]) == len(files)
    assert {r["status"] for r in data["releases"]} == {"ok", "skipped", "violation", "error"}


def test_a_file_given_twice_is_gated_once(cli, releases, monkeypatch):
    monkeypatch.chdir(releases)
    result = cli("gate", "--no-tooling-checks", "capa/v34.5.0/release.yaml", releases / "capa/v34.5.0/release.yaml",
                 "./capa/v34.5.0/release.yaml", "--catalog", CATALOG, "--format", "json")
    assert [r["file"] for r in json.loads(result.out)["releases"]] == ["capa/v34.5.0/release.yaml"]
