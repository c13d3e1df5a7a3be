"""Reports for ``plan``: text for a terminal, JSON for machines, Markdown for the PR comment."""

from __future__ import annotations

from os_tooling.core.escape import lines as text_lines
from os_tooling.core.escape import md, md_code, table
from os_tooling.usecases.plan import PlanOutcome


def to_json(outcome: PlanOutcome) -> dict:
    if outcome.plan is None:
        return {"level": None, "current_version": None, "next_version": None, "changes": [],
                "errors": [f.to_dict() for f in outcome.findings], "valid": False}
    data = outcome.plan.to_dict()
    data["errors"] = [{"message": e} for e in outcome.plan.errors]
    data["valid"] = True
    return data


def _headline(outcome: PlanOutcome) -> str:
    p = outcome.plan
    assert p is not None
    if p.current_version is None:
        return f"level {p.level} (no current version)"
    if str(p.level) == "none":
        return f"no release: os-tooling stays {p.current_version}"
    return f"os-tooling {p.current_version} -> {p.next_version} ({p.level})"


def text(outcome: PlanOutcome) -> str:
    if outcome.plan is None:
        lines = [f"{f.where()}: error: {f.message}" for f in outcome.findings]
        return text_lines(lines + ["plan: not computed, the manifest is invalid"])
    p = outcome.plan
    lines = [f"plan: {_headline(outcome)}"]
    width = max((len(c.label) for c in p.changes), default=0)
    for c in p.changes:
        span = f"{c.old or '-'} -> {c.new or '-'}  " if c.tool is not None else ""
        lines.append(f"  {str(c.level):<6} {c.label:<{width}}  {span}{c.reason}")
    if not p.changes:
        lines.append("  no change that affects the images")
    lines += [f"note: {n}" for n in p.notes]
    lines += [f"error: {e}" for e in p.errors]
    return text_lines(lines)


def markdown(outcome: PlanOutcome) -> str:
    if outcome.plan is None:
        rows = [[md_code(f.file), md(f.line), md(f.message)] for f in outcome.findings]
        return "\n".join(["### os-tooling plan: the manifest is invalid :x:", "",
                          table(["File", "Line", "Message"], rows)])
    p = outcome.plan
    if p.current_version is not None and str(p.level) != "none":
        head = f"### os-tooling: this PR releases **{md(p.next_version)}** ({md(p.level)})"
    else:
        head = f"### os-tooling plan: {md(_headline(outcome))}"
    out = [head]
    if p.changes:
        rows = [[md(c.label), md_code(c.old), md_code(c.new), f"**{md(c.level)}**",
                 md(c.reason)] for c in p.changes]
        out += ["", table(["Tool", "From", "To", "Level", "Reason"], rows)]
    else:
        out += ["", "No change that affects the images."]
    out += [f"\n> {md(n)}" for n in p.notes]
    out += [f"\n:x: {md(e)}" for e in p.errors]
    return "\n".join(out)
