"""Release CRs: layout, classification (before the name check), name agreement, positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from os_tooling.core.release_cr import (
    GATEABLE,
    INVALID,
    SKIPPED,
    parse_release,
    parse_release_path,
)
from tests.gate_helpers import BROKEN, OVERLAY, SAMPLES, release_files

# every real sample: (relative path) -> (kind, provider, image or skip-reason word)
REAL = {
    "aks/v35.1.0": (SKIPPED, "aks", "aks"),
    "azure/archived/v11.0.0": (SKIPPED, "capz", "vintage"),
    "azure/archived/v25.0.0": (SKIPPED, "capz", "flatcar-variant"),
    "azure/v34.4.0": (GATEABLE, "capz", "flatcar-stable-4593.2.2-kube-1.34.7-tooling-1.31.0-gs"),
    "azure/v34.5.0": (GATEABLE, "capz", "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"),
    "capa/archived/v26.0.0": (SKIPPED, "capa", "flatcar-variant"),
    "capa/archived/v28.1.0": (SKIPPED, "capa", "flatcar-variant"),
    "capa/archived/v29.0.0": (GATEABLE, "capa", "flatcar-stable-3815.2.5-kube-1.29.7-tooling-1.15.0-gs"),
    "capa/v34.4.0": (GATEABLE, "capa", "flatcar-stable-4593.2.2-kube-1.34.7-tooling-1.31.0-gs"),
    "capa/v34.4.1": (GATEABLE, "capa", "flatcar-stable-4593.2.2-kube-1.34.7-tooling-1.31.0-gs"),
    "capa/v34.5.0": (GATEABLE, "capa", "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"),
    "cloud-director/v34.4.0": (GATEABLE, "capvcd", "flatcar-stable-4593.2.2-kube-1.34.7-tooling-1.31.0-gs"),
    "cloud-director/v34.5.0": (GATEABLE, "capvcd", "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"),
    "eks/v33.0.0": (GATEABLE, "eks", "flatcar-stable-4459.2.3-kube-1.33.8-tooling-1.26.4-gs"),
    "eks/v34.0.1": (GATEABLE, "eks", "flatcar-stable-4459.2.3-kube-1.34.4-tooling-1.26.4-gs"),
    "vsphere/v34.2.0": (GATEABLE, "capv", "flatcar-stable-4459.2.4-kube-1.34.7-tooling-1.28.0-gs"),
    "vsphere/v34.5.0": (GATEABLE, "capv", "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"),
}


def _load(path: Path, root: Path):
    relative = path.relative_to(root).as_posix()
    return parse_release(path.read_text(encoding="utf-8"), relative)


def test_the_table_covers_every_real_sample():
    found = {p.parent.relative_to(SAMPLES).as_posix() for p in release_files(SAMPLES)}
    assert found == set(REAL)


@pytest.mark.parametrize("relative", sorted(REAL))
def test_real_samples_are_classified(relative):
    kind, provider, expected = REAL[relative]
    release = _load(SAMPLES / relative / "release.yaml", SAMPLES)
    assert release.kind == kind, release.findings
    assert release.provider == provider
    assert str(release.version) == relative.rsplit("/v", 1)[1]
    assert release.path is not None and release.path.archived == ("archived" in relative)
    if kind == GATEABLE:
        assert release.image is not None and release.image.name == expected
        assert release.findings == []
    else:
        assert expected in release.reason
        assert release.image is None


def test_vintage_is_classified_before_the_name_check():
    # "v11.0.0" has no azure- prefix: it must be skipped as vintage, not reported as a bad name
    release = _load(SAMPLES / "azure/archived/v11.0.0/release.yaml", SAMPLES)
    assert release.kind == SKIPPED and release.findings == []
    assert "containerlinux" in release.reason


@pytest.mark.parametrize("relative, provider, version, archived", [
    ("capa/v34.5.0/release.yaml", "capa", "34.5.0", False),
    ("azure/archived/v25.0.0/release.yaml", "capz", "25.0.0", True),
    ("/srv/releases/vsphere/v34.2.0/release.yaml", "capv", "34.2.0", False),
    ("cloud-director/v34.5.0/release.yaml", "capvcd", "34.5.0", False),
    ("x/y/proxmox/archived/v1.2.3/release.yaml", "capmox", "1.2.3", True),
    ("eks/v34.0.1/release.yaml", "eks", "34.0.1", False),
    ("aks/v35.1.0/release.yaml", "aks", "35.1.0", False),
])
def test_layout(relative, provider, version, archived):
    location = parse_release_path(relative)
    assert location is not None
    assert (location.provider, str(location.version), location.archived) == (provider, version, archived)


def test_layout_root_is_the_folder_above_the_provider_directory():
    assert str(parse_release_path("/srv/rel/capa/archived/v1.0.0/release.yaml").root) == "/srv/rel"
    assert str(parse_release_path("capa/v1.0.0/release.yaml").root) == "."


@pytest.mark.parametrize("relative", [
    "capa/34.5.0/release.yaml",  # no v
    "capa/v34.5.0/README.md",
    "gcp/v34.5.0/release.yaml",  # unknown directory
    "capa/vlatest/release.yaml",
    "capa/vv1.0.0/release.yaml",
    "release.yaml",
    "capa/archived/release.yaml",
])
def test_not_the_layout(relative):
    assert parse_release_path(relative) is None


def _broken(relative: str):
    return _load(BROKEN / relative / "release.yaml", BROKEN)


def test_broken_yaml_has_a_position():
    release = _broken("capa/v40.0.0")
    assert release.kind == INVALID
    [finding] = release.findings
    assert "YAML syntax error" in finding.message
    assert finding.line == 10  # the over-indented "version:" under kubernetes


def test_name_that_belongs_to_another_directory():
    release = _broken("azure/v40.0.0")
    assert release.kind == INVALID
    [finding] = release.findings
    assert "'aws-40.0.0'" in finding.message and "azure/" in finding.message
    assert "capa/" in finding.message  # the hint where that prefix belongs
    assert (finding.line, finding.column) == (5, 9)  # metadata.name's value


def test_name_version_that_disagrees_with_the_folder():
    [finding] = _broken("vsphere/v40.1.0").findings
    assert "40.0.1" in finding.message and "vsphere-40.1.0" in finding.message


def test_name_with_a_v():
    [finding] = _broken("capa/v40.4.0").findings
    assert "no v" in finding.message


def test_missing_kubernetes_component():
    [finding] = _broken("cloud-director/v40.0.0").findings
    assert "no kubernetes" in finding.message


def test_os_tooling_that_is_not_a_version_points_at_its_line():
    release = _broken("proxmox/v40.0.0")
    [finding] = release.findings
    assert finding.message.startswith("os-tooling version:")
    lines = (BROKEN / "proxmox/v40.0.0/release.yaml").read_text().splitlines()
    assert lines[finding.line - 1].strip() == "version: latest"


def test_wrong_kind_and_api_version():
    messages = [f.message for f in _broken("eks/v40.0.0").findings]
    assert any("apiVersion" in m for m in messages) and any("kind" in m for m in messages)


def test_duplicate_key_and_wrong_shape_and_empty_file():
    assert "duplicate key 'state'" in _broken("capa/v40.1.0").findings[0].message
    assert "spec.components must be a list" in _broken("capa/v40.2.0").findings[0].message
    assert _broken("capa/v40.3.0").kind == INVALID


def test_every_broken_fixture_is_invalid_with_a_message():
    files = release_files(BROKEN)
    assert len(files) >= 9
    for path in files:
        release = _load(path, BROKEN)
        assert release.kind == INVALID, path
        assert release.findings and all(f.message for f in release.findings), path


def test_written_releases_are_gateable_and_in_every_missing_directory():
    releases = [_load(p, OVERLAY) for p in release_files(OVERLAY)]
    assert all(r.kind == GATEABLE for r in releases), [r.findings for r in releases]
    assert {r.provider for r in releases} >= {"capa", "capmox", "capz", "eks"}


def test_flatcar_variant_alongside_os_tooling_is_gated():
    text = (SAMPLES / "capa/v34.5.0/release.yaml").read_text().replace(
        "  - name: os-tooling\n", "  - name: flatcar-variant\n    version: 1.0.0\n  - name: os-tooling\n")
    assert parse_release(text, "capa/v34.5.0/release.yaml").kind == GATEABLE


def test_release_without_os_tooling_or_variant_is_skipped_only_when_archived():
    text = (SAMPLES / "capa/v34.5.0/release.yaml").read_text().replace(
        "  - name: os-tooling\n    version: 1.33.1\n", "")
    archived = parse_release(text, "capa/archived/v34.5.0/release.yaml")
    assert archived.kind == SKIPPED and "no os-tooling" in archived.reason
    # a current release: most likely a typo, and skipping it would hide the next one's policy
    current = parse_release(text, "capa/v34.5.0/release.yaml")
    assert current.kind == INVALID
    assert "neither an os-tooling nor a flatcar-variant" in current.findings[0].message


def test_a_misspelled_os_tooling_component_is_an_error_with_a_hint():
    text = (SAMPLES / "capa/v34.5.0/release.yaml").read_text().replace("name: os-tooling", "name: os-tolling")
    release = parse_release(text, "capa/v34.5.0/release.yaml")
    assert release.kind == INVALID
    assert "is 'os-tolling' meant to be it?" in release.findings[0].message


@pytest.mark.parametrize("component,written", [("kubernetes", "1.34"), ("os-tooling", "1.33"),
                                               ("flatcar", "4593.2")])
def test_component_versions_must_be_written_in_full(component, written):
    # the cluster chart builds the image name from the text: 1.34 is not 1.34.0 there
    text = (SAMPLES / "capa/v34.5.0/release.yaml").read_text()
    old = {"kubernetes": "1.34.10", "os-tooling": "1.33.1", "flatcar": "4593.2.4"}[component]
    text = text.replace(f"name: {component}\n    version: {old}", f"name: {component}\n    version: {written}")
    release = parse_release(text, "capa/v34.5.0/release.yaml")
    assert release.kind == INVALID
    assert "must be written in full" in release.findings[0].message


def test_a_file_outside_the_layout_cannot_be_gated():
    text = (SAMPLES / "capa/v34.5.0/release.yaml").read_text()
    release = parse_release(text, "new-release.yaml")
    assert release.kind == INVALID
    assert "cannot tell the provider" in release.findings[0].message


def test_kubernetes_with_v_prefix_gives_an_image_name_without_v():
    text = (SAMPLES / "capa/v34.5.0/release.yaml").read_text().replace(
        "version: 1.34.10", "version: v1.34.10")
    release = parse_release(text, "capa/v34.5.0/release.yaml")
    assert release.image is not None
    assert release.image.name == "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"


# -- classification first: a skipped release is only checked for what classification needs ------
VINTAGE_TEXT = (SAMPLES / "azure/archived/v11.0.0/release.yaml").read_text()


def _twice(text: str, component: str, old: str, new: str) -> str:
    entry = f"  - name: {component}\n    version: {old}\n"
    return text.replace(entry, entry + f"  - name: {component}\n    version: {new}\n")


@pytest.mark.parametrize("path", ["aws/v20.0.0/release.yaml", "azure/archived/v11.0.0/release.yaml",
                                  "kvm/archived/v12.0.0/release.yaml"])
def test_a_vintage_release_listing_kubernetes_twice_is_skipped(path):
    release = parse_release(_twice(VINTAGE_TEXT, "kubernetes", "1.16.3", "1.16.3"), path)
    assert release.kind == SKIPPED and "vintage" in release.reason
    assert release.findings == []
    assert [c.version for c in release.repeated] == ["1.16.3"]  # kept for the published check


def test_shape_findings_that_classification_does_not_need_never_reach_a_skipped_release():
    text = VINTAGE_TEXT.replace("  name: v11.0.0\n", "").replace(
        "  - name: etcd\n    version: 3.3.17\n", "  - name: etcd\n")  # no name, etcd without version
    release = parse_release(text, "azure/archived/v11.0.0/release.yaml")
    assert release.kind == SKIPPED, release.findings
    legacy = parse_release(_twice((SAMPLES / "capa/archived/v26.0.0/release.yaml").read_text(),
                                  "kubernetes", *_kubernetes_of("capa/archived/v26.0.0")),
                           "capa/archived/v26.0.0/release.yaml")
    assert legacy.kind == SKIPPED and "flatcar-variant" in legacy.reason


def _kubernetes_of(relative: str) -> tuple[str, str]:
    version = parse_release((SAMPLES / relative / "release.yaml").read_text(),
                            f"{relative}/release.yaml").components["kubernetes"].version
    return version, version


def test_what_classification_needs_is_still_checked_on_a_release_that_would_be_skipped():
    # a component without a name could be the flatcar that makes it gateable: not skipped
    nameless = VINTAGE_TEXT.replace("  - name: containerlinux\n", "  - nome: containerlinux\n")
    release = parse_release(nameless, "azure/archived/v11.0.0/release.yaml")
    assert release.kind == INVALID and "component without a name" in release.findings[0].message
    not_a_release = VINTAGE_TEXT.replace("kind: Release", "kind: ConfigMap")
    assert parse_release(not_a_release, "azure/archived/v11.0.0/release.yaml").kind == INVALID


def test_a_gated_release_still_may_not_list_a_component_twice():
    text = _twice((SAMPLES / "capa/v34.5.0/release.yaml").read_text(), "kubernetes", "1.34.10", "1.34.11")
    release = parse_release(text, "capa/v34.5.0/release.yaml")
    assert release.kind == INVALID
    assert [f.message for f in release.findings] == ["duplicate component 'kubernetes' (first at line 147)"]


def test_a_flatcar_without_a_version_is_an_error_not_a_skip():
    text = (SAMPLES / "capa/v34.5.0/release.yaml").read_text().replace(
        "  - name: flatcar\n    version: 4593.2.4\n", "  - name: flatcar\n")
    release = parse_release(text, "capa/v34.5.0/release.yaml")
    assert release.kind == INVALID
    assert [f.message for f in release.findings] == ["component 'flatcar' has no version"]
    no_tooling_version = (SAMPLES / "capa/v34.5.0/release.yaml").read_text().replace(
        "  - name: os-tooling\n    version: 1.33.1\n", "  - name: os-tooling\n")
    [finding] = parse_release(no_tooling_version, "capa/v34.5.0/release.yaml").findings
    assert finding.message == "component 'os-tooling' has no version"
