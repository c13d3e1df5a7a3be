"""Our small schema evaluator must agree with the jsonschema package on the shipped schema."""

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from os_tooling.core.providers import PROVIDERS
from os_tooling.core.schema_check import SchemaValidator
from os_tooling.core.versions import PORTABLE_VERSION_PATTERN
from os_tooling.schema import manifest_schema

SCHEMA = manifest_schema()
OURS = SchemaValidator(SCHEMA)
THEIRS = jsonschema.Draft202012Validator(SCHEMA)


def test_shipped_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_matches_the_code():
    tool = SCHEMA["$defs"]["tool"]["properties"]
    assert tool["version"]["pattern"] == PORTABLE_VERSION_PATTERN
    assert tool["providers"]["items"]["enum"] == list(PROVIDERS)


def test_unsupported_keyword_fails_loudly():
    with pytest.raises(ValueError, match="not supported"):
        SchemaValidator({"type": "object", "oneOf": []})


def test_cli_schema_prints_the_shipped_schema(cli):
    result = cli("schema")
    assert result.code == 0 and json.loads(result.out) == SCHEMA


_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
    st.sampled_from(["capa", "capz", "capx", "teleport", "Tele", "17.4.2", "v0.1.44", "1.2",
                     "1.0.0-rc.1", "minor", "major", "none", "huge", "", "a" * 70]),
)
_keys = st.sampled_from(["tools", "policy", "name", "version", "providers", "allowPrerelease",
                         "preOneZero", "major", "minor", "patch", "teleport", "verison", "x"])
_json = st.recursive(_scalar, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=5)), max_leaves=25)

_tool = st.fixed_dictionaries(
    {"name": st.sampled_from(["teleport", "containerd", "Bad", "x" * 64]),
     "version": st.sampled_from(["17.4.2", "v0.1.44", "1.2", "1.2.3.4", "x"]),
     "providers": st.lists(st.sampled_from(["capa", "capz", "capv", "nope"]), max_size=4)},
    optional={"allowPrerelease": st.sampled_from([True, False, "yes"]), "verison": st.just("1")})
_manifest = st.fixed_dictionaries(
    {"tools": st.lists(_tool, max_size=4)},
    optional={"policy": st.fixed_dictionaries({}, optional={
        "preOneZero": st.sampled_from(["major", "minor", "meh"]),
        "tools": st.dictionaries(st.sampled_from(["teleport", "Bad"]),
                                 st.dictionaries(st.sampled_from(["major", "minor", "x"]),
                                                 st.sampled_from(["none", "patch", "bad"]),
                                                 max_size=2), max_size=2)})})


@settings(max_examples=400, deadline=None)
@given(st.one_of(_json, _manifest))
def test_agrees_with_jsonschema(instance):
    assert (not OURS.errors(instance)) == THEIRS.is_valid(instance)


def test_final_newline_is_not_accepted_by_pattern():
    # JSON Schema patterns are ECMA-262: "$" ends the input. Python's re (and so the jsonschema
    # package) would accept "teleport\n"; we do not.
    instance = {"tools": [{"name": "teleport\n", "version": "1.2.3", "providers": ["capa"]}]}
    assert OURS.errors(instance)
