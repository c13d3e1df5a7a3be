"""Reports for ``validate``."""

from __future__ import annotations

from os_tooling.core.escape import lines as text_lines
from os_tooling.core.escape import md, md_code, table
from os_tooling.core.manifest import ManifestReport


def to_json(reports: list[ManifestReport]) -> dict:
    return {
        "valid": all(r.valid for r in reports),
        "errors": [e.to_dict() for r in reports for e in r.errors],
        "warnings": [w.to_dict() for r in reports for w in r.warnings],
        "notes": [n.to_dict() for r in reports for n in r.notes],
        "files": [r.to_dict() for r in reports],
    }


def text(reports: list[ManifestReport]) -> str:
    lines = []
    for r in reports:
        for f in r.errors + r.warnings + r.notes:
            lines.append(f"{f.where()}: {f.severity}: {f.message} [{f.location}]")
        if r.valid:
            count = len(r.manifest.tools) if r.manifest else 0
            note = f", {len(r.warnings)} warning(s)" if r.warnings else ""
            lines.append(f"ok: {r.file} is valid ({count} tools{note})")
        else:
            lines.append(f"invalid: {r.file}: {len(r.errors)} error(s)")
    return text_lines(lines)


def markdown(reports: list[ManifestReport]) -> str:
    valid = all(r.valid for r in reports)
    out = ["### os-tooling manifest: " + ("valid :white_check_mark:" if valid else "invalid :x:")]
    rows = [[md(f.severity), md_code(f.file), md(f.line), md(f.column), md(f.message)]
            for r in reports for f in r.errors + r.warnings + r.notes]
    if rows:
        out += ["", table(["Severity", "File", "Line", "Column", "Message"], rows)]
    return "\n".join(out)
