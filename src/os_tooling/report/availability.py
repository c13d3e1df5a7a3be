"""Reports for ``available``."""

from __future__ import annotations

from os_tooling.core.escape import lines as text_lines
from os_tooling.core.escape import md, md_code, table
from os_tooling.core.statuses import ImageStatus
from os_tooling.discovery import Discovery


def to_json(result: Discovery) -> dict:
    newest = result.newest
    return {
        "flatcar": result.flatcar,
        "kubernetes": result.kubernetes,
        "providers": result.providers,
        "latest": str(newest.version) if newest else None,
        "versions": [row.to_dict() for row in result.versions],
    }


def text(result: Discovery) -> str:
    head = f"os-tooling images for flatcar {result.flatcar} + kubernetes {result.kubernetes} " \
           f"({', '.join(result.providers)}):"
    if not result.versions:
        return text_lines([head, "  none found"])
    lines = [head]
    for row in result.versions:
        if row.available:
            lines.append(f"  {row.version}  available everywhere")
        else:
            where = "; ".join(f"{p}: {row.providers[p].status}"
                              + (f" ({row.providers[p].detail})" if row.providers[p].detail else "")
                              for p in row.missing_for)
            lines.append(f"  {row.version}  not available: {where}")
    newest = result.newest
    lines.append(f"latest fully available: {newest.version}" if newest
                 else "no os-tooling version is available for every provider")
    return text_lines(lines)


def markdown(result: Discovery) -> str:
    newest = result.newest
    title = (f"### os-tooling {md(newest.version)} has images for every provider" if newest
             else "### No os-tooling version has images for every provider")
    rows = []
    for row in result.versions:
        cells = [md(row.version)]
        for p in result.providers:
            answer = row.providers[p]
            mark = ":white_check_mark:" if answer.status == ImageStatus.PRESENT else (
                ":x:" if answer.status == ImageStatus.MISSING else ":warning:")
            cells.append(mark if answer.status == ImageStatus.PRESENT else f"{mark} {md(answer.detail)}")
        rows.append(cells)
    body = table(["os-tooling"] + [md(p) for p in result.providers], rows) if rows else "No images found."
    sub = f"flatcar {md_code(result.flatcar)}, kubernetes {md_code(result.kubernetes)}"
    return "\n".join([title, "", sub, "", body])
