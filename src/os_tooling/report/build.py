"""Reports for ``build-vars`` and ``build-matrix``, rendered from their JSON reports, so the
CLI and the action (which has only the JSON) print the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from os_tooling.core.build_inputs import BuildInputsError, env_name, var_name
from os_tooling.core.escape import md, md_code, plain, table
from os_tooling.report.reporter import Reporter


def _s(value: object) -> str:
    """One line of untrusted text (JSON values can hold anything a release file holds): control
    and format characters shown as visible escapes, so nothing can rewrite the terminal or fake
    a line."""
    return plain(value)


def _entries(data: dict, key: str) -> list[dict]:
    items = data.get(key)
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


# -- build-vars ---------------------------------------------------------------------------------
def _origin(data: dict) -> str:
    version = data.get("os_tooling_version")
    if version:
        tag = f"tag {_s(data.get('tag'))}" if data.get("tag") else "its tag"
        return f"os-tooling {_s(version)} ({tag} of {_s(data.get('source'))})"
    return f"the working-tree manifest {_s(data.get('source'))} (not a release)"


def _variables(name: object) -> tuple[str, str]:
    """The Packer and environment variable of a tool (empty when the name cannot be one)."""

    try:
        var = var_name(str(name))
        return var, env_name(var)
    except BuildInputsError:
        return "", ""


def _tools(data: dict) -> dict:
    return data.get("tools") if isinstance(data.get("tools"), dict) else {}


def vars_text(data: dict) -> str:
    tools = _tools(data)
    lines = [f"build inputs for {_s(data.get('provider'))} from {_origin(data)}:"]
    if not tools:
        lines.append(f"  no tool of the manifest is for {_s(data.get('provider'))}")
    rows = [(_s(name), _s(version), *_variables(name)) for name, version in tools.items()]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) if i < 3 else cell
                                      for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def vars_markdown(data: dict) -> str:
    rows = []
    for name, version in _tools(data).items():
        packer, env = _variables(name)
        rows.append([md(name), md_code(version), md_code(packer), md_code(env)])
    version = data.get("os_tooling_version")
    title = (f"### Build inputs for {md(data.get('provider'))}: os-tooling {md(version)}"
             if version else f"### Build inputs for {md(data.get('provider'))} (working tree)")
    body = (table(["tool", "version", "Packer variable", "environment variable"], rows) if rows
            else f"No tool of the manifest is for {md(data.get('provider'))}.")
    return "\n".join([title, "", f"From {md(_origin(data))}.", "", body])


# -- build-matrix -------------------------------------------------------------------------------
def _counts(data: dict) -> str:
    releases = _entries(data, "releases")
    count = {s: sum(1 for r in releases if r.get("status") == s)
             for s in ("live", "deprecated", "skipped", "invalid", "not-selected")}
    parts = [f"{count['live']} live", f"{count['deprecated']} deprecated",
             f"{count['skipped']} without such an image (legacy, vintage, aks)",
             f"{count['invalid']} invalid"]
    if count["not-selected"]:
        parts.append(f"{count['not-selected']} of other providers")
    archived = data.get("archived")
    if isinstance(archived, int) and archived:
        parts.append(f"{archived} archived (not read)")
    return ", ".join(parts)


def _row_text(entry: dict) -> str:
    return (f"    {_s(entry.get('provider')):<7} flatcar {_s(entry.get('flatcar')):<10} "
            f"kubernetes {_s(entry.get('kubernetes')):<8} {_s(entry.get('image'))}")


def matrix_text(data: dict) -> str:
    include, existing = _entries(data, "include"), _entries(data, "existing")
    unchecked, invalid = _entries(data, "unchecked"), [
        r for r in _entries(data, "releases") if r.get("status") == "invalid"]
    source = data.get("source") if isinstance(data.get("source"), dict) else {}
    lines = [f"build matrix for os-tooling {_s(data.get('tooling'))} "
             f"({_s(source.get('tooling'))}; releases from {_s(source.get('releases'))})"]
    lines.append(f"  to build: {len(include)} image(s)" + ("" if include else ": nothing to build"))
    lines += [_row_text(e) for e in include]
    if existing:
        kept = ("built again (--include-existing)" if data.get("include_existing")
                else "left out (--include-existing builds them again)")
        lines.append(f"  already exist, {kept}: {len(existing)}")
        lines += [_row_text(e) for e in existing]
    if unchecked:
        lines.append(f"  could not check, kept in the build: {len(unchecked)}")
        lines += [f"{_row_text(e)}: {_s(e.get('detail'))}" for e in unchecked]
    if invalid:
        lines.append(f"  release files that cannot be used: {len(invalid)}")
        lines += [f"    {_s(r.get('file'))}: {_s(r.get('reason'))}" for r in invalid]
    lines.append(f"releases: {_counts(data)}")
    return "\n".join(lines)


def _md_rows(entries: list[dict]) -> list[list[str]]:
    return [[md(e.get("provider")), md(e.get("flatcar")), md(e.get("kubernetes")),
             md_code(e.get("image"))] for e in entries]


def matrix_markdown(data: dict) -> str:
    include, existing = _entries(data, "include"), _entries(data, "existing")
    unchecked, invalid = _entries(data, "unchecked"), [
        r for r in _entries(data, "releases") if r.get("status") == "invalid"]
    source = data.get("source") if isinstance(data.get("source"), dict) else {}
    headers = ["provider", "flatcar", "kubernetes", "image"]
    out = [f"### os-tooling {md(data.get('tooling'))}: {len(include)} image(s) to build", "",
           f"Tooling: {md(source.get('tooling'))}. Releases: {md(source.get('releases'))} "
           f"({md(_counts(data))}).", ""]
    out.append(table(headers, _md_rows(include)) if include else "Nothing to build.")
    if existing:
        kept = "built again" if data.get("include_existing") else "left out"
        out += ["", f"**Already exist** ({kept}):", "", table(headers, _md_rows(existing))]
    if unchecked:
        out += ["", ":warning: **Could not check** (kept in the build):", "",
                table([*headers, "why"], [[*row, md(e.get("detail"))] for row, e in
                                          zip(_md_rows(unchecked), unchecked, strict=True)])]
    if invalid:
        out += ["", ":x: **Release files that cannot be used:**", "",
                table(["file", "why"], [[md_code(r.get("file")), md(r.get("reason"))]
                                        for r in invalid])]
    return "\n".join(out)


# -- the reporters: the CLI and the action render these from one result ---------------------------
@dataclass(frozen=True)
class BuiltVars:
    """``build-vars``' result: its JSON report, and the inputs (for packer, env, github)."""

    data: dict
    inputs: Any


VARS = Reporter(text=lambda r: vars_text(r.data), markdown=lambda r: vars_markdown(r.data),
                json=lambda r: r.data)
MATRIX = Reporter(text=lambda r: matrix_text(r.to_json()),
                  markdown=lambda r: matrix_markdown(r.to_json()), json=lambda r: r.to_json())
