"""The versioning policy (docs/versioning-policy.md): every row of the published table, and the rules."""

import pytest

from os_tooling.core.levels import Level
from os_tooling.core.manifest import parse_manifest
from os_tooling.core.policy import (
    POLICY_TABLE,
    DeclaredLevel,
    PlanOptions,
    levels_from_commits,
    levels_from_labels,
    plan,
    trailer_values,
)
from os_tooling.core.versions import Version
from tests.helpers import manifest_text


def m(*tools, policy=""):
    report = parse_manifest(manifest_text(*tools, policy=policy), "m.yaml")
    assert report.valid, report.errors
    return report.manifest


def t(name="teleport", version="17.4.2", providers=("capa", "capz"), **kw):
    return {"name": name, "version": version, "providers": list(providers), **kw}


def level_of(base, head, **options):
    return plan(base, head, PlanOptions(**options))


IMAGE_INPUTS = "policy:\n  imageInputs:\n    paths: ['ansible/**', 'packer/*.json', Makefile]\n"

# One example per row of POLICY_TABLE: (base, head, expected level[, plan options])
ROW_EXAMPLES = {
    "tool major version up (17.x -> 18.0.0)": (m(t()), m(t(version="18.0.0")), Level.MAJOR),
    "tool minor version up": (m(t()), m(t(version="17.5.0")), Level.MINOR),
    "tool patch version up, prerelease or build-only change": (
        m(t()), m(t(version="17.4.3")), Level.PATCH),
    "tool 0.y -> 0.(y+1) (pre-1.0 semantics)": (
        m(t(version="v0.1.44")), m(t(version="v0.2.0")), Level.MAJOR),
    "tool 0.y.z -> 0.y.(z+1)": (m(t(version="v0.1.44")), m(t(version="v0.1.45")), Level.PATCH),
    "tool added": (m(t()), m(t(), t(name="containerd", version="1.7.27")), Level.MINOR),
    "tool removed": (m(t(), t(name="containerd", version="1.7.27")), m(t()), Level.MAJOR),
    "provider added to a tool": (m(t()), m(t(providers=("capa", "capz", "capv"))), Level.MINOR),
    "provider removed from a tool": (m(t()), m(t(providers=("capa",))), Level.MAJOR),
    "version goes down": (m(t()), m(t(version="17.4.1")), Level.PATCH),
    "only comments, order, annotations or the `v` prefix change": (
        m(t(), t(name="containerd", version="1.7.27")),
        m(t(name="containerd", version="v1.7.27"), t()), Level.NONE),
    "only the policy block changes": (
        m(t()), m(t(), policy="policy:\n  preOneZero: minor\n"), Level.NONE),
    "a file matching `policy.imageInputs.paths` is added, changed or removed": (
        m(t(), policy=IMAGE_INPUTS), m(t(), policy=IMAGE_INPUTS), Level.PATCH,
        {"changed_files": ("README.md", "ansible/roles/teleport/tasks/main.yml")}),
    "only files outside `policy.imageInputs.paths` change (docs, CI, tests)": (
        m(t(), policy=IMAGE_INPUTS), m(t(), policy=IMAGE_INPUTS), Level.NONE,
        {"changed_files": ("README.md", "docs/x.md", ".github/workflows/ci.yaml",
                           "packer/old/flatcar.json", "tests/ansible/test.yml")}),
}


def test_every_policy_row_has_an_example():
    assert set(ROW_EXAMPLES) == {row for row, _ in POLICY_TABLE}


@pytest.mark.parametrize("row", [row for row, _ in POLICY_TABLE])
def test_policy_row(row):
    base, head, expected, *options = ROW_EXAMPLES[row]
    result = level_of(base, head, allow_downgrade=True, **(options[0] if options else {}))
    assert result.level is expected
    assert result.changes_level is expected


def test_prerelease_and_build_only_changes_are_patch():
    base = m(t(version="18.0.0-rc.1", allowPrerelease=True))
    assert level_of(base, m(t(version="18.0.0-rc.2", allowPrerelease=True))).level is Level.PATCH
    assert level_of(m(t(version="1.2.3+a")), m(t(version="1.2.3+b"))).level is Level.PATCH


def test_downgrade_is_an_error_unless_allowed():
    result = level_of(m(t()), m(t(version="16.0.0")))
    assert not result.ok
    assert result.errors == ["teleport goes down from 17.4.2 to 16.0.0; "
                             "pass --allow-downgrade if this is intended"]
    allowed = level_of(m(t()), m(t(version="16.0.0")), allow_downgrade=True)
    assert allowed.ok and allowed.level is Level.MAJOR
    assert allowed.changes[0].kind == "downgrade"


def test_pre_one_zero_policy_lowers_zero_minor_changes():
    policy = "policy:\n  preOneZero: minor\n"
    base = m(t(name="image-builder", version="v0.1.44"), policy=policy)
    head = m(t(name="image-builder", version="v0.2.0"), policy=policy)
    assert level_of(base, head).level is Level.MINOR


def test_tool_map_applies_to_version_changes_only():
    policy = "policy:\n  tools:\n    teleport: {major: minor}\n"
    base, head = m(t(), policy=policy), m(t(version="18.0.0"), policy=policy)
    result = level_of(base, head)
    assert result.level is Level.MINOR
    assert "policy.tools.teleport maps major to minor" in result.changes[0].reason
    removed = level_of(m(t(), t(name="x", version="1.0.0"), policy=policy),
                       m(t(), policy=policy))
    assert removed.level is Level.MAJOR  # removal follows the table, not the map


def test_stricter_policy_wins_so_a_pr_cannot_relax_its_own_level():
    relaxed = "policy:\n  tools:\n    teleport: {major: patch}\n  preOneZero: patch\n"
    assert level_of(m(t()), m(t(version="18.0.0"), policy=relaxed)).level is Level.MAJOR
    # ... but the relaxed policy applies from the next change on
    assert level_of(m(t(version="18.0.0"), policy=relaxed),
                    m(t(version="19.0.0"), policy=relaxed)).level is Level.PATCH
    zero = (m(t(version="0.1.0")), m(t(version="0.2.0"), policy=relaxed))
    assert level_of(*zero).level is Level.MAJOR


def test_declared_level_raises_but_never_lowers():
    declared = (DeclaredLevel(Level.MINOR, "label release/minor"),)
    same = level_of(m(t()), m(t()), declared=declared)
    assert same.level is Level.MINOR
    assert same.changes[-1].reason == "declared by label release/minor"
    bigger = level_of(m(t()), m(t(version="18.0.0")), declared=declared)
    assert bigger.level is Level.MAJOR


@pytest.mark.parametrize("current,level,expected", [
    ("1.33.1", Level.MINOR, "1.34.0"), ("1.33.1", Level.MAJOR, "2.0.0"),
    ("1.33.1", Level.PATCH, "1.33.2"), ("1.33.1", Level.NONE, "1.33.1"),
])
def test_next_version(current, level, expected):
    declared = (DeclaredLevel(level, "test"),) if level else ()
    result = level_of(m(t()), m(t()), current_version=Version.parse(current), declared=declared)
    assert str(result.next_version) == expected
    assert str(result.current_version) == current


def test_no_current_version_gives_null_versions():
    result = level_of(m(t()), m(t(version="18.0.0")))
    assert result.to_dict()["current_version"] is None and result.to_dict()["next_version"] is None


def test_below_one_major_becomes_minor_unless_major_on_zero():
    base, head = m(t()), m(t(version="18.0.0"))
    zero = level_of(base, head, current_version=Version.parse("0.4.2"))
    assert (zero.level, zero.changes_level, str(zero.next_version)) == (Level.MINOR, Level.MAJOR, "0.5.0")
    assert "below 1.0.0" in zero.notes[0]
    forced = level_of(base, head, current_version=Version.parse("0.4.2"), major_on_zero=True)
    assert str(forced.next_version) == "1.0.0"


def test_rows_have_the_documented_shape():
    result = level_of(m(t()), m(t(version="17.5.0"), t(name="containerd", version="1.7.27")))
    rows = result.to_dict()["changes"]
    assert rows == [
        {"tool": "teleport", "from": "17.4.2", "to": "17.5.0", "level": "minor",
         "reason": "minor version changed", "kind": "version"},
        {"tool": "containerd", "from": None, "to": "1.7.27", "level": "minor",
         "reason": "tool added", "kind": "added"},
    ]


def test_labels_to_levels():
    levels, problems = levels_from_labels(["bug", "release/minor", "release/huge", "release/patch"])
    assert [(str(x.level), x.source) for x in levels] == [("minor", "label release/minor"),
                                                          ("patch", "label release/patch")]
    assert len(problems) == 1 and "huge" in problems[0]
    custom, _ = levels_from_labels(["semver:major"], prefix="semver:")
    assert custom[0].level is Level.MAJOR


def test_trailers():
    message = "Bump image-builder\n\nSome body text.\nRelease-Level: this is prose\n\n" \
              "Signed-off-by: A <a@b>\nRelease-Level: minor\n"
    assert trailer_values(message) == ["minor"]
    assert trailer_values("Release-Level: major") == []  # a subject line is not a trailer
    levels, problems = levels_from_commits([("a" * 40, message), ("b" * 40, "x\n\nRelease-Level: big")])
    assert [str(x.level) for x in levels] == ["minor"] and "big" in problems[0]


def test_each_change_is_judged_under_both_policies():
    # Taking the max of the two policies key by key is not enough: here the base policy alone
    # says major, a key-by-key "stricter" merge would say patch.
    base_policy = "policy:\n  preOneZero: minor\n  tools:\n    helper: {minor: major, major: patch}\n"
    head_policy = "policy:\n  preOneZero: major\n  tools:\n    helper: {minor: major, major: patch}\n"
    base = m(t(name="helper", version="0.1.0"), policy=base_policy)
    head = m(t(name="helper", version="0.2.0"), policy=head_policy)
    assert level_of(base, head).level is Level.MAJOR


def test_a_changed_binary_is_at_least_a_patch_and_none_is_no_policy_level():
    report = parse_manifest(manifest_text(t(), policy="policy:\n  tools:\n    teleport: {minor: none}\n"), "m.yaml")
    assert not report.valid and "unknown release level 'none'" in report.errors[0].message
    policy = "policy:\n  tools:\n    teleport: {minor: patch}\n"
    assert level_of(m(t(), policy=policy), m(t(version="17.5.0"), policy=policy)).level is Level.PATCH
