"""Change one component version in a Release CR's text, touching nothing else.

Comments, key order, quoting and line endings stay as they are: the new version replaces
exactly the characters of the old scalar, found through the YAML node marks, and the result is
parsed again to prove that only that value changed. Pure: text in, text out.
"""

from __future__ import annotations

from os_tooling.core import yamldoc
from os_tooling.core.versions import Version, VersionError


class EditError(ValueError):
    pass


def component_version(doc: yamldoc.Document, component: str) -> tuple[int, str] | None:
    """(index in spec.components, version text) of the named component."""
    data = doc.data
    spec = data.get("spec") if isinstance(data, dict) else None
    components = spec.get("components") if isinstance(spec, dict) else None
    if not isinstance(components, list):
        return None
    for index, item in enumerate(components):
        if isinstance(item, dict) and item.get("name") == component and isinstance(item.get("version"), str):
            return index, item["version"]
    return None


def set_component_version(text: str, component: str, new_version: str,
                          file: str = "release.yaml") -> tuple[str, str]:
    """Return (new text, old version). Raises EditError with a clear message."""
    try:
        plain = Version.parse(new_version.strip()).core  # Release CRs carry no "v"
    except VersionError as exc:
        raise EditError(f"new {component} version: {exc}") from None
    try:
        doc = yamldoc.load(text, file)
    except yamldoc.YamlError as exc:
        raise EditError(f"{file}: {exc.finding.message}") from None
    found = component_version(doc, component)
    if found is None:
        raise EditError(f"{file} has no {component!r} component with a version")
    index, old = found
    line, column = doc.value_marks[("spec", "components", index, "version")]
    lines = text.splitlines(keepends=True)
    row = lines[line - 1]
    start = column - 1
    quote = row[start] if row[start] in "'\"" else ""
    value_start = start + len(quote)
    if row[value_start:value_start + len(old)] != old:
        raise EditError(f"{file}:{line}: the version is not written as a simple scalar; edit it by hand")
    lines[line - 1] = row[:value_start] + plain + row[value_start + len(old):]
    new_text = "".join(lines)
    _check_only_version_changed(doc, new_text, component, plain, file)
    return new_text, old


def _check_only_version_changed(before: yamldoc.Document, new_text: str, component: str,
                                plain: str, file: str) -> None:
    after = yamldoc.load(new_text, file)
    found = component_version(after, component)
    if found is None or found[1] != plain:
        raise EditError(f"{file}: could not change the {component} version safely")
    index = found[0]
    after.data["spec"]["components"][index]["version"] = before.data["spec"]["components"][index]["version"]
    if after.data != before.data:
        raise EditError(f"{file}: changing the version would change other values; edit it by hand")
