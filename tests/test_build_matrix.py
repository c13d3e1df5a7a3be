"""``build-matrix`` on the real release sample: which images a tooling version needs (live vs
deprecated vs archived vs legacy and vintage), which already exist in the stores, each format."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import boto3
import pytest

from os_tooling.adapters.releases_reader import local_release_files
from os_tooling.backends import make_store
from os_tooling.backends.config import parse_config, resolve_config
from os_tooling.core.versions import Version
from os_tooling.usecases.build_matrix import build_matrix
from tests.action_helpers import parse_file_commands
from tests.fakes.latency_proxy import LatencyProxy
from tests.gate_helpers import SAMPLES, make_tooling_repo
from tests.helpers import run_subprocess

pytest_plugins = ["tests.fakes.moto_server"]  # fixture: moto

T = "1.34.0"


def image(flatcar: str, kubernetes: str, tooling: str = T, suffix: str = "") -> str:
    return f"flatcar-stable-{flatcar}-kube-{kubernetes}-tooling-{tooling}-gs{suffix}"


def entry(provider: str, flatcar: str, kubernetes: str, suffix: str = "") -> dict:
    return {"provider": provider, "flatcar": flatcar, "kubernetes": kubernetes,
            "image": image(flatcar, kubernetes, suffix=suffix)}


# Every (provider, flatcar, kubernetes) of the sample's live releases, in the report's order.
# capa v34.4.0 and v34.4.1 share 4593.2.2 + 1.34.7: one image.
ALL = [entry("capa", "4593.2.2", "1.34.7"), entry("capa", "4593.2.4", "1.34.10"),
       entry("eks", "4459.2.3", "1.33.8"), entry("eks", "4459.2.3", "1.34.4"),
       entry("capz", "4593.2.2", "1.34.7"), entry("capz", "4593.2.4", "1.34.10"),
       entry("capv", "4459.2.4", "1.34.7"), entry("capv", "4593.2.4", "1.34.10"),
       entry("capvcd", "4593.2.4", "1.34.10")]
PRESENT = [entry("capa", "4593.2.4", "1.34.10"), entry("capz", "4593.2.2", "1.34.7")]


@pytest.fixture
def releases(tmp_path) -> Path:
    """The real sample, plus a legacy (flatcar-variant) and a vintage release outside
    archived/, made active: the sample has these only under archived/."""
    root = tmp_path / "releases"
    shutil.copytree(SAMPLES, root)
    for archived, current in (("capa/archived/v28.1.0", "capa/v28.1.0"),
                              ("azure/archived/v11.0.0", "azure/v11.0.0")):
        (root / current).mkdir()
        text = (root / archived / "release.yaml").read_text()
        assert "state: deprecated" in text
        (root / current / "release.yaml").write_text(text.replace("state: deprecated",
                                                                  "state: active"))
    return root


@pytest.fixture
def catalog(tmp_path) -> Path:
    """Some of the images exist; others exist only with another os-tooling version."""
    path = tmp_path / "images.yaml"
    path.write_text(
        f"capa:\n  - {image('4593.2.4', '1.34.10')}\n  - {image('4593.2.2', '1.34.7', '1.33.1')}\n"
        f"capz:\n  - {image('4593.2.2', '1.34.7')}\n"
        f"eks:\n  - {image('4459.2.3', '1.34.4', '1.33.1')}\n"
        f"capv: []\n")
    return path


def matrix(cli, *args) -> tuple[int, dict]:
    result = cli("build-matrix", *args, "--format", "json")
    assert result.out.startswith("{"), result.err
    return result.code, json.loads(result.out)


def test_live_releases_on_the_real_sample_less_the_images_that_exist(cli, releases, catalog):
    code, data = matrix(cli, "--releases", releases, "--tooling", T, "--catalog", catalog)
    assert code == 0
    assert data["tooling"] == T
    assert data["existing"] == PRESENT
    assert data["include"] == [e for e in ALL if e not in PRESENT]
    status = {r["file"]: (r["status"], r["reason"]) for r in data["releases"]}
    assert status.pop("cloud-director/v34.4.0/release.yaml") == ("deprecated",
                                                                 "spec.state is deprecated")
    legacy = status.pop("capa/v28.1.0/release.yaml")
    assert legacy[0] == "skipped" and "flatcar-variant" in legacy[1]
    vintage = status.pop("azure/v11.0.0/release.yaml")
    assert vintage[0] == "skipped" and "vintage" in vintage[1]
    aks = status.pop("aks/v35.1.0/release.yaml")
    assert aks[0] == "skipped" and "aks" in aks[1]
    assert {s for s, _ in status.values()} == {"live"} and len(status) == 10
    assert not any("archived" in f for f in status)  # archived/ is never read...
    assert data["archived"] == 5                       # ...only counted
    assert data["ok"] is True and data["unchecked"] == []


def test_include_existing_builds_everything_and_nothing_to_build_is_exit_0(cli, releases,
                                                                           catalog, tmp_path):
    code, data = matrix(cli, "--releases", releases, "--tooling", T, "--catalog", catalog,
                        "--include-existing")
    assert code == 0 and data["include"] == ALL and data["existing"] == PRESENT
    full = tmp_path / "all.yaml"
    by_provider: dict[str, list[str]] = {}
    for e in ALL:
        by_provider.setdefault(e["provider"], []).append(e["image"])
    full.write_text(json.dumps(by_provider))
    code, data = matrix(cli, "--releases", releases, "--tooling", T, "--catalog", full)
    assert code == 0 and data["include"] == [] and data["existing"] == ALL
    text = cli("build-matrix", "--releases", releases, "--tooling", T, "--catalog", full)
    assert text.code == 0 and "to build: 0 image(s): nothing to build" in text.out


def test_provider_filter_and_image_suffix_from_the_config(cli, releases, tmp_path):
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n"
                      "  capv: {backend: catalog, file: images.yaml, imageSuffix: -tpl}\n"
                      "  capvcd: {backend: catalog, file: images.yaml}\n")
    (tmp_path / "images.yaml").write_text(f"capv: [{image('4593.2.4', '1.34.10', suffix='-tpl')}]\n")
    code, data = matrix(cli, "--releases", releases, "--tooling", "v1.34.0", "--config", config,
                        "--provider", "capv", "--provider", "capvcd")
    assert code == 0
    assert data["tooling"] == T  # the v of a tag name is not part of the version
    assert data["existing"] == [entry("capv", "4593.2.4", "1.34.10", "-tpl")]
    assert data["include"] == [entry("capv", "4459.2.4", "1.34.7", "-tpl"),
                               entry("capvcd", "4593.2.4", "1.34.10")]
    files = {r["file"].split("/")[0] for r in data["releases"]}
    assert files == {"vsphere", "cloud-director"}  # other providers' files are not read


def test_newest_tag_of_the_tooling_repo_is_the_default_version(cli, releases, catalog, tmp_path):
    tooling = make_tooling_repo(tmp_path / "capi-image-builder")
    tooling.git("tag", "v3.0.0-rc.1")  # a prerelease is never "the newest release"
    code, data = matrix(cli, "--releases", releases, "--tooling-repo", tooling.path,
                        "--catalog", catalog, "--provider", "capa")
    assert code == 0 and data["tooling"] == "2.0.0"
    assert "newest tag v2.0.0" in data["source"]["tooling"]
    assert [e["image"] for e in data["include"]] == [image("4593.2.2", "1.34.7", "2.0.0"),
                                                     image("4593.2.4", "1.34.10", "2.0.0")]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_subprocess("build-matrix", "--releases", releases, "--catalog", catalog,
                            cwd=empty)  # no tooling source at all
    assert result.code == 2 and "--tooling VERSION" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_bad_input_is_exit_2_with_one_line(releases, catalog, tmp_path):
    cases = [
        (["--releases", tmp_path / "nowhere", "--tooling", T], "not a directory"),
        (["--releases", tmp_path, "--tooling", T], "none of the release directories"),
        (["--releases", releases, "--tooling", "one"], "--tooling"),
        (["--releases", releases, "--tooling", T, "--ref", "main"], "--ref needs"),
        (["--releases", releases, "--releases-github", "a/b", "--tooling", T], "not allowed"),
        (["--tooling", T], "required"),
        (["--releases", releases, "--tooling", T, "--provider", "aks"], "invalid choice"),
        (["--releases", releases, "--tooling", T, "--catalog", tmp_path / "no.yaml"], "catalog"),
    ]
    for args, words in cases:
        result = run_subprocess("build-matrix", *args)
        assert result.code == 2, (args, result.out, result.err)
        assert words in result.err and len(result.err.strip().splitlines()) == 1, result.err
        assert "Traceback" not in result.err


def test_an_unusable_live_release_is_a_finding_but_the_others_still_build(cli, releases,
                                                                          catalog):
    broken = releases / "capa" / "v34.6.0"
    broken.mkdir()
    (broken / "release.yaml").write_text(
        (releases / "capa/v34.5.0/release.yaml").read_text()
        .replace("name: aws-34.5.0", "name: aws-34.6.0<img src=x onerror=alert(1)>|x"))
    linked = releases / "eks" / "v34.9.0"
    linked.mkdir()
    os.symlink("/etc/passwd", linked / "release.yaml")
    code, data = matrix(cli, "--releases", releases, "--tooling", T, "--catalog", catalog)
    assert code == 1 and data["ok"] is False
    assert data["include"] == [e for e in ALL if e not in PRESENT]  # the rest is unaffected
    invalid = {r["file"]: r["reason"] for r in data["releases"] if r["status"] == "invalid"}
    assert set(invalid) == {"capa/v34.6.0/release.yaml", "eks/v34.9.0/release.yaml"}
    assert "symbolic link" in invalid["eks/v34.9.0/release.yaml"]
    markdown = cli("build-matrix", "--releases", releases, "--tooling", T, "--catalog", catalog,
                   "--format", "markdown")
    assert markdown.code == 1
    assert "<img" not in markdown.out and "&lt;img src=x onerror=alert(1)&gt;\\|x" in markdown.out
    assert "root:" not in markdown.out  # the symlink's target was never read


def test_github_format_writes_the_matrix_for_strategy_matrix(cli, releases, catalog, tmp_path,
                                                              monkeypatch):
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    result = cli("build-matrix", "--releases", releases, "--tooling", T, "--catalog", catalog,
                 "--format", "github")
    assert result.code == 0, result.err
    records = parse_file_commands(output.read_text())
    assert json.loads(records["matrix"][0]) == {"include": [e for e in ALL if e not in PRESENT]}
    assert records["tooling"] == [T]
    assert result.out.startswith('matrix={"include": [{"provider": "capa"')
    assert all(line.split("<<")[1].startswith("ghadelimiter_")
               for line in output.read_text().splitlines() if "<<" in line)


def test_text_and_markdown_tables(cli, releases, catalog):
    text = cli("build-matrix", "--releases", releases, "--tooling", T, "--catalog", catalog)
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[1] == "  to build: 7 image(s)"
    assert lines[2].split() == ["capa", "flatcar", "4593.2.2", "kubernetes", "1.34.7",
                                image("4593.2.2", "1.34.7")]
    assert "already exist, left out (--include-existing builds them again): 2" in text.out
    assert lines[-1] == ("releases: 10 live, 1 deprecated, 3 without such an image (legacy, "
                         "vintage, aks), 0 invalid, 5 archived (not read)")
    markdown = cli("build-matrix", "--releases", releases, "--tooling", T, "--catalog", catalog,
                   "--format", "markdown")
    assert markdown.out.startswith("### os-tooling 1.34.0: 7 image(s) to build")
    assert f"| capz | 4593.2.4 | 1.34.10 | `{image('4593.2.4', '1.34.10')}` |" in markdown.out


def test_one_batched_lookup_per_store(releases):
    """Each provider's store is asked once for all its images; stores that share (same AWS
    accounts and regions) share that one call."""
    calls: list[tuple[str, list[str]]] = []

    class Counting:
        def __init__(self, config):
            self.inner = make_store(config)
            self.provider = config.provider

        def share_key(self):
            return "aws" if self.provider in ("capa", "eks") else self.provider

        def lookup(self, refs):
            calls.append((self.provider, sorted(r.name for r in refs)))
            return self.inner.lookup(refs)

    catalog = releases / "images.yaml"
    catalog.write_text("capa: []\n")
    config = resolve_config(None, str(catalog))
    listing = local_release_files(releases, ["capa", "eks", "azure", "vsphere"])
    result = build_matrix(listing, Version.parse(T), "test", config, store_factory=Counting)
    assert len(result.include) == 8
    assert sorted(p for p, _ in calls) == ["capa", "capv", "capz"]  # capa answered for eks too
    aws = dict(calls)["capa"]
    assert aws == sorted(e["image"] for e in ALL if e["provider"] in ("capa", "eks"))


def test_aws_store_one_describe_images_for_capa_and_eks(cli, releases, moto, monkeypatch,
                                                         tmp_path):
    """The real aws-ami store against moto's server: one DescribeImages for both providers."""
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    ec2.register_image(Name=image("4459.2.3", "1.33.8"), RootDeviceName="/dev/xvda",
                       BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n  capa: {regions: [eu-west-1]}\n  eks: {regions: [eu-west-1]}\n")
    assert parse_config(config.read_text(), "gate.yaml").store_config("eks").backend == "aws-ami"
    with LatencyProxy(moto.url) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        code, data = matrix(cli, "--releases", releases, "--tooling", T, "--config", config,
                            "--provider", "capa", "--provider", "eks")
        calls = proxy.requests("DescribeImages")
    assert code == 0, data
    assert len(calls) == 1
    assert data["existing"] == [entry("eks", "4459.2.3", "1.33.8")]
    assert [e["provider"] for e in data["include"]] == ["capa", "capa", "eks"]


def test_a_store_that_cannot_answer_keeps_the_image_and_is_a_finding(cli, releases, moto,
                                                                     monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n  capa: {regions: [eu-west-1], maxAttempts: 1, timeout: 2}\n")
    code, data = matrix(cli, "--releases", releases, "--tooling", T, "--config", config,
                        "--provider", "capa")
    assert code == 1
    assert data["include"] == [e for e in ALL if e["provider"] == "capa"]  # never "present"
    assert [u["image"] for u in data["unchecked"]] == [e["image"] for e in data["include"]]
    assert all(u["detail"] for u in data["unchecked"])


def test_text_reports_show_control_characters_as_escapes():
    """Whatever a report's JSON holds (release files are untrusted), the text report cannot
    rewrite the terminal or fake a line."""
    from os_tooling.report.build import matrix_text, vars_text

    hostile = "x\x1b[2K\rok: all good\u202e\n"
    data = {"tooling": hostile, "include": [{"provider": hostile, "flatcar": "1", "kubernetes": "2",
                                             "image": hostile}],
            "releases": [{"file": hostile, "status": "invalid", "reason": hostile}],
            "source": {"releases": hostile, "tooling": hostile}}
    for text in (matrix_text(data), vars_text({"provider": hostile, "source": hostile,
                                                "tools": {hostile: hostile}})):
        assert not any(ch in text for ch in "\x1b\r\u202e")
        assert "x\\x1b[2K\\rok: all good\\u202e\\n" in text
        assert not any(line.startswith("ok") for line in text.splitlines())
