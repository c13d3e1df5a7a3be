"""Image discovery (`available`) and `bump` of a Release CR, on the catalog and on moto (AWS)."""

import json
import shutil

import boto3
import pytest

from os_tooling.core.availability import candidate_versions
from tests.fakes.moto_server import aws_env
from tests.helpers import ROOT, GitRepo, manifest_text, run_subprocess
from tests.report_schema import check

pytest_plugins = ["tests.fakes.moto_server"]  # fixtures: moto

SAMPLE = ROOT / "tests" / "data" / "releases-sample" / "capa" / "v34.5.0" / "release.yaml"
FLATCAR, KUBE = "4593.2.4", "1.34.10"  # what capa/v34.5.0 carries (os-tooling 1.33.1)


def img(tooling, flatcar=FLATCAR, kube=KUBE):
    return f"flatcar-stable-{flatcar}-kube-{kube}-tooling-{tooling}-gs"


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "images.json"
    path.write_text(json.dumps({
        "capa": [img("1.33.1"), img("1.34.0"), img("1.35.0"), img("1.36.0", kube="1.33.4"),
                 img("1.37.0") + "-suffixed"],
        "capz": [img("1.33.1"), img("1.34.0")],
        "capv": [img("1.34.0")],
    }))
    return path


def available(*args, env=None):
    result = run_subprocess("available", "--flatcar", FLATCAR, "--kubernetes", KUBE, *args,
                            "--format", "json", env=env)
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


def available_text(*args, env=None, fmt="text"):
    result = run_subprocess("available", "--flatcar", FLATCAR, "--kubernetes", KUBE, *args,
                            "--format", fmt, env=env)
    assert result.code in (0, 1), result.err
    return result.code, result.out


def test_candidates_only_for_the_exact_pair():
    names = [img("1.34.0"), img("1.35.0", kube="1.34.1"), img("1.36.0", flatcar="4593.2.5"),
             img("9.9.9") + "x", "unrelated", img("v1.2.3")]
    assert [str(v) for v in candidate_versions(FLATCAR, "v1.34.10", names)] == ["1.34.0"]


def test_newest_fully_available_version_wins_on_the_catalog(catalog):
    code, data = available("--provider", "capa", "--provider", "capz", "--catalog", catalog)
    assert code == 0
    assert data["latest"] == "1.34.0"
    assert [(v["version"], v["available"]) for v in data["versions"]] == [
        ("1.35.0", False), ("1.34.0", True), ("1.33.1", True)]
    assert data["versions"][0]["providers"]["capz"]["status"] == "missing"
    assert data["versions"][0]["providers"]["capa"]["status"] == "present"


def test_nothing_available_is_exit_1_with_the_partial_picture(catalog):
    code, data = available("--provider", "capa", "--provider", "capv", "--provider", "capmox",
                           "--catalog", catalog)
    assert code == 1 and data["latest"] is None
    row = next(v for v in data["versions"] if v["version"] == "1.34.0")
    assert row["providers"]["capv"]["status"] == "present"
    assert row["providers"]["capmox"]["status"] == "missing"


def test_text_and_markdown_say_where_it_is_missing(catalog):
    text = run_subprocess("available", "--flatcar", FLATCAR, "--kubernetes", KUBE, "--provider", "capa",
                          "--provider", "capz", "--catalog", catalog).out
    assert "1.35.0  not available: capz: missing" in text and "latest fully available: 1.34.0" in text
    md = run_subprocess("available", "--flatcar", FLATCAR, "--kubernetes", KUBE, "--provider", "capa",
                        "--provider", "capz", "--catalog", catalog, "--format", "markdown").out
    assert "### os-tooling 1.34.0 has images for every provider" in md


def test_bad_versions_are_usage_errors(catalog):
    result = run_subprocess("available", "--flatcar", "x", "--kubernetes", KUBE, "--catalog", catalog)
    assert result.code == 2 and "flatcar version" in result.err


def seed(region, name):
    boto3.client("ec2", region_name=region).register_image(
        Name=name, RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])


def test_available_on_aws_needs_every_region(moto, tmp_path):
    for region in ("eu-west-1", "us-east-1"):
        seed(region, img("1.33.1"))
        seed(region, img("1.34.0"))
    seed("eu-west-1", img("1.35.0"))  # not yet copied to us-east-1
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n  capa: {backend: aws-ami, regions: [eu-west-1, us-east-1]}\n")
    (tmp_path / "vsphere.json").write_text(json.dumps({"capv": [img("1.33.1")]}))
    config.write_text("providers:\n  capa: {backend: aws-ami, regions: [eu-west-1, us-east-1]}\n"
                      "  capv: {backend: catalog, file: vsphere.json}\n")
    code, data = available("--provider", "capa", "--config", config, env=aws_env(moto.url))
    assert code == 0 and data["latest"] == "1.34.0"
    # 1.35.0 exists in eu-west-1 only: never available, listed as partial with what it lacks
    assert [(v["version"], v["available"], v["partial"]) for v in data["versions"]] == [
        ("1.35.0", False, True), ("1.34.0", True, False), ("1.33.1", True, False)]
    check(data, "available")  # the documented JSON shape, partial answers included
    capa = data["versions"][0]["providers"]["capa"]
    assert capa == {"status": "missing", "detail": "missing in us-east-1", "partial": True,
                    "found_in": ["eu-west-1"], "lacking": ["us-east-1"]}
    code, out = available_text("--provider", "capa", "--config", config, env=aws_env(moto.url))
    assert "  1.35.0  partially available: capa: lacks us-east-1 (only in eu-west-1)" in out
    assert "latest fully available: 1.34.0" in out
    code, out = available_text("--provider", "capa", "--config", config, env=aws_env(moto.url),
                               fmt="markdown")
    assert "| 1.35.0 (partially available) | :warning: lacks us-east-1 |" in out
    # with vSphere (a catalog) too, only 1.33.1 is everywhere
    code, data = available("--provider", "capa", "--provider", "capv", "--config", config,
                           env=aws_env(moto.url))
    assert code == 0 and data["latest"] == "1.33.1"
    assert data["versions"][0]["providers"]["capv"]["status"] == "missing"


def releases_copy(tmp_path):
    target = tmp_path / "releases" / "capa" / "v34.5.0" / "release.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(SAMPLE, target)
    return target


def test_bump_latest_changes_only_the_version(catalog, tmp_path):
    target = releases_copy(tmp_path)
    before = target.read_text()
    result = run_subprocess("bump", target, "--latest", "--catalog", catalog, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["from"], data["to"], data["written"]) == ("1.33.1", "1.35.0", True)
    after = target.read_text()
    assert after == before.replace("name: os-tooling\n    version: 1.33.1", "name: os-tooling\n    version: 1.35.0")
    assert after != before


def test_bump_refuses_a_missing_image_unless_forced(catalog, tmp_path):
    target = releases_copy(tmp_path)
    before = target.read_text()
    refused = run_subprocess("bump", target, "--to-tooling", "1.40.0", "--catalog", catalog)
    assert refused.code == 1 and "refusing to set os-tooling 1.40.0" in refused.err
    assert target.read_text() == before
    forced = run_subprocess("bump", target, "--to-tooling", "1.40.0", "--catalog", catalog, "--force")
    assert forced.code == 0 and "MISSING (--force)" in forced.out
    assert "version: 1.40.0" in target.read_text()


def test_bump_dry_run_writes_nothing(catalog, tmp_path):
    target = releases_copy(tmp_path)
    before = target.read_text()
    result = run_subprocess("bump", target, "--to-tooling", "1.34.0", "--catalog", catalog, "--dry-run")
    assert result.code == 0 and "would set os-tooling 1.33.1 -> 1.34.0" in result.out
    assert target.read_text() == before


def test_bump_prints_binary_changes_from_the_tooling_repo(catalog, tmp_path):
    tooling = GitRepo(tmp_path / "capi-image-builder")
    tooling.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.1.4"}))
    tooling.commit("one")
    tooling.tag("v1.33.1", "1.33.1")
    tooling.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.4.2"}))
    tooling.commit("two")
    tooling.tag("v1.34.0", "1.34.0")
    target = releases_copy(tmp_path)
    result = run_subprocess("bump", target, "--to-tooling", "1.34.0", "--catalog", catalog,
                            "--tooling-repo", tooling.path)
    assert result.code == 0, result.err
    assert "os-tooling 1.33.1 -> 1.34.0: teleport 17.1.4 -> 17.4.2 (minor)" in result.out


def test_bump_of_a_legacy_release_is_a_clear_finding(catalog, tmp_path):
    legacy = next(p for p in (ROOT / "tests" / "data" / "releases-sample").rglob("release.yaml")
                  if "flatcar-variant" in p.read_text())
    target = tmp_path / "r" / legacy.relative_to(ROOT / "tests" / "data" / "releases-sample")
    target.parent.mkdir(parents=True)
    shutil.copy(legacy, target)
    result = run_subprocess("bump", target, "--latest", "--catalog", catalog)
    assert result.code == 1 and "cannot bump os-tooling" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "tests" / "data" / "releases-sample").rglob(
    "release.yaml") if "name: os-tooling" in p.read_text()), ids=lambda p: "/".join(p.parts[-3:]))
def test_bump_keeps_every_real_sample_byte_identical_but_the_version(path, tmp_path):
    target = tmp_path / path.relative_to(ROOT / "tests" / "data" / "releases-sample")
    target.parent.mkdir(parents=True)
    shutil.copy(path, target)
    (tmp_path / "none.json").write_text("{}")
    result = run_subprocess("bump", target, "--to-tooling", "9.9.9", "--force", "--format", "json",
                            "--catalog", tmp_path / "none.json")
    assert result.code == 0, result.err
    old = json.loads(result.out)["from"]
    before, after = path.read_bytes().split(b"\n"), target.read_bytes().split(b"\n")
    diffs = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert diffs == [(f"    version: {old}".encode(), b"    version: 9.9.9")]


def test_bump_keeps_the_file_mode(catalog, tmp_path):
    target = releases_copy(tmp_path)
    target.chmod(0o644)
    assert run_subprocess("bump", target, "--to-tooling", "1.34.0", "--catalog", catalog).code == 0
    assert target.stat().st_mode & 0o777 == 0o644
