"""A small JSON Schema evaluator for the keywords our shipped schema uses.

Why not the ``jsonschema`` package at run time: importing it costs ~80 ms, more than the
rest of ``validate`` put together, and ``validate`` runs in every pre-commit hook and PR.
The tests check this evaluator against ``jsonschema`` on generated documents, and loading a
schema with a keyword not handled here fails loudly, so the two cannot drift apart silently.
Messages are written for people and each error carries the path of the offending node.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

SUPPORTED_KEYWORDS = frozenset({
    "$schema", "$id", "$defs", "$ref", "title", "description",
    "type", "properties", "required", "additionalProperties", "propertyNames",
    "items", "minItems", "uniqueItems", "enum", "pattern", "maxLength",
})

_TYPE_NAMES = {
    "string": "a string", "integer": "an integer", "number": "a number",
    "boolean": "true or false", "object": "a mapping", "array": "a list", "null": "null",
}


@dataclass(frozen=True)
class SchemaError:
    path: tuple
    message: str
    at_key: bool = False  # point at the mapping key rather than its value


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _is_type(value: object, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "null":
        return value is None
    raise ValueError(f"unsupported type {name!r}")


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...'"


def _identity(value: object) -> str:
    # JSON equality: true != 1, 1 == 1.0
    return json.dumps(value, sort_keys=True, default=str) + type(value is True or value is False).__name__


class SchemaValidator:
    def __init__(self, schema: dict):
        self.root = schema
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._check_keywords(schema)

    def _check_keywords(self, schema: object) -> None:
        if not isinstance(schema, dict):
            return
        unknown = set(schema) - SUPPORTED_KEYWORDS
        if unknown:
            raise ValueError(f"schema keyword(s) not supported: {sorted(unknown)}")
        for key in ("properties", "$defs"):
            for sub in schema.get(key, {}).values():
                self._check_keywords(sub)
        for key in ("items", "additionalProperties", "propertyNames"):
            self._check_keywords(schema.get(key))
        if "pattern" in schema:
            pattern = schema["pattern"]
            # ECMA-262 "$" (what JSON Schema means) ends the input; Python's also accepts a final "\n".
            if pattern.endswith("$") and not pattern.endswith("\\$"):
                pattern = pattern[:-1] + r"\Z"
            self._patterns[schema["pattern"]] = re.compile(pattern)

    def _resolve(self, ref: str) -> dict:
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, got {ref!r}")
        node: object = self.root
        for part in ref[2:].split("/"):
            node = node[part]  # type: ignore[index]
        return node  # type: ignore[return-value]

    def errors(self, instance: object) -> list[SchemaError]:
        out: list[SchemaError] = []
        self._validate(self.root, instance, (), out)
        return out

    def _validate(self, schema: dict, value: object, path: tuple, out: list[SchemaError]) -> None:
        if "$ref" in schema:
            target = self._resolve(schema["$ref"])
            merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            schema = merged
        title = schema.get("title")
        expected = schema.get("type")
        if expected is not None and not _is_type(value, expected):
            out.append(SchemaError(path, f"expected {_TYPE_NAMES[expected]}, got {_describe(value)}"))
            return
        if "enum" in schema and not any(_identity(value) == _identity(e) for e in schema["enum"]):
            choices = ", ".join(str(e) for e in schema["enum"])
            if title:
                message = f"unknown {title} {_short(value)} (expected one of: {choices})"
            else:
                message = f"{_short(value)} is not one of: {choices}"
            out.append(SchemaError(path, message))
            return
        if isinstance(value, str):
            self._string(schema, value, path, out)
        elif isinstance(value, list):
            self._array(schema, value, path, out)
        elif isinstance(value, dict):
            self._object(schema, value, path, out)

    def _string(self, schema: dict, value: str, path: tuple, out: list[SchemaError]) -> None:
        limit = schema.get("maxLength")
        if limit is not None and len(value) > limit:
            what = f"{schema['title']} " if "title" in schema else ""
            out.append(SchemaError(path, f"{what}{_short(value)} is longer than {limit} characters"))
            return
        pattern = schema.get("pattern")
        if pattern is not None and not self._patterns[pattern].search(value):
            what = schema.get("title", "value")
            hint = schema.get("description")
            out.append(SchemaError(path, f"{_short(value)} is not a valid {what}"
                                   + (f" ({hint})" if hint else "")))

    def _array(self, schema: dict, value: list, path: tuple, out: list[SchemaError]) -> None:
        minimum = schema.get("minItems")
        if minimum is not None and len(value) < minimum:
            what = f"{path[-1]} " if path and isinstance(path[-1], str) else ""
            out.append(SchemaError(path, f"{what}must not be empty" if minimum == 1
                                   else f"{what}must have at least {minimum} items"))
        items = schema.get("items")
        if items is not None:
            for index, item in enumerate(value):
                self._validate(items, item, (*path, index), out)
        if schema.get("uniqueItems"):
            seen: set[str] = set()
            for index, item in enumerate(value):
                ident = _identity(item)
                if ident in seen:
                    out.append(SchemaError((*path, index), f"{_short(item)} is listed twice"))
                seen.add(ident)

    def _object(self, schema: dict, value: dict, path: tuple, out: list[SchemaError]) -> None:
        properties = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                out.append(SchemaError(path, f"missing required key {name!r}"))
        names = schema.get("propertyNames")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            child = (*path, key)
            if names is not None:
                key_errors: list[SchemaError] = []
                self._validate(names, key, child, key_errors)
                out.extend(SchemaError(e.path, f"key {e.message}", at_key=True) for e in key_errors)
            if key in properties:
                self._validate(properties[key], item, child, out)
            elif extra is False:
                close = difflib.get_close_matches(str(key), list(properties), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = ", ".join(properties)
                out.append(SchemaError(child, f"unknown key {_short(key)}{hint}; allowed: {known}",
                                       at_key=True))
            elif isinstance(extra, dict):
                self._validate(extra, item, child, out)
