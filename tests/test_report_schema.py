"""Every command's JSON report holds to docs/report.schema.json.

Each command runs in the scenarios that give its report different shapes (valid and invalid
input, findings, every gate status, dry runs and real local releases, a release PR and a
single file, a refusal), and every report is validated against the command's definition in
the schema. The schema is strict (an object lists all its keys), and it is shown able to fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from os_tooling.cli.main import COMMANDS
from tests.gate_helpers import CATALOG, make_releases_repo, make_tooling_repo, release_files
from tests.helpers import EXAMPLE_MANIFEST, ROOT, GitRepo, manifest_text
from tests.report_schema import SCHEMA, check

SAMPLE_CR = ROOT / "tests" / "data" / "releases-sample" / "capa" / "v34.5.0" / "release.yaml"
IMAGE = "flatcar-stable-4593.2.4-kube-1.34.10-tooling-{}-gs"  # capa/v34.5.0's, any os-tooling


# -- the scenarios: each runs the command and returns its JSON reports ------------------------------
def json_reports(cli, command: str, *args: object, codes=(0, 1)) -> dict:
    result = cli(command, *map(str, args), "--format", "json")
    assert result.code in codes, (command, args, result.code, result.err)
    return json.loads(result.out)


def validate_reports(cli, tmp: Path) -> list[dict]:
    unannotated = tmp / "unannotated.yaml"
    unannotated.write_text("tools:\n  - name: teleport\n    version: 17.4.2\n    providers: [capa]\n")
    invalid = tmp / "invalid.yaml"
    invalid.write_text("tools:\n  - name: Teleport\n    verison: 1\n    providers: [nope, nope]\n")
    return [json_reports(cli, "validate", EXAMPLE_MANIFEST),
            json_reports(cli, "validate", unannotated),
            json_reports(cli, "validate", "--strict", unannotated, invalid)]


def plan_reports(cli, tmp: Path) -> list[dict]:
    base, head, bad = tmp / "base.yaml", tmp / "head.yaml", tmp / "bad.yaml"
    base.write_text(manifest_text({"name": "teleport", "version": "17.4.2"},
                                  {"name": "gone", "version": "1.0.0"},
                                  {"name": "agent", "version": "0.1.0"}))
    head.write_text(manifest_text({"name": "teleport", "version": "18.0.0"},
                                  {"name": "added", "version": "2.0.0"},
                                  {"name": "agent", "version": "0.2.0"}))
    bad.write_text("tools: [")
    repo = GitRepo(tmp / "capi")
    repo.write("os-tooling.yaml", EXAMPLE_MANIFEST.read_text())
    repo.write("ansible/site.yml", "x\n")
    repo.commit("base")
    repo.write("ansible/site.yml", "y\n")
    repo.commit("ansible change\n\nRelease-Level: minor")
    return [json_reports(cli, "plan", "--base", base, "--head", head, "--current-version", "1.2.3",
                         "--label", "release/patch", "--label", "release/bogus"),
            json_reports(cli, "plan", "--base", base, "--head", base),
            json_reports(cli, "plan", "--base", base, "--head", bad),
            json_reports(cli, "plan", "--base-ref", "HEAD~1", "--manifest",
                         repo.path / "os-tooling.yaml")]


def gate_reports(cli, tmp: Path) -> list[dict]:
    releases = make_releases_repo(tmp / "releases")
    tooling = make_tooling_repo(tmp / "tooling").path
    unknown = releases / "capa" / "v34.6.0" / "release.yaml"  # its image is in no catalog
    unknown.parent.mkdir()
    unknown.write_text(SAMPLE_CR.read_text().replace("aws-34.5.0", "aws-34.6.0")
                       .replace("version: 1.33.1", "version: 1.33.99"))
    files = [str(p) for p in release_files(releases)]
    common = ("--catalog", CATALOG, "--repo-root", releases)
    every = json_reports(cli, "gate", *files, *common, "--tooling-repo", tooling)
    missing = json_reports(cli, "gate", unknown, *common, "--no-tooling-checks")
    git = GitRepo(releases)
    git.commit("releases")  # published: changing one is a violation, with details
    (releases / "capa/v34.5.0/release.yaml").write_text(
        (releases / "capa/v34.5.0/release.yaml").read_text().replace("1.33.1", "1.34.0"))
    git.commit("change a published release")
    published = json_reports(cli, "gate", "--base-ref", "HEAD~1", *common, "--no-tooling-checks")
    reports = [every, missing, published]
    statuses = {r["status"] for report in reports for r in report["releases"]}
    assert statuses == {"ok", "skipped", "missing", "violation", "error"}
    return reports


def tooling_repo(tmp: Path) -> Path:
    return make_tooling_repo(tmp / "tooling").path


def describe_reports(cli, tmp: Path) -> list[dict]:
    return [json_reports(cli, "describe", "1.33.1", "--tooling-repo", tooling_repo(tmp))]


def diff_reports(cli, tmp: Path) -> list[dict]:
    tooling = tooling_repo(tmp)
    return [json_reports(cli, "diff", "1.26.4", "1.33.1", "--tooling-repo", tooling),
            json_reports(cli, "diff", "2.0.0", "1.33.1", "--tooling-repo", tooling)]


def release_reports(cli, tmp: Path) -> list[dict]:
    repo = GitRepo(tmp / "capi")
    repo.write("os-tooling.yaml", EXAMPLE_MANIFEST.read_text())
    repo.commit("first")
    local = ("--local", "--repo-root", repo.path)
    dry_run = json_reports(cli, "release", *local, "--dry-run")
    first = json_reports(cli, "release", *local, "--notes-file", tmp / "notes.md")
    again = json_reports(cli, "release", *local)
    repo.write("README.md", "docs\n")
    repo.commit("docs only")
    nothing = json_reports(cli, "release", *local)
    assert [r["outcome"] for r in (dry_run, first, again, nothing)] == [
        "dry-run", "released", "already-released", "nothing-to-release"]
    return [dry_run, first, again, nothing]


def catalog(tmp: Path) -> Path:
    path = tmp / "catalog.json"
    path.write_text(json.dumps({"capa": [IMAGE.format("1.33.1"), IMAGE.format("1.34.0")],
                                "capz": [IMAGE.format("1.33.1")]}))
    return path


def release_pr(tmp: Path) -> GitRepo:
    repo = GitRepo(tmp / "releases")
    repo.write("capa/v34.5.0/release.yaml", SAMPLE_CR.read_text())
    repo.commit("published")
    repo.git("checkout", "-q", "-b", "release-v34.6.0")
    repo.write("capa/v34.6.0/release.yaml",
               SAMPLE_CR.read_text().replace("name: aws-34.5.0", "name: aws-34.6.0"))
    repo.write("aks/v35.0.0/release.yaml", (ROOT / "tests/data/releases-sample/aks/v35.1.0/"
                                            "release.yaml").read_text().replace("35.1.0", "35.0.0"))
    repo.commit("Add aws-34.6.0")
    return repo


def available_reports(cli, tmp: Path) -> list[dict]:
    images = catalog(tmp)
    repo = release_pr(tmp)
    return [json_reports(cli, "available", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10",
                         "--provider", "capa", "--provider", "capz", "--catalog", images),
            json_reports(cli, "available", "--flatcar", "1.0.0", "--kubernetes", "1.0.0",
                         "--catalog", images),
            json_reports(cli, "available", "--base-ref", "main", "--repo-root", repo.path,
                         "--catalog", images)]


def bump_reports(cli, tmp: Path) -> list[dict]:
    images = catalog(tmp)
    repo = release_pr(tmp)
    single = tmp / "single" / "capa" / "v34.5.0" / "release.yaml"
    single.parent.mkdir(parents=True)
    single.write_text(SAMPLE_CR.read_text())
    return [json_reports(cli, "bump", "--base-ref", "main", "--repo-root", repo.path, "--latest",
                         "--catalog", images, "--dry-run"),
            json_reports(cli, "bump", "--base-ref", "main", "--repo-root", repo.path,
                         "--to-tooling", "9.0.0", "--catalog", images),
            json_reports(cli, "bump", single, "--to-tooling", "1.34.0", "--catalog", images),
            json_reports(cli, "bump", single, "--to-tooling", "9.9.9", "--catalog", images)]


def image_name_reports(cli, tmp: Path) -> list[dict]:
    return [json_reports(cli, "image-name", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10",
                         "--tooling", "1.33.1"),
            json_reports(cli, "image-name", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10",
                         "--tooling", "1.33.1", "--provider", "capv", "--suffix=-tmpl")]


def schema_reports(cli, tmp: Path) -> list[dict]:
    return [json_reports(cli, "schema")]


def build_vars_reports(cli, tmp: Path) -> list[dict]:
    tooling = tooling_repo(tmp)
    return [json_reports(cli, "build-vars", "--provider", "capa", "--manifest", EXAMPLE_MANIFEST),
            json_reports(cli, "build-vars", "--provider", "capmox", "--version", "1.33.1",
                         "--tooling-repo", tooling)]


def build_matrix_reports(cli, tmp: Path) -> list[dict]:
    releases = make_releases_repo(tmp / "releases")
    broken = releases / "capa" / "v34.9.0" / "release.yaml"  # live, but unreadable: invalid
    broken.parent.mkdir()
    broken.write_text("spec: [")
    images = catalog(tmp)
    reports = [json_reports(cli, "build-matrix", "--releases", releases, "--tooling", "1.34.0",
                            "--catalog", images),
               json_reports(cli, "build-matrix", "--releases", releases, "--tooling", "1.34.0",
                            "--catalog", images, "--provider", "capz", "--include-existing")]
    statuses = {r["status"] for report in reports for r in report["releases"]}
    assert statuses >= {"live", "deprecated", "skipped", "invalid"}, statuses
    assert any(report["existing"] for report in reports)
    return reports


SCENARIOS: dict[str, Callable] = {
    "validate": validate_reports, "plan": plan_reports, "gate": gate_reports,
    "release": release_reports, "describe": describe_reports, "diff": diff_reports,
    "available": available_reports, "bump": bump_reports, "image-name": image_name_reports,
    "schema": schema_reports, "build-vars": build_vars_reports,
    "build-matrix": build_matrix_reports,
}


def test_the_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_every_command_has_a_definition_and_scenarios():
    assert set(SCENARIOS) == set(COMMANDS)
    assert set(COMMANDS) <= set(SCHEMA["$defs"])
    assert {ref["$ref"] for ref in SCHEMA["anyOf"]} == {f"#/$defs/{c}" for c in COMMANDS}


@pytest.mark.parametrize("command", sorted(SCENARIOS))
def test_every_json_report_holds_to_the_schema(cli, tmp_path, command):
    reports = SCENARIOS[command](cli, tmp_path)
    assert reports
    for data in reports:
        check(data, command)
        check(data)  # one of the schema's reports, as a reader of the action's output sees it


def test_the_schema_fails_what_it_should(cli, tmp_path):
    """A key nobody documented, a wrong type and a status outside the contract all fail."""
    [every, *_] = gate_reports(cli, tmp_path)
    check(every, "gate")
    broken = [json.loads(json.dumps(every)) for _ in range(3)]
    broken[0]["surprise"] = 1
    broken[1]["releases"][0]["status"] = "fine"
    next(r for r in broken[2]["releases"] if r["checks"])["checks"][0]["line"] = "12"
    for data in broken:
        with pytest.raises(AssertionError):
            check(data, "gate")
    (tmp_path / "plan").mkdir()
    plan = plan_reports(cli, tmp_path / "plan")[0]
    plan["level"] = "huge"
    with pytest.raises(AssertionError):
        check(plan, "plan")
