"""Reports for ``available --base-ref``: which os-tooling the releases of a release PR could
take, next to what they use. The Markdown is the sticky comment on release PRs.

File paths and versions come from the PR: the Markdown report escapes them.
"""

from __future__ import annotations

from os_tooling.core.escape import lines as text_lines
from os_tooling.core.escape import md, md_code, plain, table
from os_tooling.report.availability import answer_cell
from os_tooling.usecases.release_pr import PrAvailability, ReleaseGroup


def sentence(group: ReleaseGroup, escape=plain) -> str:
    """"os-tooling 1.35.0 has images for every provider of this release; this PR uses 1.33.1"."""
    used = sorted(set(group.uses.values()))
    if len(used) == 1:
        uses = f"this PR uses {escape(used[0])}"
    else:
        uses = "this PR uses " + ", ".join(f"{escape(v)} ({escape(f)})"
                                           for f, v in sorted(group.uses.items()))
    latest = group.latest
    if latest is None:
        return (f"no os-tooling version has images for every provider of this release "
                f"({', '.join(escape(p) for p in group.providers)}) that it may take; {uses}")
    if group.up_to_date:
        return (f"this PR uses os-tooling {escape(latest)}, the newest with images for every "
                "provider of this release")
    return f"os-tooling {escape(latest)} has images for every provider of this release; {uses}"


def to_json(result: PrAvailability) -> dict:
    return {
        "base_ref": result.base_ref, "ok": result.ok,
        "releases": [{
            "release": g.version, "flatcar": g.flatcar, "kubernetes": g.kubernetes,
            "providers": g.providers, "uses": dict(g.uses), "latest": g.latest,
            "up_to_date": g.up_to_date, "message": sentence(g, str),
            "passed_over": [p.to_dict() for p in g.choice.passed_over],
            "versions": [row.to_dict() for row in g.rows],
        } for g in result.groups],
        "skipped": list(result.skipped), "notes": list(result.notes),
    }


def text(result: PrAvailability) -> str:
    lines = []
    for g in result.groups:
        lines.append(f"release v{plain(g.version)} (flatcar {plain(g.flatcar)}, kubernetes "
                     f"{plain(g.kubernetes)}; {', '.join(g.providers)}): {sentence(g)}")
        lines += [f"    passed over {p.version}: {plain(p.reason)}" for p in g.choice.passed_over]
    lines += [f"{plain(s['file'])}: skipped: {plain(s['reason'])}" for s in result.skipped]
    lines += [f"note: {plain(n)}" for n in result.notes]
    return text_lines(lines) or "no release to look at"


def markdown(result: PrAvailability) -> str:
    out = ["### os-tooling on this release PR", ""]
    for g in result.groups:
        icon = ":white_check_mark:" if g.up_to_date else (
            ":arrow_up:" if g.latest else ":x:")
        out.append(f"#### Release {md_code('v' + g.version)} ({', '.join(md(p) for p in g.providers)})")
        out.append("")
        out.append(f"{icon} {sentence(g, md)}.")
        if g.latest and not g.up_to_date:
            out.append("")
            out.append(f"`os-tooling bump --base-ref` sets it to {md_code(g.latest)} in the "
                       "release files this PR adds.")
        out.append("")
        out.append(f"flatcar {md_code(g.flatcar)}, kubernetes {md_code(g.kubernetes)}; "
                   "files: " + ", ".join(f"{md_code(f)} ({md_code(v)})"
                                         for f, v in sorted(g.uses.items())))
        # versions this release may not take (a rule, not a missing image): marked in the table
        refused = {p.version for p in g.choice.passed_over
                   if "no image" not in p.reason and p.reason != "a prerelease"}
        if g.rows:
            rows = []
            for row in g.rows:
                cells = [md(row.version) + (" :no_entry_sign:" if row.version in refused else "")]
                cells += [answer_cell(row.providers[p]) for p in g.providers]
                rows.append(cells)
            out += ["", table(["os-tooling", *[md(p) for p in g.providers]], rows)]
        passed = [p for p in g.choice.passed_over if "no image" not in p.reason]
        if passed:
            out.append("")
            out += [f"- not {md_code(p.version)}: {md(p.reason)}" for p in passed]
        out.append("")
    out += [f"- {md_code(s['file'])}: skipped: {md(s['reason'])}" for s in result.skipped]
    out += [f"\n> {md(n)}" for n in result.notes]
    return "\n".join(out).rstrip() + "\n"
