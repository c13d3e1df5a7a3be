"""Forged reports through build-matrix and build-vars: hostile Release CRs, paths and versions
are shown inertly in text, Markdown (rendered with cmark-gfm) and JSON, in the action's
summary, annotations and outputs too."""

from __future__ import annotations

import json

from tests.action_helpers import TOKEN, run_action
from tests.gfm import check_markdown, check_text
from tests.helpers import manifest_text
from tests.test_hostile_reports import (  # noqa: F401  (fixtures: hostile_dir, releases)
    HOSTILE,
    PATH_PART,
    all_formats,
    check_json,
    hostile_dir,
    hostile_manifest,
    releases,
)


def test_build_matrix(cli, releases):  # noqa: F811
    catalog = releases.parent / "catalog.yaml"
    out = all_formats(cli, "build-matrix", "--releases", str(releases), "--tooling", "1.2.0",
                      "--catalog", str(catalog))
    page = check_markdown(out["markdown"])
    shown = "".join(page.text)
    assert "Release files that cannot be used" in shown and "FORGED" in shown  # shown, inert
    assert "\\x1b" in out["text"] and "FORGED" not in [line[:6] for line in out["text"].splitlines()]
    data = json.loads(out["json"])
    invalid = [r for r in data["releases"] if r["status"] == "invalid"]
    assert invalid and HOSTILE.split()[0] in invalid[0]["reason"]  # JSON keeps the value
    assert [e["image"] for e in data["include"]] == [
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.2.0-gs"]  # the good releases still build


def test_build_vars(cli, hostile_dir):  # noqa: F811
    (hostile_dir / "os-tooling.yaml").write_text(hostile_manifest())
    bad = cli("build-vars", "--provider", "capa", "--manifest", f"{PATH_PART}/os-tooling.yaml")
    assert bad.code == 1 and len(bad.err.splitlines()) == 1
    check_text(bad.err)
    (hostile_dir / "ok.yaml").write_text(manifest_text(
        {"name": "teleport", "version": "17.4.2-www.evil.example", "allowPrerelease": True,
         "providers": ["capa"]}))
    out = all_formats(cli, "build-vars", "--provider", "capa", "--manifest", f"{PATH_PART}/ok.yaml")
    check_markdown(out["markdown"])
    assert json.loads(out["json"])["tools"] == {"teleport": "17.4.2-www.evil.example"}
    for fmt in ("packer", "env"):
        result = cli("build-vars", "--provider", "capa", "--manifest", f"{PATH_PART}/ok.yaml",
                     "--format", fmt)
        assert result.code == 0
        check_text(result.out.replace("\n", " "))


def test_action_build_matrix_with_hostile_releases(tmp_path, releases):  # noqa: F811
    result = run_action(tmp_path / "runner", releases, {
        "token": TOKEN, "command": "build-matrix", "releases": str(releases), "tooling": "1.2.0",
        "catalog": str(releases.parent / "catalog.yaml")})
    assert result.code == 1, result.stdout + result.stderr
    check_markdown(result.summary)
    for annotation in result.annotations():
        check_text(annotation.data)
    matrix = json.loads(result.outputs["matrix"])
    assert len(matrix["include"]) == 1
    check_json(result.outputs["report"])
