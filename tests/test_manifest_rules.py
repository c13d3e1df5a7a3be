"""Every manifest rule, each error at its 1-based line and column."""

import pytest

from os_tooling.core.manifest import parse_manifest
from tests.helpers import EXAMPLE_MANIFEST

GOOD_TOOL = """\
  - name: teleport
    # renovate: datasource=github-releases depName=gravitational/teleport
    version: 17.4.2
    providers: [capa, capz]
"""


def errors_of(text, **kw):
    report = parse_manifest(text, "m.yaml", **kw)
    return [(e.line, e.column, e.message) for e in report.errors]


def only_error(text, **kw):
    errors = errors_of(text, **kw)
    assert len(errors) == 1, errors
    return errors[0]


def test_example_manifest_is_valid_without_warnings():
    report = parse_manifest(EXAMPLE_MANIFEST.read_text(), "example")
    assert report.valid and not report.warnings
    assert [t.name for t in report.manifest.tools] == ["teleport", "containerd", "image-builder",
                                                       "node-exporter"]
    containerd = report.manifest.tools[1]
    assert str(containerd.version) == "v1.7.27" and containerd.upstream_repo == "containerd/containerd"


@pytest.mark.parametrize("text,line,column,fragment", [
    # unknown provider, at the item
    (GOOD_TOOL.replace("[capa, capz]", "[capa, capx]"), 4, 23, "unknown provider 'capx'"),
    # repeated provider, at its second occurrence
    (GOOD_TOOL.replace("[capa, capz]", "[capa, capz, capa]"), 4, 29, "'capa' is listed twice"),
    # empty providers
    (GOOD_TOOL.replace("[capa, capz]", "[]"), 4, 16, "providers must not be empty"),
    # non-semver version
    (GOOD_TOOL.replace("17.4.2", "17.4.2.1"), 3, 14, "not a valid version"),
    # unknown key (typo), at the key
    (GOOD_TOOL + "    verison: 1.0.0\n", 5, 5, "unknown key 'verison' (did you mean 'version'?)"),
    # wrong type
    (GOOD_TOOL.replace("providers: [capa, capz]", "providers: capa"), 4, 16, "expected a list"),
    # missing field, at the tool
    (GOOD_TOOL.replace("    providers: [capa, capz]\n", ""), 1, 5, "missing required key 'providers'"),
    # bad tool name
    (GOOD_TOOL.replace("name: teleport", "name: Teleport"), 1, 11, "not a valid tool name"),
    # prerelease without allowPrerelease
    (GOOD_TOOL.replace("17.4.2", "18.0.0-rc.1"), 3, 14, "needs 'allowPrerelease: true'"),
    # absurd version
    (GOOD_TOOL.replace("17.4.2", "1" * 5000), 3, 14, "version '1111"),
], ids=["unknown-provider", "repeated-provider", "empty-providers", "non-semver", "unknown-key",
        "wrong-type", "missing-field", "bad-name", "prerelease", "absurd-version"])
def test_rule_errors_carry_line_and_column(text, line, column, fragment):
    got_line, got_column, message = only_error("tools:\n" + text)
    assert fragment in message
    assert (got_line, got_column) == (line + 1, column)


def test_duplicate_tool_name_reported_at_second_occurrence():
    text = "tools:\n" + GOOD_TOOL + GOOD_TOOL
    line, column, message = only_error(text)
    assert (line, column) == (6, 11)
    assert "duplicate tool name 'teleport' (first at line 2)" in message


def test_duplicate_yaml_key_reported_at_second_occurrence():
    text = "tools:\n" + GOOD_TOOL + "    version: 17.4.3\n"
    line, column, message = only_error(text)
    assert (line, column) == (6, 5)
    assert "duplicate key 'version'" in message


def test_duplicate_top_level_key():
    line, column, message = only_error("tools: []\npolicy: {}\ntools: []\n")
    assert (line, column, message.startswith("duplicate key 'tools'")) == (3, 1, True)


def test_yaml_syntax_error_has_position():
    line, column, message = only_error("tools:\n  - name: [unclosed\n")
    assert message.startswith("YAML syntax error")
    assert line == 3


def test_unquoted_version_keeps_its_raw_text():
    # PyYAML would read 1.10 as the float 1.1
    report = parse_manifest("tools:\n" + GOOD_TOOL.replace("17.4.2", "1.10"), "m.yaml")
    assert report.valid, report.errors
    assert str(report.manifest.tools[0].version) == "1.10.0"


def test_prerelease_allowed_when_declared():
    text = "tools:\n" + GOOD_TOOL.replace("17.4.2", "18.0.0-rc.1") + "    allowPrerelease: true\n"
    report = parse_manifest(text, "m.yaml")
    assert report.valid and report.manifest.tools[0].version.prerelease == "rc.1"


def test_missing_renovate_annotation_is_a_warning_and_strict_makes_it_an_error():
    text = "tools:\n" + GOOD_TOOL.replace(
        "    # renovate: datasource=github-releases depName=gravitational/teleport\n", "")
    report = parse_manifest(text, "m.yaml")
    assert report.valid
    assert len(report.warnings) == 1
    w = report.warnings[0]
    assert (w.line, w.column) == (3, 5) and "Renovate will never bump it" in w.message
    strict = parse_manifest(text, "m.yaml", strict=True)
    assert not strict.valid and "Renovate will never bump it" in strict.errors[0].message


def test_annotation_must_be_right_above_version():
    text = "tools:\n" + GOOD_TOOL.replace(
        "    # renovate: datasource=github-releases depName=gravitational/teleport\n"
        "    version: 17.4.2\n",
        "    # renovate: datasource=github-releases depName=gravitational/teleport\n"
        "    providers: [capa]\n    version: 17.4.2\n").replace("    providers: [capa, capz]\n", "")
    report = parse_manifest(text, "m.yaml")
    assert report.valid and len(report.warnings) == 1


def test_annotation_without_dep_name_warns():
    text = "tools:\n" + GOOD_TOOL.replace(" depName=gravitational/teleport", "")
    report = parse_manifest(text, "m.yaml")
    assert [w.message for w in report.warnings] == [
        "the renovate comment of tool 'teleport' lacks depName"]


@pytest.mark.parametrize("text,fragment", [
    ("", "manifest is empty"),
    ("# only a comment\n", "manifest is empty"),
    ("- a\n- b\n", "expected a mapping"),
    ("tools: {}\n", "expected a list"),
    ("tools: [1]\n", "expected a mapping"),
    ("policy: {preOneZero: huge}\ntools: []\n", "unknown release level 'huge'"),
    ("tools: []\npolicy: {tools: {teleport: {major: meh}}}\n", "unknown release level 'meh'"),
    ("tools: []\nextra: 1\n", "unknown key 'extra'"),
    ("a: &a [*a]\n", "recursive YAML alias"),
    ("--- a\n--- b\n", "YAML"),
])
def test_structural_errors(text, fragment):
    errors = errors_of(text)
    assert errors, text
    assert any(fragment in message for _, _, message in errors), errors


def test_alias_bomb_is_a_finding_not_a_hang():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"{'b' * i}: &{'b' * i} [" + ", ".join([f"*{'b' * (i - 1) if i > 1 else 'a'}"] * 10) + "]\n"
    assert any("too large" in m for _, _, m in errors_of(bomb))


def test_policy_for_unknown_tool_warns():
    report = parse_manifest("tools:\n" + GOOD_TOOL + "policy:\n  tools:\n    helm: {major: minor}\n",
                            "m.yaml")
    assert report.valid
    assert [(w.line, w.message) for w in report.warnings] == [
        (8, "policy for 'helm', which is not a tool of this manifest")]


def test_policy_is_read_into_the_model():
    text = "tools:\n" + GOOD_TOOL + "policy:\n  preOneZero: minor\n  tools:\n    teleport: {major: minor}\n"
    policy = parse_manifest(text, "m.yaml").manifest.policy
    assert str(policy.pre_one_zero) == "minor"
    assert {str(k): str(v) for k, v in policy.tools["teleport"].items()} == {"major": "minor"}


ANNOTATIONS = [
    "    # renovate: datasource=github-releases depName=gravitational/teleport",
    "    #renovate:datasource=github-releases depName=a/b",
    "    # renovate: datasource=github-releases depName=a/b versioning=semver",
    "    # renovate: datasource=github-releases depName=a/b versioning=semver extractVersion=^v(?<version>.*)$",
    "    # renovate: datasource=github-releases depName=a/b extractVersion=^v(.*)$",
    "    # renovate: depName=a/b datasource=github-releases",
    "    # renovate: datasource=github-releases depName=a/b packageName=foo",
    "    # renovate: datasource=github-releases depName=a/b extractVersion=x versioning=semver",
    "    # renovate: datasource=github-releases",
    "    # renovate: datasource=github-releases depName=a/b  ",
]


def test_annotation_form_is_the_one_the_preset_reads():
    """validate warns exactly for the comments the shipped Renovate preset does not match."""
    import json
    import re

    from os_tooling.core.manifest import PRESET_ANNOTATION_RE
    from tests.helpers import ROOT

    preset = json.loads((ROOT / "renovate-preset.json").read_text())
    manager = next(m for m in preset["customManagers"] if any("os-tooling" in f for f in m["fileMatch"]))
    comment_part = re.split(r"\\r\?\\n", manager["matchStrings"][0])[0].replace("(?<", "(?P<")
    preset_re = re.compile(comment_part + "$")
    for line in ANNOTATIONS:
        ours = PRESET_ANNOTATION_RE.match(line) is not None
        theirs = preset_re.search(line) is not None
        assert ours == theirs, line
        text = "tools:\n  - name: teleport\n" + line + "\n    version: 1.2.3\n    providers: [capa]\n"
        report = parse_manifest(text, "m.yaml", strict=True)
        assert report.valid == theirs, (line, report.errors)
