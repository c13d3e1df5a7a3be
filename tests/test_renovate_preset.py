"""renovate-preset.json, checked with the real (pinned) Renovate from tools/renovate.

* The validator checks the preset *as a preset*, and a broken copy fails.
* Renovate runs against two local git repositories built here, extending the preset by URL
  from a loopback HTTP server:
  - ``--dry-run=extract`` (no HTTP at all): which dependencies the custom managers find; in
    the releases-like repository of published releases: none from any ``release.yaml`` (a
    control run with the Release CR manager the preset used to carry shows the same files
    would be read);
  - ``--dry-run=lookup`` against a loopback fake of GitHub's GraphQL API: the updates Renovate
    would propose (new values, update types, branches, labels, PR titles), read from its
    debug/trace log.
* Every Renovate run gets a proxy that refuses and records all traffic to non-loopback
  hosts; the tests assert it stayed empty.
* ``os-tooling validate`` warns about exactly the tools the preset cannot bump, and
  ``os-tooling plan`` classifies each change Renovate proposes like Renovate's update type,
  except where the policy says otherwise (a pre-1.0 minor is a major by default; a
  ``policy.tools`` map). The labels Renovate sets (``binary/<update type>``) never change the
  plan's level, with no rule of the repository's own; a ``release/<level>`` label set by a
  person still declares a level.
* ``OS_TOOLING_RENOVATE_DIR`` runs the same tests with another Renovate install (see
  docs/renovate.md, "Renovate versions").

Missing binaries fail the tests (never skip): ``npm ci --prefix tools/renovate``.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests import renovate_helpers as rh

pytestmark = pytest.mark.renovate

SAMPLES = Path(__file__).parent / "data" / "releases-sample"
_WORKERS = max(1, min(4, os.cpu_count() or 1))  # concurrent Renovate processes
PRESET_URL_PATH = "/renovate-preset.json"

# --------------------------------------------------------------------------- fixture repos

CONTAINERD_ANNOTATION = ("# renovate: datasource=github-releases depName=containerd/containerd"
                         " versioning=semver extractVersion=^v(?<version>.+)$")
MANIFEST = f"""\
# A capi-image-builder-like tooling manifest with traps for the managers.
tools:
  - name: teleport
    # renovate: datasource=github-releases depName=gravitational/teleport
    version: 17.4.2                 # plain version
    providers: [capa, capz, capv, capvcd, capmox]
  - name: image-builder             # upstream build input, pre-1.0, v prefix kept
    # renovate: datasource=github-releases depName=kubernetes-sigs/image-builder
    version: v0.1.44
    providers: [capa, capz, capv, capvcd, capmox]
  - name: containerd                # explicit versioning and extractVersion, quoted value
    {CONTAINERD_ANNOTATION}
    version: "1.7.27"
    providers: [capa, capz]
  - name: node-agent                # annotated, but not directly above its version
    version: 3.0.0
    # renovate: datasource=github-releases depName=example/node-agent
    providers: [capa]
  - name: node-exporter             # no annotation: Renovate must not see it
    version: 1.9.1
    providers: [capa]
  # renovate: datasource=github-tags depName=falcosecurity/falco
  - version: 0.40.0                 # version as the first key of its list item
    name: falco
    providers: [capa]
"""

NOT_A_MANIFEST = """\
# Documentation snippet: same annotation, but not a tooling manifest file.
  - name: teleport
    # renovate: datasource=github-releases depName=gravitational/teleport
    version: 1.0.0
"""

WORKFLOW = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4.1.0
"""

# dependency -> (version in the manifest, datasource)
ANNOTATED = {
    "gravitational/teleport": ("17.4.2", "github-releases"),
    "kubernetes-sigs/image-builder": ("v0.1.44", "github-releases"),
    "containerd/containerd": ("1.7.27", "github-releases"),
    "falcosecurity/falco": ("0.40.0", "github-tags"),
}

# Copied from the real releases repository (tests/data/releases-sample).
SAMPLE_RELEASES = [
    "capa/v34.5.0", "capa/v34.4.0", "azure/v34.5.0", "eks/v33.0.0", "vsphere/v34.2.0",
    "aks/v35.1.0",  # no flatcar, no os-tooling: no node image of ours
    "capa/archived/v29.0.0",  # archived, *with* os-tooling 1.15.0: must stay untouched
    "capa/archived/v26.0.0",  # archived legacy (flatcar-variant)
    "azure/archived/v11.0.0",  # archived vintage (containerlinux)
]

LEGACY_CURRENT = """\
apiVersion: release.giantswarm.io/v1alpha1
kind: Release
metadata:
  name: aws-28.2.0
spec:
  apps:
  - name: cilium
    version: 0.25.1
  components:
  - name: cluster-aws
    catalog: cluster
    version: 1.3.0
  - name: flatcar
    version: 3815.2.5
  - name: flatcar-variant
    version: 2.0.0
  - name: kubernetes
    version: 1.28.11
  date: "2024-07-01T10:00:00Z"
  state: active
"""

PREVIEW_UNSORTED = """\
apiVersion: release.giantswarm.io/v1alpha1
kind: Release
metadata:
  name: cloud-director-35.0.0
spec:
  apps:
  - name: cilium
    version: 1.4.3
  components:
  - name: os-tooling
    version: 1.33.1
  - name: cluster-cloud-director
    catalog: cluster
    version: 2.4.0
  - name: kubernetes
    version: 1.35.1
  - name: flatcar
    version: 4593.2.4
  date: "2026-08-01T09:00:00Z"
  state: preview
"""

NESTED_TOO_DEEP = """\
# Not <dir>/v*/release.yaml at the top of the repository: not a release.
spec:
  components:
  - name: flatcar
    version: 1.0.0
  - name: os-tooling
    version: 1.0.0
"""

# file -> (os-tooling, flatcar, kubernetes) of every release that has a node image of ours
CURRENT_RELEASES = {
    "capa/v34.5.0/release.yaml": ("1.33.1", "4593.2.4", "1.34.10"),
    "capa/v34.4.0/release.yaml": ("1.31.0", "4593.2.2", "1.34.7"),
    "azure/v34.5.0/release.yaml": ("1.33.1", "4593.2.4", "1.34.10"),
    "eks/v33.0.0/release.yaml": ("1.26.4", "4459.2.3", "1.33.8"),
    "vsphere/v34.2.0/release.yaml": ("1.28.0", "4459.2.4", "1.34.7"),
    "cloud-director/v35.0.0/release.yaml": ("1.33.1", "4593.2.4", "1.35.1"),
}

# What the loopback GitHub knows: repository -> tags, newest first.
FAKE_GITHUB = {
    # v17.4.2 itself is missing (deleted, or beyond the fetched page): the new values must
    # still follow the current value's style
    "gravitational/teleport": ["v18.0.0", "v17.5.0", "v17.4.3"],
    "kubernetes-sigs/image-builder": ["v0.2.0", "v0.1.45", "v0.1.44"],
    "containerd/containerd": ["v1.7.28", "v1.7.27"],
    "falcosecurity/falco": ["0.41.0", "0.40.1", "0.40.0"],
    "actions/checkout": ["v5.0.0", "v4.2.0", "v4.1.0"],
}

# The Release CR manager the preset carried before it left Release CRs alone (os-tooling
# component of <dir>/v*/release.yaml). The control run adds it to the releases repository's
# own config: it proves Renovate reads the very files the preset now leaves alone.
OLD_RELEASE_CR_MANAGER = {
    "customType": "regex",
    "fileMatch": ["^[^/]+/v[^/]+/release\\.yaml$"],
    "matchStrings": [
        "\\n[ \\t]*-[ \\t]+name:[ \\t]*[\"']?os-tooling[\"']?[ \\t]*\\r?\\n[ \\t]+version:[ \\t]*"
        "[\"']?(?<currentValue>[^\\s\"'#]+)"
    ],
    "depNameTemplate": "os-tooling",
    "packageNameTemplate": "giantswarm/capi-image-builder",
    "datasourceTemplate": "github-tags",
    "depTypeTemplate": "release-component",
}


@pytest.fixture(scope="module")
def preset_server():
    with rh.FileServer({PRESET_URL_PATH: rh.PRESET_PATH.read_bytes()}) as server:
        yield server


def _repo_config(preset_server, *rules: dict[str, Any], **settings: Any) -> str:
    """The repository's renovate.json: extends the preset by URL, as a real repository
    extends ``github>giantswarm/os-tooling:renovate-preset``, plus its own settings."""
    config: dict[str, Any] = {"extends": [preset_server.url + PRESET_URL_PATH], **settings}
    if rules:
        config["packageRules"] = list(rules)
    return json.dumps(config, indent=2) + "\n"


def _image_builder_files(preset_server) -> dict[str, str]:
    return {
        # no rule of its own: its policy maps teleport majors to minor os-tooling releases
        # (see _policy), and the preset's labels must not override that
        "renovate.json": _repo_config(preset_server, addLabels=["dependencies"]),
        "os-tooling.yaml": MANIFEST,
        "docs/manifest-example.yaml": NOT_A_MANIFEST,
        ".github/workflows/ci.yaml": WORKFLOW,
    }


def _releases_files(preset_server, *custom_managers: dict[str, Any]) -> dict[str, str]:
    """A releases-like repository: published releases (real samples and written ones), a
    workflow (so that some other manager has something to find), the preset extended."""
    files = {f"{rel}/release.yaml": (SAMPLES / rel / "release.yaml").read_text()
             for rel in SAMPLE_RELEASES}
    files["capa/v28.2.0/release.yaml"] = LEGACY_CURRENT
    files["cloud-director/v35.0.0/release.yaml"] = PREVIEW_UNSORTED
    files["sandbox/notes/v1.0.0/release.yaml"] = NESTED_TOO_DEEP
    files["capa/v34.5.0/README.md"] = "  - name: os-tooling\n    version: 0.0.1\n"
    files[".github/workflows/ci.yaml"] = WORKFLOW
    settings = {"customManagers": list(custom_managers)} if custom_managers else {}
    files["renovate.json"] = _repo_config(preset_server, **settings)
    return files


def _run(workdir: Path, files: dict[str, str], dry_run: str, log_level: str) -> rh.RenovateRun:
    """One Renovate run on its own git repository, with its own fake GitHub."""
    repo = rh.make_git_repo(workdir / "repo", files)
    with rh.FakeGitHub(FAKE_GITHUB) as github:
        config = {
            "githubTokenWarn": False,  # the self-hosted config: operational settings only
            # every GitHub lookup goes to the loopback fake (--dry-run=lookup only)
            "packageRules": [{"matchDatasources": ["github-releases", "github-tags"],
                              "registryUrls": [github.url]}],
        }
        run = rh.run_renovate(repo, config, workdir, dry_run=dry_run, log_level=log_level)
        run.github_requests = list(github.requests)
    assert run.returncode == 0, run.describe()
    assert not run.errors(), run.describe()
    assert run.proxied == [], f"Renovate tried to leave loopback: {run.proxied}"
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory, preset_server) -> dict[str, rh.RenovateRun]:
    """The four Renovate runs, concurrently (each on its own copy of its repository).

    The lookup logs at trace level: the update configs (labels, groups, automerge) and PR
    titles are logged at trace level only.
    """
    work = tmp_path_factory.mktemp("renovate")
    builder, releases = _image_builder_files(preset_server), _releases_files(preset_server)
    control = _releases_files(preset_server, OLD_RELEASE_CR_MANAGER)
    jobs = {
        "builder-extract": (builder, "extract", "info"),
        "releases-extract": (releases, "extract", "info"),
        "releases-control": (control, "extract", "info"),
        "builder-lookup": (builder, "lookup", "trace"),
    }
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        futures = {name: pool.submit(_run, work / name, *job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="module")
def builder_extract(runs):
    return runs["builder-extract"]


@pytest.fixture(scope="module")
def releases_extract(runs):
    return runs["releases-extract"]


@pytest.fixture(scope="module")
def builder_lookup(runs):
    return runs["builder-lookup"]


@pytest.fixture(scope="module")
def releases_control(runs):
    return runs["releases-control"]


def _branch_upgrades(run: rh.RenovateRun) -> list[dict[str, Any]]:
    """Each upgrade as Renovate hands it to a branch: all package rules applied."""
    return [u for r in run.messages("generateBranchConfig") for u in r["config"]]


def _pr_titles(run: rh.RenovateRun) -> set[str]:
    return {json.loads(r["msg"][len("prTitle: "):]) for r in run.records
            if r.get("msg", "").startswith("prTitle: ")}


# --------------------------------------------------------------------------- installation


def test_renovate_is_installed():
    for binary in (rh.RENOVATE_BIN, rh.VALIDATOR_BIN):
        rh.require_binary(binary)


def test_renovate_is_the_pinned_version(builder_extract):
    started = builder_extract.messages("Repository started")
    assert started and started[0]["renovateVersion"] == rh.renovate_version()


# --------------------------------------------------------------------------- validator


def _break_regex(p):
    p["customManagers"][0]["matchStrings"][0] += "("


def _unknown_option(p):
    p["packageRules"][0]["matchFileNamez"] = ["os-tooling.yaml"]


def _no_datasource(p):
    manager = p["customManagers"][0]  # no datasourceTemplate: the regex group must name it
    manager["matchStrings"] = [s.replace("?<datasource>", "?<source>")
                               for s in manager["matchStrings"]]


def _renovate_41_name(p):
    p["customManagers"][0]["managerFilePatterns"] = p["customManagers"][0].pop("fileMatch")


BREAKAGES = {
    "bad-regex": (_break_regex, "Invalid regExp for customManagers"),
    "unknown-option": (_unknown_option,
                       "Invalid configuration option: packageRules[0].matchFileNamez"),
    "missing-datasource": (_no_datasource,
                           "must contain datasourceTemplate configuration or regex group named"),
    # Renovate >= 41 calls fileMatch managerFilePatterns; for 39 it is unknown. This is why
    # the preset keeps fileMatch, which 41+ migrates when it loads the preset.
    "managerFilePatterns": (_renovate_41_name,
                            "Invalid configuration option: customManagers[0].managerFilePatterns"),
}


# Renovate >= 41 renamed fileMatch to managerFilePatterns and migrates presets on load. The
# pin (39) is checked strictly; with OS_TOOLING_RENOVATE_DIR pointing at a newer Renovate the
# preset must pass as-is apart from the migration notice, and strictly once migrated.
NEW_NAMES = 41


@pytest.fixture(scope="module")
def validations(tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """The validator, as a preset, on the preset ("good") and on all broken copies at once
    ("broken": the validator checks every entry of renovate-config), concurrently."""
    work = tmp_path_factory.mktemp("validate")
    major = rh.renovate_major()
    broken = {}
    for name, (breakage, _expected) in BREAKAGES.items():
        if name == "managerFilePatterns" and major >= NEW_NAMES:
            continue
        broken[name] = copy.deepcopy(rh.load_preset())
        breakage(broken[name])
    jobs = {"good": ({"default": rh.load_preset()}, major < NEW_NAMES),
            "broken": (broken, True)}
    if major >= NEW_NAMES:
        jobs["migrated"] = ({"default": rh.with_manager_file_patterns(rh.load_preset())}, True)
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        futures = {name: pool.submit(rh.validate_presets, presets, work / name, strict)
                   for name, (presets, strict) in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_preset_is_valid_as_a_preset(validations):
    result = validations["good"]
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Validating package.json > renovate-config" in out, out
    if "migrated" in validations:  # Renovate >= 41: fileMatch is migrated, nothing else
        notices = re.findall(r"^ *(?:WARN|ERROR): (.*)$", out, re.M)
        assert "Config migration necessary" in notices, out
        assert all(n.startswith("Config migration") for n in notices), out
        migrated = validations["migrated"]
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert "Config validated successfully" in migrated.stdout + migrated.stderr
    else:
        assert "Config validated successfully" in out, out


def test_broken_copies_fail_validation(validations):
    result = validations["broken"]
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "Validating package.json > renovate-config" in out, out
    for name, (_breakage, expected) in BREAKAGES.items():
        if name == "managerFilePatterns" and "migrated" in validations:
            continue
        assert expected in out, f"{name}: {out}"


def test_every_package_rule_is_scoped_to_its_files():
    for rule in rh.load_preset()["packageRules"]:
        assert rule.get("matchManagers") == ["custom.regex"], rule
        assert rule.get("matchFileNames"), rule
        assert rule.get("matchDepTypes"), rule


# --------------------------------------------------------------------------- extraction


def test_preset_is_fetched_by_url(preset_server, runs):
    assert preset_server.requests
    assert {r["path"] for r in preset_server.requests} == {PRESET_URL_PATH}


def _regex_deps(run: rh.RenovateRun) -> list[dict[str, Any]]:
    return [d for d in run.extracted() if d["manager"] == "regex"]


def test_every_annotated_tool_is_extracted_with_its_version(builder_extract):
    found = {(d["depName"], d["currentValue"], d["datasource"], d["file"])
             for d in _regex_deps(builder_extract)}
    expected = {(name, value, ds, "os-tooling.yaml")
                for name, (value, ds) in ANNOTATED.items()}
    assert found == expected
    assert all(d["depType"] == "os-tooling-binary" for d in _regex_deps(builder_extract))


def test_v_prefix_is_kept_in_the_extracted_version(builder_extract):
    (dep,) = [d for d in _regex_deps(builder_extract)
              if d["depName"] == "kubernetes-sigs/image-builder"]
    assert dep["currentValue"] == "v0.1.44"


def test_optional_annotation_fields_are_read(builder_extract):
    deps = {d["depName"]: d for d in _regex_deps(builder_extract)}
    assert deps["containerd/containerd"]["versioning"] == "semver"
    assert deps["containerd/containerd"]["extractVersion"] == "^v(?<version>.+)$"
    assert deps["gravitational/teleport"]["versioning"] == "semver-coerced"
    assert "extractVersion" not in deps["gravitational/teleport"]


def test_unannotated_and_misplaced_tools_are_not_extracted(builder_extract):
    deps = _regex_deps(builder_extract)
    assert not [d for d in deps if d["currentValue"] in {"1.9.1", "3.0.0", "1.0.0"}]
    assert not [d for d in deps if d["depName"] == "example/node-agent"]
    assert {d["file"] for d in deps} == {"os-tooling.yaml"}


def test_each_annotation_pairs_with_its_own_version_line(builder_extract):
    for dep in _regex_deps(builder_extract):
        comment, version_line = dep["replaceString"].split("\n")
        assert f"depName={dep['depName']}" in comment
        assert re.fullmatch(r"\s*(- )?version: \"?" + re.escape(dep["currentValue"]) + '"?',
                            version_line), dep["replaceString"]


def test_the_fixture_would_catch_a_pattern_spanning_list_items():
    """Control: a pattern spanning lines pairs example/node-agent with node-exporter's
    version in this manifest, so the two tests above do prove the pairing rule."""
    naive = re.compile(r"#\s*renovate:.*?depName=(\S+)[\s\S]*?version:\s*(\S+)")
    assert ("example/node-agent", "1.9.1") in naive.findall(MANIFEST)


def test_other_managers_are_left_to_the_repository(builder_extract):
    other = [d for d in builder_extract.extracted() if d["manager"] != "regex"]
    assert ("github-actions", "actions/checkout") in {(d["manager"], d["depName"]) for d in other}
    # (newer Renovate also reads the extended presets from renovate.json)
    assert {d["file"] for d in other} <= {".github/workflows/ci.yaml", "renovate.json"}
    assert not [d for d in other if d.get("depType") == "os-tooling-binary"]


def _by_file(run: rh.RenovateRun) -> dict[str, dict[str, dict[str, Any]]]:
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for dep in _regex_deps(run):
        assert dep["depName"] not in result.get(dep["file"], {}), dep
        result.setdefault(dep["file"], {})[dep["depName"]] = dep
    return result


def test_nothing_is_extracted_from_any_release_file(releases_extract):
    """A published Release CR keeps its node image: the preset never proposes to change a
    release.yaml (docs/renovate.md), current, legacy, archived or in preview."""
    deps = releases_extract.extracted()
    assert not [d for d in deps if d["file"].endswith("release.yaml")], deps
    assert not _regex_deps(releases_extract)
    values = {d.get("currentValue") for d in deps}
    assert not values & {v for versions in CURRENT_RELEASES.values() for v in versions}
    # Renovate did read the repository: the workflow's action is found
    assert ("github-actions", "actions/checkout") in {(d["manager"], d["depName"]) for d in deps}
    assert {d["file"] for d in deps} <= {".github/workflows/ci.yaml", "renovate.json"}


def test_control_the_old_release_cr_manager_reads_the_same_published_releases(releases_control):
    """The same repository with the Release CR manager the preset used to carry: os-tooling is
    extracted from every published release that has it, so the test above can fail."""
    found = {d["file"]: d["currentValue"] for d in _regex_deps(releases_control)
             if d["depName"] == "os-tooling"}
    assert found == {file: versions[0] for file, versions in CURRENT_RELEASES.items()}


def test_the_preset_has_no_manager_or_rule_for_release_files():
    preset = rh.load_preset()
    release_files = [f"{rel}/release.yaml" for rel in SAMPLE_RELEASES] + list(CURRENT_RELEASES)
    for manager in preset["customManagers"]:
        for pattern in manager["fileMatch"]:
            assert not [f for f in release_files if re.search(pattern, f)], pattern
    for rule in preset["packageRules"]:
        assert "release-component" not in rule.get("matchDepTypes", [])
        assert not [g for g in rule.get("matchFileNames", []) if "release" in g], rule
    assert "release.yaml" not in json.dumps(preset["customManagers"])


# --------------------------------------------------------------------------- lookup


def _updates(run: rh.RenovateRun) -> dict[tuple[str, str], list[dict[str, Any]]]:
    return {(d["file"], d["depName"]): d.get("updates", []) for d in run.looked_up()}


def test_lookup_proposes_updates_in_the_current_values_style(builder_lookup):
    updates = _updates(builder_lookup)
    proposed = {(dep, u["newValue"], u["updateType"])
                for (file, dep), ups in updates.items() if file == "os-tooling.yaml"
                for u in ups}
    assert proposed == {
        ("gravitational/teleport", "17.4.3", "patch"),
        ("gravitational/teleport", "17.5.0", "minor"),
        ("gravitational/teleport", "18.0.0", "major"),
        ("kubernetes-sigs/image-builder", "v0.1.45", "patch"),
        ("kubernetes-sigs/image-builder", "v0.2.0", "minor"),  # Renovate: minor; policy: major
        ("containerd/containerd", "1.7.28", "patch"),
        ("falcosecurity/falco", "0.40.1", "patch"),
        ("falcosecurity/falco", "0.41.0", "minor"),
    }


def test_manifest_updates_get_labels_groups_and_titles(builder_lookup):
    upgrades = [u for u in _branch_upgrades(builder_lookup)
                if u.get("packageFile") == "os-tooling.yaml"]
    assert len(upgrades) == 8
    for u in upgrades:
        assert u["labels"] == [f"binary/{u['updateType']}"], u["depName"]  # informational
        assert not [label for label in u["labels"] + u.get("addLabels", [])
                    if label.startswith("release/")], u  # the action's level labels: people's
        assert "dependencies" in u["addLabels"]  # the repository's own labels stay
        assert u.get("automerge") is False
        if u["updateType"] == "patch":
            assert u["branchName"] == "renovate/patch-os-tooling-binaries"
            assert u["groupName"] == "os-tooling binaries"
        else:
            assert not u.get("groupName"), u
    branches = {}
    for u in upgrades:
        branches.setdefault(u["branchName"], set()).add(u["updateType"])
    assert all(len(types) == 1 for types in branches.values()), branches
    assert {b for b, t in branches.items() if t == {"major"}} == {
        "renovate/gravitational-teleport-18.x"}
    assert {
        "Update os-tooling binaries (patch)",
        "Update os-tooling binary gravitational/teleport to v17.5.0",
        "Update os-tooling binary gravitational/teleport to v18",
        "Update os-tooling binary kubernetes-sigs/image-builder to v0.2.0",
        "Update os-tooling binary falcosecurity/falco to v0.41.0",
    } <= _pr_titles(builder_lookup)


def test_rules_leave_other_dependencies_alone(builder_lookup):
    others = [u for u in _branch_upgrades(builder_lookup)
              if u.get("packageFile") != "os-tooling.yaml"]
    assert others, "the workflow's actions/checkout should get updates too"
    for u in others:
        assert u["depName"] == "actions/checkout"
        assert not [label for label in u.get("addLabels", []) + u.get("labels", [])
                    if label.startswith("release/")]
        assert "dependencies" in u["addLabels"]
        assert u.get("groupName") in (None, "")
        assert "os-tooling" not in u.get("commitMessageTopic", "")
        assert u.get("versionCompatibility") is None


# --------------------------------------------------------------------------- os-tooling plan


def _os_tooling(*args: str) -> dict[str, Any]:
    """``os-tooling ARGS --format json`` in a child process (the CLI contract)."""
    env = rh.clean_env()
    src = str(rh.REPO_ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "os_tooling", *args, "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def _plan(base: Path, head: Path, *extra: str) -> dict[str, Any]:
    return _os_tooling("plan", "--base", str(base), "--head", str(head),
                       "--current-version", "1.33.1", *extra)


def test_validate_warns_exactly_about_the_tools_renovate_skips(tmp_path, builder_extract):
    """``os-tooling validate`` and the preset agree on which tools Renovate can bump."""
    manifest = tmp_path / "os-tooling.yaml"
    manifest.write_text(MANIFEST)
    result = _os_tooling("validate", str(manifest))
    warned = {w["line"] for w in result["warnings"] if "renovate" in w["message"]}
    version_lines = {number for number, line in enumerate(MANIFEST.splitlines(), 1)
                     if re.match(r"\s*(- )?version:", line)}
    bumped = set()
    for dep in _regex_deps(builder_extract):
        start = MANIFEST.index(dep["replaceString"])  # the comment; its version is 1 line below
        bumped.add(MANIFEST.count("\n", 0, start) + 2)
    assert len(bumped) == len(ANNOTATED)
    assert warned == version_lines - bumped
    assert not warned & bumped


def _apply(text: str, dep: dict[str, Any], new_value: str) -> str:
    """Renovate's replacement: the new value in place of the old, inside the matched text."""
    old = dep["replaceString"]
    assert text.count(old) == 1, old
    return text.replace(old, old.replace(dep["currentValue"], new_value))


def _policy(pre_one_zero: str | None) -> str:
    """capi-image-builder's policy block: teleport majors are minor os-tooling releases."""
    lines = ["policy:", *([f"  preOneZero: {pre_one_zero}"] if pre_one_zero else []),
             "  tools:", "    teleport: {major: minor, minor: minor, patch: patch}"]
    return "\n".join(lines) + "\n"


# (dependency, new value) -> (Renovate's update type, plan level by default,
#                             plan level with policy.preOneZero: minor)
EXPECTED_LEVELS = {
    ("gravitational/teleport", "17.5.0"): ("minor", "minor", "minor"),
    ("gravitational/teleport", "18.0.0"): ("major", "minor", "minor"),  # policy.tools map
    ("kubernetes-sigs/image-builder", "v0.2.0"): ("minor", "major", "minor"),  # pre-1.0
    ("falcosecurity/falco", "0.41.0"): ("minor", "major", "minor"),  # pre-1.0
}


@pytest.mark.parametrize("pre_one_zero", [None, "minor"])
def test_plan_agrees_with_renovates_update_type(tmp_path, builder_lookup, pre_one_zero):
    """Each PR Renovate would open, applied to the manifest: ``os-tooling plan`` gives
    Renovate's update type, except where the policy says otherwise (pre-1.0 minors, a
    policy.tools map), and the labels Renovate puts on the PR never change the plan's level.
    A release/<level> label that a person sets still declares one."""
    base_text = MANIFEST + _policy(pre_one_zero)
    base = tmp_path / "base.yaml"
    base.write_text(base_text)
    labels = {(u["depName"], u["newValue"]): u["labels"]
              for u in _branch_upgrades(builder_lookup)
              if u.get("packageFile") == "os-tooling.yaml"}
    patch_head, patch_labels, seen, renovate_labels = base_text, set(), {}, set()
    for dep in [d for d in builder_lookup.looked_up() if d["file"] == "os-tooling.yaml"]:
        for update in dep["updates"]:
            key = (dep["depName"], update["newValue"])
            if update["updateType"] == "patch":  # the patch group: one PR, applied together
                patch_head = _apply(patch_head, dep, update["newValue"])
                patch_labels.update(labels[key])
                continue
            renovate_type, default_level, relaxed_level = EXPECTED_LEVELS[key]
            assert update["updateType"] == renovate_type, key
            expected = default_level if pre_one_zero is None else relaxed_level
            head = tmp_path / f"head-{len(seen)}.yaml"
            head.write_text(_apply(base_text, dep, update["newValue"]))
            assert _plan(base, head)["level"] == expected, key
            label_args = [arg for label in labels[key] for arg in ("--label", label)]
            assert _plan(base, head, *label_args)["level"] == expected, (key, labels[key])
            renovate_labels.update(labels[key])
            seen[key] = head
    assert set(seen) == set(EXPECTED_LEVELS)
    head = tmp_path / "head-patch-group.yaml"
    head.write_text(patch_head)
    assert patch_labels == {"binary/patch"}
    assert _plan(base, head)["level"] == "patch"
    assert _plan(base, head, "--label", "binary/patch")["level"] == "patch"
    # teleport 18 is a Renovate major the policy maps to a minor release: its PR carries
    # Renovate's binary/major, and the plan stays minor (the preset used to label it
    # release/major, which the action read as a declared major)
    teleport_major = seen[("gravitational/teleport", "18.0.0")]
    assert labels[("gravitational/teleport", "18.0.0")] == ["binary/major"]
    assert _plan(base, teleport_major, *[a for label in sorted(renovate_labels | patch_labels)
                                         for a in ("--label", label)])["level"] == "minor"
    # a person's release/<level> label still declares a level: on the same PR, and for a
    # change outside the manifest (the manifest itself unchanged)
    assert _plan(base, teleport_major, "--label", "release/major")["level"] == "major"
    assert _plan(base, base)["level"] == "none"
    assert _plan(base, base, "--label", "release/minor")["level"] == "minor"
