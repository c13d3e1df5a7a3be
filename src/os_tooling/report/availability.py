"""Reports for ``available``."""

from __future__ import annotations

from os_tooling.core.availability import ProviderAnswer, VersionAvailability
from os_tooling.core.escape import lines as text_lines
from os_tooling.core.escape import md, md_code, table
from os_tooling.core.statuses import ImageStatus
from os_tooling.usecases.discover import Discovery


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
            where = "; ".join(f"{p}: {_answer_text(row.providers[p])}" for p in row.missing_for)
            lines.append(f"  {row.version}  {_state(row)}: {where}")
    newest = result.newest
    lines.append(f"latest fully available: {newest.version}" if newest
                 else "no os-tooling version is available for every provider")
    return text_lines(lines)


def _state(row: VersionAvailability) -> str:
    return "partially available" if row.partial else "not available"


def _answer_text(answer: ProviderAnswer) -> str:
    """"lacks us-west-2 (only in eu-west-1, us-east-1)", or the status with the store's detail."""
    if answer.partial:
        return f"lacks {', '.join(answer.lacking)} (only in {', '.join(answer.found_in)})"
    return answer.status + (f" ({answer.detail})" if answer.detail else "")


def answer_cell(answer: ProviderAnswer) -> str:
    """A Markdown table cell for one provider's answer (also the release-PR comment's)."""
    if answer.status == ImageStatus.PRESENT:
        return ":white_check_mark:"
    if answer.partial:
        return f":warning: lacks {md(', '.join(answer.lacking))}"
    mark = ":x:" if answer.status == ImageStatus.MISSING else ":warning:"
    return f"{mark} {md(answer.detail)}"


def markdown(result: Discovery) -> str:
    newest = result.newest
    title = (f"### os-tooling {md(newest.version)} has images for every provider" if newest
             else "### No os-tooling version has images for every provider")
    rows = []
    for row in result.versions:
        label = md(row.version) + (" (partially available)" if row.partial else "")
        rows.append([label] + [answer_cell(row.providers[p]) for p in result.providers])
    body = table(["os-tooling"] + [md(p) for p in result.providers], rows) if rows else "No images found."
    sub = f"flatcar {md_code(result.flatcar)}, kubernetes {md_code(result.kubernetes)}"
    return "\n".join([title, "", sub, "", body])
