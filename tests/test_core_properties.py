"""Property tests: random input never crashes the core or the CLI (fixed budgets)."""

import contextlib
import io
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from os_tooling.cli.main import main
from os_tooling.core.manifest import parse_manifest
from os_tooling.core.policy import PlanOptions, plan
from os_tooling.core.providers import PROVIDERS
from os_tooling.core.versions import Version

pytestmark = pytest.mark.slow  # property tests: many generated examples

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


_version = st.builds(lambda p, a, b, c: f"{p}{a}.{b}.{c}", st.sampled_from(["", "v"]),
                     st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
_name = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
_providers = st.lists(st.sampled_from(list(PROVIDERS)), min_size=1, max_size=6, unique=True)
_tools = st.lists(st.tuples(_name, _version, _providers), max_size=12,
                  unique_by=lambda t: t[0])
_levels = st.sampled_from(["patch", "minor", "major"])
_policy = st.fixed_dictionaries({}, optional={
    "preOneZero": _levels,
    "tools": st.dictionaries(_name, st.fixed_dictionaries({}, optional={
        "major": _levels, "minor": _levels, "patch": _levels}), max_size=3)})


def render(tools, policy) -> str:
    lines = ["tools:"]
    for name, version, providers in tools:
        lines += [f"  - name: {name}", f"    # renovate: datasource=github-releases depName=o/{name}",
                  f"    version: {version}", f"    providers: [{', '.join(providers)}]"]
    text = "\n".join(lines) + "\n" if tools else "tools: []\n"
    if policy:
        text += yaml.safe_dump({"policy": policy})
    return text


@FUZZ
@given(_tools, _policy)
def test_random_valid_manifests_parse(tools, policy):
    report = parse_manifest(render(tools, policy), "m.yaml")
    assert report.valid, report.errors
    assert [t.name for t in report.manifest.tools] == [t[0] for t in tools]


@FUZZ
@given(_tools, _policy)
def test_plan_of_a_manifest_against_itself_is_none(tools, policy):
    manifest = parse_manifest(render(tools, policy), "m.yaml").manifest
    result = plan(manifest, manifest, PlanOptions(current_version=Version.parse("1.2.3")))
    assert str(result.level) == "none" and result.changes == []
    assert str(result.next_version) == "1.2.3"


@FUZZ
@given(_tools, _policy, _tools, _policy, st.booleans())
def test_aggregate_level_is_the_max_of_the_rows(t1, p1, t2, p2, allow_downgrade):
    base = parse_manifest(render(t1, p1), "b.yaml").manifest
    head = parse_manifest(render(t2, p2), "h.yaml").manifest
    result = plan(base, head, PlanOptions(allow_downgrade=allow_downgrade))
    assert result.changes_level == max((c.level for c in result.changes), default=0)
    assert result.level == result.changes_level  # no current version: no pre-1.0 adjustment
    if allow_downgrade:
        assert result.ok


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_give_exit_1_or_2_never_a_crash(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "m.yaml"
    path.write_bytes(data)
    for fmt in ("text", "json"):
        code, out, err = run("validate", path, "--format", fmt)
        assert code in (0, 1, 2), err
        if code == 2:
            assert len(err.strip().splitlines()) == 1
        if fmt == "json" and code != 2:
            json.loads(out)


_yaml_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
              st.sampled_from(["tools", "name", "version", "providers", "policy", "capa", "1.10"])),
    lambda c: st.one_of(st.lists(c, max_size=4),
                        st.dictionaries(st.sampled_from(["tools", "name", "version", "providers",
                                                         "policy", "preOneZero", "x"]), c, max_size=4)),
    max_leaves=20)


@FUZZ
@given(_yaml_value, _yaml_value)
def test_random_yaml_is_a_finding_or_valid_never_a_crash(tmp_path_factory, a, b):
    d = tmp_path_factory.mktemp("fuzz")
    base, head = d / "b.yaml", d / "h.yaml"
    base.write_text(yaml.safe_dump(a))
    head.write_text(yaml.safe_dump(b))
    code, out, err = run("plan", "--base", base, "--head", head, "--format", "json")
    assert code in (0, 1), err
    json.loads(out)
