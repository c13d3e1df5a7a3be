"""The gate's policy: previous release, cluster release level, os-tooling and binary majors."""

from __future__ import annotations

import pytest

from os_tooling.core import gate_policy as gp
from os_tooling.core.levels import Level
from os_tooling.core.manifest import parse_manifest
from os_tooling.core.versions import Version
from tests.helpers import manifest_text

V = Version.parse


def previous(version: str, tooling: str | None, name: str = "aws-34.4.1") -> gp.Previous:
    return gp.Previous(name, f"capa/v{version}/release.yaml", V(version),
                       V(tooling) if tooling else None)


def manifest(*tools, policy=""):
    report = parse_manifest(manifest_text(*tools, policy=policy))
    assert report.manifest is not None, report.errors
    return report.manifest


@pytest.mark.parametrize("version, expected", [
    ("34.5.0", "34.4.1"),  # highest lower of the same major
    ("34.4.1", "34.4.0"),
    ("34.0.0", None),  # nothing lower in major 34: a new major
    ("35.0.0", None),  # other majors never count
    ("34.9.9", "34.5.0"),
    ("33.0.0", None),
])
def test_previous_release(version, expected):
    candidates = [(V(v), v) for v in ("33.1.0", "34.4.0", "34.4.1", "34.5.0", "34.6.0-rc.1",
                                      "35.1.0")]
    found = gp.previous_release(V(version), candidates)
    assert (found[1] if found else None) == expected


def test_prereleases_are_never_a_previous_release():
    found = gp.previous_release(V("34.6.0"), [(V("34.6.0-rc.1"), "rc"), (V("34.5.0"), "ga")])
    assert found is not None and found[1] == "ga"


@pytest.mark.parametrize("old, new, level", [
    (None, "34.0.0", Level.MAJOR), ("34.4.1", "34.5.0", Level.MINOR),
    ("34.5.0", "34.5.1", Level.PATCH),
])
def test_cluster_level(old, new, level):
    assert gp.cluster_level(V(old) if old else None, V(new)) is level


def test_patch_release_raising_os_tooling_major_is_a_violation():
    check = gp.tooling_major_check("aws-34.5.1", V("34.5.1"), V("2.0.0"),
                                   previous("34.5.0", "1.33.1", "aws-34.5.0"))
    assert check.status == gp.VIOLATION
    assert "patch release aws-34.5.1" in check.message
    assert "1.33.1 -> 2.0.0" in check.message and "aws-34.5.0" in check.message


def test_minor_release_raising_os_tooling_minor_is_fine():
    check = gp.tooling_major_check("aws-34.5.0", V("34.5.0"), V("1.33.1"), previous("34.4.1", "1.31.0"))
    assert check.status == gp.OK and "1.31.0 -> 1.33.1" in check.message


def test_below_one_an_os_tooling_minor_is_its_major():
    # os-tooling below 1.0.0 releases a binary major as 0.(y+1): that is its breaking part
    check = gp.tooling_major_check("aws-40.1.0", V("40.1.0"), V("0.4.0"), previous("40.0.0", "0.3.0"))
    assert check.status == gp.VIOLATION and "0.3.0 -> 0.4.0" in check.message
    patch = gp.tooling_major_check("aws-40.1.0", V("40.1.0"), V("0.3.5"), previous("40.0.0", "0.3.0"))
    assert patch.status == gp.OK


def test_new_major_has_no_constraint_even_when_os_tooling_goes_down():
    check = gp.tooling_major_check("aws-35.0.0", V("35.0.0"), V("0.9.0"), None)
    assert check.status == gp.OK and "no constraint" in check.message


def test_previous_legacy_release_is_not_applicable_never_ok():
    check = gp.tooling_major_check("azure-25.1.0", V("25.1.0"), V("1.15.0"),
                                   previous("25.0.0", None, "azure-25.0.0"))
    assert check.status == gp.NOT_APPLICABLE
    binary, changes = gp.binary_majors_check("azure-25.1.0", V("25.1.0"), "capz", V("1.15.0"),
                                             previous("25.0.0", None, "azure-25.0.0"), None, None)
    assert binary.status == gp.NOT_APPLICABLE and changes == []


def test_previous_with_an_unreadable_os_tooling_version_is_an_error():
    prev = gp.Previous("aws-34.4.1", "f", V("34.4.1"), None, "latest")
    assert gp.tooling_major_check("aws-34.5.0", V("34.5.0"), V("1.0.0"), prev).status == gp.ERROR


TELEPORT_17 = {"name": "teleport", "version": "17.4.2", "providers": ["capa", "capz", "capmox"]}
TELEPORT_18 = {**TELEPORT_17, "version": "18.0.0"}


def test_minor_release_raising_a_binary_major_names_binary_and_versions():
    old = manifest(TELEPORT_17)
    new = manifest(TELEPORT_18, policy="policy:\n  tools:\n    teleport: {major: minor}\n")
    check, changes = gp.binary_majors_check("proxmox-34.6.0", V("34.6.0"), "capmox", V("1.34.0"),
                                            previous("34.5.0", "1.33.1", "proxmox-34.5.0"), old, new)
    assert check.status == gp.VIOLATION
    assert "minor release proxmox-34.6.0" in check.message
    assert "teleport 17.4.2 -> 18.0.0" in check.message
    assert check.details["majors"] == [{"tool": "teleport", "from": "17.4.2", "to": "18.0.0"}]
    assert [(c.tool, c.old, c.new) for c in changes] == [("teleport", "17.4.2", "18.0.0")]


def test_a_binary_leaving_the_image_is_a_break_too():
    # removed, renamed (teleport 17 -> teleport-agent 18) or dropped for this provider
    agent = {**TELEPORT_18, "name": "teleport-agent"}
    for new in (manifest(agent), manifest({**TELEPORT_17, "providers": ["capz"]})):
        check, _ = gp.binary_majors_check("proxmox-34.6.0", V("34.6.0"), "capmox", V("1.34.0"),
                                          previous("34.5.0", "1.33.1", "proxmox-34.5.0"),
                                          manifest(TELEPORT_17), new)
        assert check.status == gp.VIOLATION
        assert "teleport (removed from capmox)" in check.message
    # ... but not for a provider that never had it
    other, _ = gp.binary_majors_check("azure-34.6.0", V("34.6.0"), "capv", V("1.34.0"),
                                      previous("34.5.0", "1.33.1", "azure-34.5.0"),
                                      manifest(TELEPORT_17), manifest(agent))
    assert other.status == gp.OK


def test_binary_major_of_another_provider_does_not_count():
    old = manifest(TELEPORT_17, {"name": "agent", "version": "1.0.0", "providers": ["capz"]})
    new = manifest(TELEPORT_17, {"name": "agent", "version": "2.0.0", "providers": ["capz"]})
    args = (V("34.6.0"), V("1.34.0"), previous("34.5.0", "1.33.1"), old, new)
    capa, capa_changes = gp.binary_majors_check("aws-34.6.0", args[0], "capa", *args[1:])
    capz, _ = gp.binary_majors_check("azure-34.6.0", args[0], "capz", *args[1:])
    assert capa.status == gp.OK and capa_changes == []
    assert capz.status == gp.VIOLATION and "agent 1.0.0 -> 2.0.0" in capz.message


def test_pre_one_zero_minor_counts_as_major_unless_the_policy_says_minor():
    old = manifest({"name": "image-builder", "version": "v0.1.44", "providers": ["capa"]})
    new = manifest({"name": "image-builder", "version": "v0.2.0", "providers": ["capa"]})
    args = ("aws-34.6.0", V("34.6.0"), "capa", V("1.34.0"), previous("34.5.0", "1.33.1"))
    assert gp.binary_majors_check(*args, old, new)[0].status == gp.VIOLATION
    relaxed_old = manifest({"name": "image-builder", "version": "v0.1.44", "providers": ["capa"]},
                           policy="policy:\n  preOneZero: minor\n")
    relaxed_new = manifest({"name": "image-builder", "version": "v0.2.0", "providers": ["capa"]},
                           policy="policy:\n  preOneZero: minor\n")
    assert gp.binary_majors_check(*args, relaxed_old, relaxed_new)[0].status == gp.OK


def test_binary_minor_changes_are_listed_and_pass():
    old = manifest(TELEPORT_17)
    new = manifest({**TELEPORT_17, "version": "17.5.0"},
                   {"name": "node-exporter", "version": "1.9.1", "providers": ["capa"]})
    check, changes = gp.binary_majors_check("aws-34.6.0", V("34.6.0"), "capa", V("1.34.0"),
                                            previous("34.5.0", "1.33.1"), old, new)
    assert check.status == gp.OK
    assert {(c.tool, c.old, c.new, str(c.level)) for c in changes} == {
        ("teleport", "17.4.2", "17.5.0", "minor"), ("node-exporter", None, "1.9.1", "minor")}


def test_binary_going_down_a_major_is_not_raising_one():
    old, new = manifest(TELEPORT_18), manifest(TELEPORT_17)
    check, _ = gp.binary_majors_check("aws-34.6.0", V("34.6.0"), "capa", V("1.34.0"),
                                      previous("34.5.0", "1.33.1"), old, new)
    assert check.status == gp.OK


def test_unknown_manifests_are_not_run_with_the_reason():
    check, changes = gp.binary_majors_check("aws-34.6.0", V("34.6.0"), "capa", V("1.34.0"),
                                            previous("34.5.0", "1.33.1"), None, None,
                                            "tag v1.33.1 has no os-tooling.yaml")
    assert check.status == gp.NOT_RUN and "tag v1.33.1 has no os-tooling.yaml" in check.message
    assert changes == []


def test_same_os_tooling_needs_no_manifests():
    check, _ = gp.binary_majors_check("aws-34.4.1", V("34.4.1"), "capa", V("1.31.0"),
                                      previous("34.4.0", "1.31.0"), None, None)
    assert check.status == gp.OK
