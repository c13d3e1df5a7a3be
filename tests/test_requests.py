"""Requests (``<dir>/requests.yaml``): the file, which requests apply to a release, how one is
judged (component, app, or binary of the release's os-tooling), and the gate's ``requests``
check on the real sample with a tooling repository made here."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import semver
import yaml

from os_tooling.core.manifest import Tool
from os_tooling.core.release_cr import parse_release
from os_tooling.core.requests import Binaries, applicable, judge, parse_requests
from os_tooling.core.versions import Version
from tests.gate_helpers import CATALOG, SAMPLES, make_binaries_repo
from tests.helpers import GitRepo

REAL = (SAMPLES / "capa" / "requests.yaml").read_text()
ALL = ["capa", "eks", "capz", "capv", "capvcd", "capmox"]
# what each os-tooling tag bakes in the tooling repository of these tests
TAGS = {
    "v1.15.0": {},  # predates the manifest
    "v1.26.4": {"containerd": ("1.7.20", ["capa", "eks", "capz"]), "teleport": ("16.4.0", ALL)},
    "v1.28.0": {"containerd": ("1.7.22", ["capa", "eks", "capz"]), "teleport": ("17.0.0", ALL)},
    "v1.31.0": {"containerd": ("v1.7.24", ["capa", "eks", "capz"]), "teleport": ("17.3.0", ALL)},
    "v1.33.1": {"containerd": ("v1.7.27", ["capa", "eks", "capz"]), "teleport": ("17.4.2", ALL),
                "falco": ("0.40.0", ["capa"])},
}
CVE_FLOOR = """\
- name: ">= 34.4.1"
  requests:
  - name: containerd
    version: ">= 1.7.27"
    issue: https://github.com/containerd/containerd/security/advisories/GHSA-0000
"""
# per release directory: binary (and some component) requests over the real sample
BINARY_REQUESTS = {
    "capa": REAL + CVE_FLOOR,
    "azure": 'releases:\n- name: ">= 34.0.0"\n  requests:\n  - name: teleport\n'
             '    version: ">= 17.4.0 < 18.0.0"\n',
    "vsphere": 'releases:\n- name: ">= 34.5.0"\n  requests:\n  - name: teleprot\n'
               '    version: ">= 17.0.0"\n- name: ">= 34.0.0"\n  requests:\n'
               '  - name: kubernetes\n    version: ">= 1.30.0"\n',
    "cloud-director": 'releases:\n- name: ">= 34.0.0"\n  requests:\n  - name: falco\n'
                      '    version: ">= 0.39.0"\n',
    "eks": 'releases:\n- name: ">= 33.0.0 < 34.0.0"\n  requests:\n  - name: containerd\n'
           '    version: 1.7.x\n',
}


@pytest.fixture(scope="module")
def tooling(tmp_path_factory) -> Path:
    return make_binaries_repo(tmp_path_factory.mktemp("tooling") / "capi-image-builder", TAGS).path


def sample_copy(target: Path, requests: dict[str, str] | None = None) -> Path:
    shutil.copytree(SAMPLES, target)
    for directory, text in (requests or {}).items():
        (target / directory / "requests.yaml").write_text(text)
    return target


def gate(cli, root: Path, *args: str, files: list[str] | None = None, fmt: str = "json"):
    files = files or sorted(p.relative_to(root).as_posix() for p in root.rglob("release.yaml"))
    result = cli("gate", *[str(root / f) for f in files], "--catalog", CATALOG,
                 "--repo-root", root, "--format", fmt, *args)
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.out + result.err
    return result


def requests_checks(data: dict, root: Path) -> dict[str, dict]:
    out = {}
    for release in data["releases"]:
        for check in release["checks"]:
            if check["name"] == "requests":
                out[Path(release["file"]).relative_to(root).parent.as_posix()] = check
    return out


# -- the file -------------------------------------------------------------------------------------
def test_the_real_file_reads():
    parsed = parse_requests(REAL, "capa/requests.yaml")
    assert parsed.findings == []
    assert [(r.releases, r.name, r.version) for r in parsed.requests][:3] == [
        (">= 34.2.0 < 35.0.0", "security-bundle", ">= 1.17.1 < 1.18.0"),
        ("< 34.0.0", "cluster-aws", "< 7.0.0"),
        (">= 33.5.0 < 34.0.0", "security-bundle", ">= 1.17.1 < 1.18.0")]
    assert len(parsed.requests) == 9
    first = parsed.requests[0]
    assert (first.line, first.column, first.version_mark, first.releases_mark) == (4, 11, (5, 14),
                                                                                  (2, 9))


@pytest.mark.parametrize("text,where,words", [
    ("releases:\n- name: '>= 1.0.0'\n  requests:\n  - name: x\n    verison: '>= 1.0.0'\n",
     ":5:5", ["unknown key 'verison'", "did you mean 'version'"]),
    ("releases:\n- name: '>= 1.0.0'\n  requests:\n  - name: x\n", ":4:5",
     ["version must be a string, found nothing"]),
    ("releases:\n- name: '>= 1.0.0'\n  requests:\n  - name: x\n    version: [1]\n", ":5:14",
     ["must be a string, found list"]),
    ("releases:\n- name: '>= 1.0.0'\n  requests:\n  - name: x\n    version: '1.0.0'\n"
     "    issue: 12\n", ":6:12", ["issue must be a string"]),
    ("releases:\n- name: '>= 1.0.0'\n  requests:\n  - name: x\n    version: '1.0.0'\n"
     "    except: [{releaseVersion: 1.0.0, why: x}]\n", ":6:38", ["unknown key 'why'"]),
    ("releases: {name: x}\n", ":1:11", ["'releases' must be a list"]),
    ("- name: x\n", ":1:1", ["must be a mapping"]),
    ("releases:\n- name: a\n  name: b\n", ":3:3", ["duplicate key 'name'"]),
    ("releases:\n- name: [\n", ":3:1", ["YAML syntax error"]),
    ("releases:\n- name: '>= 1.0.0'\n  requests:\n  - name: ''\n    version: '1.0.0'\n", ":4:11",
     ["request name '' must be a name"]),
])
def test_structure_problems_have_file_line_and_column(text, where, words):
    parsed = parse_requests(text, "capa/requests.yaml")
    assert parsed.requests == [] and parsed.findings
    first = parsed.findings[0]
    assert first.where() == "capa/requests.yaml" + where, first
    for word in words:
        assert word in first.message


def test_an_empty_file_has_no_requests():
    for text in ("", "# nothing yet\n", "releases: []\n", "releases:\n"):
        parsed = parse_requests(text, "f")
        assert (parsed.requests, parsed.findings) == ([], [])


# -- which requests apply ---------------------------------------------------------------------------
def names(release_version: str, text: str = REAL) -> set[str]:
    applied, findings = applicable(parse_requests(text, "r").requests, release_version)
    assert findings == []
    return {a.request.name for a in applied}


def test_which_requests_apply_to_which_release():
    every = {"security-bundle", "cilium", "aws-nth-bundle", "coredns", "k8s-dns-node-cache",
             "cert-manager-crossplane-resources"}
    assert names("34.5.0") == every
    assert names("35.0.0") == every - {"security-bundle"}
    assert names("30.0.0") == {"cluster-aws"}
    assert names("31.0.5") == {"cluster-aws", "cilium", "cert-manager-crossplane-resources"}
    assert names("v34.5.0") == every  # one leading v, as the Go test reads a release name


def test_exceptions_exempt_only_their_release():
    text = ("releases:\n- name: '>= 34.0.0'\n  requests:\n  - name: containerd\n"
            "    version: '>= 1.7.27'\n    except:\n    - releaseVersion: v34.5.0\n"
            "      reason: built before the fix\n")
    assert names("34.5.0", text) == set()
    assert names("34.5.1", text) == {"containerd"}


def test_unreadable_ranges_are_findings_where_they_matter():
    good = "releases:\n- name: '>= 34.0.0'\n  requests:\n  - name: a\n    version: '~1.2.3'\n"
    # a release range that cannot be read concerns every release: the file cannot be used
    # (the Go test reads every release range, even of an entry without requests)
    parsed = parse_requests(good + "- name: 'v34.0.0'\n  requests: []\n", "capa/requests.yaml")
    assert parsed.requests == []
    assert [f.where() for f in parsed.findings] == ["capa/requests.yaml:6:9"]
    assert "release range 'v34.0.0' cannot be read" in parsed.findings[0].message
    # a version range concerns only the releases its entry applies to
    requests = parse_requests(good, "capa/requests.yaml").requests
    assert applicable(requests, "33.0.0") == ([], [])
    _, findings = applicable(requests, "34.1.0")
    assert [f.where() for f in findings] == ["capa/requests.yaml:5:14"]
    assert "version range '~1.2.3' of request 'a' cannot be read" in findings[0].message


# -- judging ------------------------------------------------------------------------------------------
RELEASE = parse_release((SAMPLES / "capa/v34.5.0/release.yaml").read_text(),
                        "capa/v34.5.0/release.yaml")


def one(name: str, version: str, tools: dict[str, Tool] | None = None, status: str = "ok"):
    text = f"releases:\n- name: '>= 34.0.0'\n  requests:\n  - name: {name}\n    version: '{version}'\n"
    [applied], _ = applicable(parse_requests(text, "capa/requests.yaml").requests, "34.5.0")
    asked = []

    def binaries() -> Binaries:
        asked.append(True)
        return Binaries("1.33.1", tools, status, "" if tools is not None else "no tooling source")

    return judge(applied, RELEASE, binaries), asked


def tool(name: str, version: str, providers=("capa",)) -> dict[str, Tool]:
    return {name: Tool(name, Version.parse(version), tuple(providers))}


def test_components_and_apps_are_judged_as_the_go_test_judges_them():
    outcome, asked = one("security-bundle", ">= 1.17.1 < 1.18.0")
    assert (outcome.status, outcome.found.source, outcome.found.version) == ("ok", "app", "1.17.1")
    assert not asked  # no manifest needed
    outcome, _ = one("cluster-aws", "< 7.0.0")
    assert outcome.status == "violation" and outcome.found.source == "component"
    assert "cluster-aws < 7.0.0 (for releases >= 34.0.0; capa/requests.yaml line 4): found " \
           "7.7.3 (component)" == outcome.message
    outcome, _ = one("cluster-autoscaler", ">= 1.34.3-1")  # prerelease "2" > "1"
    assert outcome.status == "ok" and outcome.found.version == "1.34.3-2"


def test_binary_requests_read_the_manifest_of_the_release_os_tooling():
    outcome, asked = one("containerd", ">= 1.7.27", tool("containerd", "v1.7.27"))
    assert asked and outcome.status == "ok"
    assert (outcome.found.source, outcome.found.version, outcome.found.os_tooling) == (
        "binary", "v1.7.27", "1.33.1")
    outcome, _ = one("containerd", ">= 1.7.28", tool("containerd", "v1.7.27"))
    assert outcome.status == "violation"
    assert outcome.message.endswith("found v1.7.27 (binary of os-tooling 1.33.1)")
    outcome, _ = one("containerd", ">= 1.7.0", tool("containerd", "1.7.27", ["capz"]))
    assert outcome.status == "violation" and "bakes containerd for capz, not for capa" in \
        outcome.message
    outcome, _ = one("teleprot", ">= 17.0.0", tool("teleport", "17.4.2"))
    assert outcome.status == "violation" and outcome.similar == ("teleport",)
    assert "(did you mean teleport?)" in outcome.message
    outcome, _ = one("containerd", ">= 1.7.27", None, "not-run")
    assert outcome.status == "not-run" and "binary request not checked: no tooling source" in \
        outcome.message
    outcome, _ = one("containerd", ">= 1.7.27", None, "error")
    assert outcome.status == "error"


# -- the gate on the real sample ---------------------------------------------------------------------
def _holds(version: str, spec: str) -> bool:
    """The real file's ranges are plain comparisons joined by spaces: python-semver reads each."""
    return all(semver.Version.parse(version).match(op + bound)
               for op, bound in re.findall(r"(>=|<=|>|<|==|!=)\s*(\S+)", spec))


def test_every_active_release_of_the_sample_satisfies_the_real_requests(cli, tmp_path, tooling):
    """What the releases repository's own test says of the sample: every active capa release
    satisfies capa/requests.yaml; here each found version is checked again with python-semver."""
    root = sample_copy(tmp_path / "releases")
    result = gate(cli, root, "--tooling-repo", tooling)
    data = json.loads(result.out)
    checks = requests_checks(data, root)
    capa = {d: c for d, c in checks.items() if d.startswith("capa/")}
    assert set(capa) == {"capa/archived/v29.0.0", "capa/v34.4.0", "capa/v34.4.1", "capa/v34.5.0"}
    requests = parse_requests(REAL, "capa/requests.yaml").requests
    for directory, check in capa.items():
        cr = yaml.safe_load((root / directory / "release.yaml").read_text())
        if cr["spec"]["state"] != "active":
            assert check["status"] == "not-applicable", directory
            continue
        assert check["status"] == "ok", check
        have = {e["name"]: e["version"] for e in cr["spec"]["apps"] + cr["spec"]["components"]}
        version = directory.rsplit("/v", 1)[1]
        wanted = [r for r in requests if _holds(version, r.releases)]
        assert [(i["name"], i["found"]) for i in check["requests"]] == [
            (r.name, have[r.name]) for r in wanted]
        assert all(_holds(have[r.name], r.version) for r in wanted)
    assert all(c["status"] == "not-applicable" for d, c in checks.items() if not d.startswith("capa/"))
    assert data["ok"] is True and result.code == 0


def test_binary_requests_fail_exactly_the_releases_whose_binaries_break_them(cli, tmp_path, tooling):
    root = sample_copy(tmp_path / "releases", BINARY_REQUESTS)
    result = gate(cli, root, "--tooling-repo", tooling)
    assert result.code == 1
    data = json.loads(result.out)
    checks = requests_checks(data, root)
    assert {d: c["status"] for d, c in checks.items()} == {
        "azure/v34.4.0": "violation",  # teleport 17.3.0 in os-tooling 1.31.0
        "azure/v34.5.0": "ok",
        "capa/archived/v29.0.0": "not-applicable",  # deprecated
        "capa/v34.4.0": "ok",  # below the CVE floor's releases
        "capa/v34.4.1": "violation",  # containerd 1.7.24 in os-tooling 1.31.0
        "capa/v34.5.0": "ok",
        "cloud-director/v34.4.0": "not-applicable",  # deprecated
        "cloud-director/v34.5.0": "violation",  # falco is baked for capa only
        "eks/v33.0.0": "ok",
        "eks/v34.0.1": "not-applicable",  # no request for 34.x
        "vsphere/v34.2.0": "ok",  # its kubernetes component
        "vsphere/v34.5.0": "violation",  # teleprot
    }
    failing = {Path(r["file"]).relative_to(root).parent.as_posix() for r in data["releases"]
               if r["status"] != "ok" and r["status"] != "skipped"}
    assert failing == {d for d, c in checks.items() if c["status"] == "violation"}
    capa = checks["capa/v34.4.1"]
    assert capa["message"] == ("containerd >= 1.7.27 (for releases >= 34.4.1; capa/requests.yaml "
                               "line 36): found v1.7.24 (binary of os-tooling 1.31.0)")
    [floor] = [i for i in capa["requests"] if i["name"] == "containerd"]
    assert floor == {"name": "containerd", "range": ">= 1.7.27", "releases": ">= 34.4.1",
                     "status": "violation", "found": "v1.7.24", "source": "binary",
                     "os_tooling": "1.31.0", "file": "capa/requests.yaml", "line": 36,
                     "origin": None, "similar": [], "message": capa["message"],
                     "issue": "https://github.com/containerd/containerd/security/advisories/"
                              "GHSA-0000"}
    assert len(capa["requests"]) == 7  # the six real requests hold too
    text = (root / "capa/v34.4.1/release.yaml").read_text().splitlines()
    assert "os-tooling" in text[capa["line"] - 2]  # the annotation points at os-tooling
    assert "did you mean teleport" in checks["vsphere/v34.5.0"]["message"]
    assert "bakes falco for capa, not for capvcd" in checks["cloud-director/v34.5.0"]["message"]
    assert checks["eks/v33.0.0"]["requests"][0]["found"] == "1.7.20"


def test_reports_show_each_request(cli, tmp_path, tooling):
    root = sample_copy(tmp_path / "releases", BINARY_REQUESTS)
    files = ["capa/v34.4.1/release.yaml", "capa/v34.5.0/release.yaml"]
    text = gate(cli, root, "--tooling-repo", tooling, files=files, fmt="text").out
    assert ("      violation  containerd >= 1.7.27 (releases >= 34.4.1): found v1.7.24 (binary "
            "of os-tooling 1.31.0) [issue: https://github.com/containerd/containerd/security/"
            "advisories/GHSA-0000]") in text
    assert "      ok         security-bundle >= 1.17.1 < 1.18.0 (releases >= 34.2.0 < 35.0.0): " \
           "found 1.17.1 (app)" in text
    md = gate(cli, root, "--tooling-repo", tooling, files=files, fmt="markdown").out
    section = md.split("#### Requests", 1)[1]
    # grouped under each release, the failing one first
    assert section.index("`aws-34.4.1`") < section.index("`aws-34.5.0`")
    assert ("| `containerd` | &gt;= 1.7.27 | &gt;= 34.4.1 | `v1.7.24` | binary of os-tooling "
            "1.31.0 | :x: violation | issue: https:&#8203;//github.com/containerd/containerd/"
            "security/advisories/GHSA-0000 |") in section
    # failing requests first in their release's table
    table_434 = section.split("`aws-34.5.0`")[0]
    assert table_434.index("`containerd`") < table_434.index("`security-bundle`")
    assert "| `security-bundle` | &gt;= 1.17.1 &lt; 1.18.0 |" in section


def test_without_a_tooling_source_binary_requests_fail_closed(cli, tmp_path):
    root = sample_copy(tmp_path / "releases", BINARY_REQUESTS)
    files = ["capa/v34.4.0/release.yaml", "capa/v34.4.1/release.yaml"]
    data = json.loads(gate(cli, root, files=files).out)
    checks = requests_checks(data, root)
    assert checks["capa/v34.4.0"]["status"] == "ok"  # components and apps need no manifest
    assert checks["capa/v34.4.1"]["status"] == "error"
    assert "binary request not checked: no tooling source" in checks["capa/v34.4.1"]["message"]
    # --no-tooling-checks: the binary request is not-run, the others are still judged
    data = json.loads(gate(cli, root, "--no-tooling-checks", files=files).out)
    check = requests_checks(data, root)["capa/v34.4.1"]
    assert check["status"] == "not-run"
    assert {i["name"]: i["status"] for i in check["requests"]} == {
        "security-bundle": "ok", "cilium": "ok", "aws-nth-bundle": "ok", "coredns": "ok",
        "k8s-dns-node-cache": "ok", "cert-manager-crossplane-resources": "ok",
        "containerd": "not-run"}
    # a violation of a component request stays a violation with --no-tooling-checks
    broken = BINARY_REQUESTS["capa"].replace('version: "< 7.0.0"', 'version: "< 7.0.0"') + (
        '- name: ">= 34.0.0"\n  requests:\n  - name: cluster-aws\n    version: "< 7.0.0"\n')
    (root / "capa/requests.yaml").write_text(broken)
    data = json.loads(gate(cli, root, "--no-tooling-checks", files=files).out)
    assert requests_checks(data, root)["capa/v34.4.1"]["status"] == "violation"


def test_a_manifest_that_cannot_be_read_is_an_error(cli, tmp_path, tooling):
    """os-tooling 1.15.0 has no manifest at its tag: a binary request cannot pass."""
    root = sample_copy(tmp_path / "releases")
    path = root / "capa/v34.4.0/release.yaml"
    path.write_text(path.read_text().replace("version: 1.31.0", "version: 1.15.0"))
    (root / "capa/requests.yaml").write_text(
        'releases:\n- name: ">= 34.0.0"\n  requests:\n  - name: containerd\n    version: ">= 1.0.0"\n')
    data = json.loads(gate(cli, root, "--tooling-repo", tooling,
                           files=["capa/v34.4.0/release.yaml"]).out)
    check = requests_checks(data, root)["capa/v34.4.0"]
    assert check["status"] == "error"
    assert "could not read the binaries of os-tooling 1.15.0: tag v1.15.0 has no os-tooling.yaml" \
        in check["message"]


@pytest.mark.parametrize("text,where,words", [
    ('releases:\n- name: ">= 34.0.0 || "\n  requests: []\n', "capa/requests.yaml:2:9",
     ["release range '>= 34.0.0 || ' cannot be read", "ends with '||'"]),
    ('releases:\n- name: ">= 34.0.0"\n  requests:\n  - name: cilium\n    version: "^1.3.0"\n',
     "capa/requests.yaml:5:14", ["version range '^1.3.0'", "unknown operator '^'"]),
    # unquoted, ">" starts a folded block in YAML
    ("releases:\n- name: >= 34.0.0\n  requests:\n  - name: cilium\n    version: 1\n",
     "capa/requests.yaml:2:10", ["YAML syntax error"]),
    ("releases:\n  - {name: '>=1.0.0', requests: [{name: x, versoin: 1.0.0}]}\n",
     "capa/requests.yaml:2:", ["unknown key 'versoin'"]),
    ("\x00\x01", "capa/requests.yaml", ["cannot read capa/requests.yaml", "NUL"]),
])
def test_a_broken_file_is_an_error_with_file_and_line(cli, tmp_path, text, where, words):
    root = sample_copy(tmp_path / "releases")
    (root / "capa/requests.yaml").write_text(text)
    result = gate(cli, root, "--no-tooling-checks", files=["capa/v34.5.0/release.yaml"])
    assert result.code == 1
    check = requests_checks(json.loads(result.out), root)["capa/v34.5.0"]
    assert check["status"] == "error"
    assert where in check["message"], check["message"]
    for word in words:
        assert word in check["message"]


def test_a_requests_file_that_leads_out_of_the_repository_is_refused(cli, tmp_path):
    root = sample_copy(tmp_path / "releases")
    secret = tmp_path / "secret.yaml"
    secret.write_text("token: hunter2\n")
    (root / "capa/requests.yaml").unlink()
    (root / "capa/requests.yaml").symlink_to(secret)
    result = gate(cli, root, "--no-tooling-checks", files=["capa/v34.5.0/release.yaml"])
    check = requests_checks(json.loads(result.out), root)["capa/v34.5.0"]
    assert check["status"] == "error" and "resolves outside the repository" in check["message"]
    assert "hunter2" not in result.out


# -- a change: the requests of the change and of its base apply ----------------------------------
def release_pr(tmp_path, base_requests: str, pr_requests: str | None) -> GitRepo:
    """main: the sample with ``base_requests``; the PR edits requests.yaml (None: deletes it)
    and touches capa/v34.4.1 (a new date: allowed in a published release) so it is gated."""
    repo = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, repo.path, dirs_exist_ok=True)
    repo.write("capa/requests.yaml", base_requests)
    repo.commit("published")
    repo.git("checkout", "-q", "-b", "change")
    if pr_requests is None:
        (repo.path / "capa/requests.yaml").unlink()
    else:
        repo.write("capa/requests.yaml", pr_requests)
    release = repo.path / "capa/v34.4.1/release.yaml"
    release.write_text(re.sub(r'date: "[^"]*"', 'date: "2026-09-01T00:00:00Z"', release.read_text()))
    repo.commit("the change")
    return repo


def gate_change(cli, repo: GitRepo, tooling: Path) -> tuple[dict, dict]:
    result = cli("gate", "--base-ref", "main", "--repo-root", repo.path, "--catalog", CATALOG,
                 "--tooling-repo", tooling, "--format", "json")
    assert result.code in (0, 1), result.err
    data = json.loads(result.out)
    [release] = data["releases"]
    return data, {c["name"]: c for c in release["checks"]}["requests"]


@pytest.mark.parametrize("pr_requests", [REAL, None, REAL + CVE_FLOOR.replace("1.7.27", "1.7.0")],
                         ids=["dropped", "file-deleted", "loosened"])
def test_a_change_cannot_drop_a_request_of_its_base(cli, tmp_path, tooling, pr_requests):
    repo = release_pr(tmp_path, REAL + CVE_FLOOR, pr_requests)
    data, check = gate_change(cli, repo, tooling)
    assert check["status"] == "violation" and data["ok"] is False
    [floor] = [i for i in check["requests"] if i["range"] == ">= 1.7.27"]
    assert (floor["status"], floor["origin"]) == ("violation", "base")
    assert check["requests_changed"] is True
    assert any("capa/requests.yaml" in n and "main" in n for n in data["notes"]), data["notes"]
    md = cli("gate", "--base-ref", "main", "--repo-root", repo.path, "--catalog", CATALOG,
             "--tooling-repo", tooling, "--format", "markdown").out
    assert "from the base revision" in md and "edited by this change" in md


def test_a_change_adding_a_cvefloor_is_held_to_it(cli, tmp_path, tooling):
    repo = release_pr(tmp_path, REAL, REAL + CVE_FLOOR)
    data, check = gate_change(cli, repo, tooling)
    assert check["status"] == "violation"
    [floor] = [i for i in check["requests"] if i["name"] == "containerd"]
    assert floor["origin"] == "added"
    assert {i["origin"] for i in check["requests"] if i["name"] != "containerd"} == {None}
    assert "this change edits capa/requests.yaml" in " ".join(data["notes"])


def test_a_change_fixing_a_broken_base_file_is_judged_by_its_own(cli, tmp_path, tooling):
    repo = release_pr(tmp_path, "releases: [\n", REAL)
    data, check = gate_change(cli, repo, tooling)
    assert check["status"] == "ok" and data["ok"] is True
    assert any("is not a valid requests file" in n for n in data["notes"]), data["notes"]


def test_an_unchanged_file_is_read_once(cli, tmp_path, tooling):
    repo = release_pr(tmp_path, REAL + CVE_FLOOR, REAL + CVE_FLOOR)
    data, check = gate_change(cli, repo, tooling)
    assert check["requests_changed"] is False and check["requests_files"] == ["capa/requests.yaml"]
    assert all(i["origin"] is None for i in check["requests"])
    assert not any("requests.yaml" in n for n in data["notes"])


# -- bump and available: an os-tooling version whose binaries break a request -----------------------
FLATCAR, KUBE = "4593.2.4", "1.34.10"  # capa/v34.5.0 of the sample (os-tooling 1.33.1)
NEWER = {  # newer tags: 1.36.0 regresses containerd below the floor, 1.35.0 does not
    **{t: v for t, v in TAGS.items() if t in ("v1.31.0", "v1.33.1")},
    "v1.34.0": {"containerd": ("v1.7.28", ["capa", "eks", "capz"]), "teleport": ("17.5.0", ALL)},
    "v1.35.0": {"containerd": ("v1.7.29", ["capa", "eks", "capz"]), "teleport": ("17.6.0", ALL)},
    "v1.36.0": {"containerd": ("v1.7.20", ["capa", "eks", "capz"]), "teleport": ("17.7.0", ALL)},
}
FLOOR = ('releases:\n- name: ">= 34.5.0"\n  requests:\n  - name: containerd\n'
         '    version: ">= 1.7.27"\n')


@pytest.fixture(scope="module")
def newer_tooling(tmp_path_factory) -> Path:
    return make_binaries_repo(tmp_path_factory.mktemp("newer") / "capi-image-builder", NEWER).path


@pytest.fixture
def images(tmp_path) -> Path:
    path = tmp_path / "images.json"
    path.write_text(json.dumps({"capa": [f"flatcar-stable-{FLATCAR}-kube-{KUBE}-tooling-{v}-gs"
                                         for v in ("1.33.1", "1.34.0", "1.35.0", "1.36.0")]}))
    return path


def tooling_in(path: Path) -> str:
    return path.read_text().split("name: os-tooling\n", 1)[1].split("version: ", 1)[1].split("\n")[0]


def test_bump_refuses_a_version_whose_binaries_break_a_request(cli, tmp_path, newer_tooling,
                                                                images):
    root = tmp_path / "releases"
    shutil.copytree(SAMPLES / "capa", root / "capa")
    (root / "capa/requests.yaml").write_text(FLOOR)
    target = root / "capa/v34.5.0/release.yaml"
    args = ("--catalog", images, "--tooling-repo", newer_tooling)
    refused = cli("bump", target, "--to-tooling", "1.36.0", *args)
    assert refused.code == 1 and target.read_text().count("version: 1.33.1") == 1
    assert ("refusing to set os-tooling 1.36.0: breaks request containerd >= 1.7.27 (for "
            "releases >= 34.5.0; ") in refused.err
    assert "found v1.7.20 (binary of os-tooling 1.36.0)" in refused.err
    # the newest version that keeps the request is taken
    latest = cli("bump", target, "--latest", *args, "--format", "json")
    assert latest.code == 0, latest.err
    assert json.loads(latest.out)["to"] == "1.35.0" and tooling_in(target) == "1.35.0"
    assert cli("bump", target, "--to-tooling", "1.34.0", *args).code == 0
    forced = cli("bump", target, "--to-tooling", "1.36.0", *args, "--force")
    assert forced.code == 0 and tooling_in(target) == "1.36.0"
    # without a tooling source the binary request cannot be checked: refused (fails closed)
    target.write_text(target.read_text().replace("version: 1.36.0", "version: 1.33.1"))
    blind = cli("bump", target, "--to-tooling", "1.35.0", "--catalog", images)
    assert blind.code == 1 and "no tooling source" in blind.err
    # a release the floor does not cover takes any version
    (root / "capa/requests.yaml").write_text(FLOOR.replace(">= 34.5.0", ">= 34.6.0"))
    assert cli("bump", target, "--to-tooling", "1.36.0", "--catalog", images).code == 0


def release_pr_repo(tmp_path) -> GitRepo:
    """main: the sample with the containerd floor; a release PR adds capa/v34.6.0."""
    repo = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, repo.path, dirs_exist_ok=True)
    repo.write("capa/requests.yaml", FLOOR)
    repo.commit("published")
    repo.git("checkout", "-q", "-b", "release-v34.6.0")
    repo.write("capa/v34.6.0/release.yaml", (repo.path / "capa/v34.5.0/release.yaml").read_text()
               .replace("aws-34.5.0", "aws-34.6.0"))
    repo.commit("Add release v34.6.0")
    return repo


def test_release_pr_bump_and_available_pass_over_versions_that_break_a_request(
        cli, tmp_path, newer_tooling, images):
    repo = release_pr_repo(tmp_path)
    added = repo.path / "capa/v34.6.0/release.yaml"
    args = ("--base-ref", "main", "--repo-root", repo.path, "--catalog", images)
    md = cli("available", *args, "--tooling-repo", newer_tooling, "--format", "markdown")
    assert md.code == 0, md.err
    assert "| 1.36.0 :no_entry_sign: |" in md.out and "| 1.35.0 |" in md.out
    assert "- not `1.36.0`: breaks request containerd &gt;= 1.7.27" in md.out
    data = json.loads(cli("available", *args, "--tooling-repo", newer_tooling,
                          "--format", "json").out)
    [release] = data["releases"]
    assert release["latest"] == "1.35.0"
    assert "found v1.7.20 (binary of os-tooling 1.36.0)" in release["passed_over"][0]["reason"]

    result = cli("bump", *args, "--tooling-repo", newer_tooling, "--latest", "--format", "json")
    assert result.code == 0, result.out
    [bumped] = json.loads(result.out)["releases"]
    assert (bumped["from"], bumped["to"], bumped["status"]) == ("1.33.1", "1.35.0", "bumped")
    assert [p["version"] for p in bumped["passed_over"]] == ["1.36.0"]
    assert tooling_in(added) == "1.35.0"
    # --to-tooling: refused (nothing written) unless --force
    refused = cli("bump", *args, "--tooling-repo", newer_tooling, "--to-tooling", "1.36.0",
                  "--format", "json")
    assert refused.code == 1 and tooling_in(added) == "1.35.0"
    assert "breaks request containerd" in json.loads(refused.out)["releases"][0]["reason"]
    assert cli("bump", *args, "--tooling-repo", newer_tooling, "--to-tooling", "1.36.0",
               "--force").code == 0
    assert tooling_in(added) == "1.36.0"
    # the PR cannot escape the floor by dropping it from its own requests.yaml
    added.write_text(added.read_text().replace("version: 1.36.0", "version: 1.33.1"))
    (repo.path / "capa/requests.yaml").write_text("releases: []\n")
    repo.commit("drop the floor")
    result = cli("bump", *args, "--tooling-repo", newer_tooling, "--latest", "--format", "json")
    [bumped] = json.loads(result.out)["releases"]
    assert (bumped["to"], bumped["status"]) == ("1.35.0", "bumped")
    assert "this change edits capa/requests.yaml" in " ".join(json.loads(result.out)["notes"])
    added.write_text(added.read_text().replace("version: 1.35.0", "version: 1.33.1"))
    # no tooling source: versions whose binaries a binary request needs are not taken
    blind = cli("bump", *args, "--latest", "--format", "json")
    [bumped] = json.loads(blind.out)["releases"]
    assert blind.code == 1 and bumped["status"] == "refused"
    assert all("no tooling source" in p["reason"] for p in bumped["passed_over"])


def test_the_action_gives_available_the_tooling_repo():
    from os_tooling.action.commands import available_argv
    from os_tooling.action.inputs import Inputs
    from os_tooling.adapters.github_event import Event

    argv = available_argv(Inputs({"INPUT_BASE-REF": "origin/main", "INPUT_TOOLING-REPO": "cib"}),
                          Event())
    assert argv[:2] == ["available", "--base-ref=origin/main"] and "--tooling-repo=cib" in argv
