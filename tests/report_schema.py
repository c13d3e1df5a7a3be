"""docs/report.schema.json, the contract of every command's JSON report, for the tests."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.helpers import ROOT

SCHEMA_PATH = ROOT / "docs" / "report.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validator(definition: str | None = None) -> Draft202012Validator:
    """The whole schema (any report), or one command's definition (``#/$defs/gate``)."""
    if definition is None:
        return Draft202012Validator(SCHEMA)
    registry = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))
    return Draft202012Validator({"$ref": f"{SCHEMA['$id']}#/$defs/{definition}"},
                                registry=registry)


def check(data: object, definition: str | None = None) -> None:
    """Fails with every violation listed, each at its place in the report."""
    errors = sorted(validator(definition).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{definition or 'report'} at {list(e.path)}: {e.message}"
                                 for e in errors)
