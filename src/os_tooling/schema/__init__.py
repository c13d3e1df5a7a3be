"""The manifest's JSON Schema, shipped as package data."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

MANIFEST_SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")


def manifest_schema_text() -> str:
    # our own package data, not input: no need for the bounded reader
    return MANIFEST_SCHEMA_PATH.read_text(encoding="utf-8")


@cache
def manifest_schema() -> dict:
    return json.loads(manifest_schema_text())
