"""Reports for ``release``, ``describe`` and ``diff``: text, JSON and Markdown."""

from __future__ import annotations

from dataclasses import dataclass

from os_tooling.core.escape import lines as text_lines
from os_tooling.core.escape import md, md_code, table
from os_tooling.core.manifest import Manifest
from os_tooling.core.policy import Change, Plan
from os_tooling.core.statuses import ChangeKind, ReleaseOutcome
from os_tooling.core.versions import Version
from os_tooling.report.reporter import Reporter
from os_tooling.usecases.release import ReleaseResult

_HEADLINES = {
    ReleaseOutcome.RELEASED: "released os-tooling {version} ({level}): tag {tag} at {commit}",
    ReleaseOutcome.REPAIRED: "repaired os-tooling {version}: tag {tag} at {commit} now has its release",
    ReleaseOutcome.ALREADY_RELEASED: "already released: commit {commit} is os-tooling {version} (tag {tag})",
    ReleaseOutcome.NOTHING_TO_RELEASE: "no release: nothing changed the images since {tag}",
    ReleaseOutcome.CONTAINED: "no release: commit {commit} is already part of {tag}",
    ReleaseOutcome.DRY_RUN: "dry run: would release os-tooling {version} ({level}) as tag {tag} at {commit}",
}


def headline(result: ReleaseResult) -> str:
    return _HEADLINES[result.outcome].format(
        version=result.version.core if result.version else "?", level=result.level,
        tag=result.tag, commit=result.commit[:12])


# -- release ----------------------------------------------------------------------------------
def release_text(result: ReleaseResult) -> str:
    lines = [headline(result)]
    if result.previous_version is not None and result.outcome in (ReleaseOutcome.RELEASED, ReleaseOutcome.DRY_RUN):
        lines.append(f"  previous: {result.previous_version.core} ({result.previous_tag})")
    if result.release_url:
        lines.append(f"  release: {result.release_url}")
    for change in result.changes:
        lines.append("  " + change_line(change))
    lines += [f"note: {m}" for m in result.messages]
    return text_lines(lines)


def release_markdown(result: ReleaseResult) -> str:
    shows_notes = result.outcome.released or result.outcome == ReleaseOutcome.DRY_RUN
    if result.release_notes and shows_notes:
        prefix = "> Dry run: nothing was tagged or published.\n\n" if result.dry_run else ""
        return prefix + result.release_notes
    return f"### os-tooling release\n\n{md(headline(result))}" + "".join(
        f"\n\n> {md(m)}" for m in result.messages)


def change_line(change: Change) -> str:
    """``teleport 17.1.4 -> 17.4.2 (minor)``; added/removed/provider rows say so."""
    name = change.label
    if change.kind == ChangeKind.ADDED:
        return f"{name} {change.new} added ({change.level})"
    if change.kind == ChangeKind.REMOVED:
        return f"{name} {change.old} removed ({change.level})"
    if change.kind in (ChangeKind.PROVIDER_ADDED, ChangeKind.PROVIDER_REMOVED):
        return f"{name}: {change.reason} ({change.level})"
    if change.kind == ChangeKind.DECLARED:
        return f"{change.reason} ({change.level})"
    if change.kind == ChangeKind.IMAGE_INPUT:
        return change.reason  # says its level already
    return f"{name} {change.old} -> {change.new} ({change.level})"


# -- describe ---------------------------------------------------------------------------------
def describe_json(version: Version, tag: str, manifest: Manifest, source: str) -> dict:
    return {"version": version.core, "tag": tag, "source": source,
            "tools": [t.to_dict() for t in manifest.tools]}


def describe_text(version: Version, tag: str, manifest: Manifest, source: str) -> str:
    lines = [f"os-tooling {version.core} (tag {tag}, from {source}):"]
    width = max((len(t.name) for t in manifest.tools), default=0)
    vwidth = max((len(str(t.version)) for t in manifest.tools), default=0)
    for tool in manifest.tools:
        lines.append(f"  {tool.name:<{width}}  {str(tool.version):<{vwidth}}  "
                     f"{', '.join(tool.providers)}")
    if not manifest.tools:
        lines.append("  (no binaries)")
    return text_lines(lines)


def describe_markdown(version: Version, tag: str, manifest: Manifest, source: str) -> str:
    rows = [[md(t.name), md_code(t.version), ", ".join(md(p) for p in t.providers)]
            for t in manifest.tools]
    return "\n".join([f"### os-tooling {md(version.core)}", "",
                      table(["Binary", "Version", "Providers"], rows) if rows else "No binaries."])


# -- diff -------------------------------------------------------------------------------------
def diff_lines(old: Version, new: Version, changes: list[Change]) -> list[str]:
    """One line per change: ``os-tooling 1.31.0 -> 1.33.1: teleport 17.1.4 -> 17.4.2 (minor)``."""
    prefix = f"os-tooling {old.core} -> {new.core}"
    if not changes:
        return [f"{prefix}: no binary changes"]
    return [f"{prefix}: {change_line(c)}" for c in changes]


def diff_json(old: Version, new: Version, level: str, changes: list[Change]) -> dict:
    return {"from": old.core, "to": new.core, "level": level,
            "changes": [c.to_dict() for c in changes], "lines": diff_lines(old, new, changes)}


def diff_markdown(old: Version, new: Version, changes: list[Change]) -> str:
    head = f"os-tooling {md(old.core)} -> {md(new.core)}"
    if not changes:
        return f"{head}: no binary changes"
    out = [f"{head}:"]
    for c in changes:
        name = md(c.label)
        if c.kind == ChangeKind.ADDED:
            out.append(f"- {name} {md_code(c.new)} added ({md(c.level)})")
        elif c.kind == ChangeKind.REMOVED:
            out.append(f"- {name} {md_code(c.old)} removed ({md(c.level)})")
        elif c.kind in (ChangeKind.VERSION, ChangeKind.DOWNGRADE):
            out.append(f"- {name} {md_code(c.old)} -> {md_code(c.new)} ({md(c.level)})")
        else:
            out.append(f"- {name}: {md(c.reason)} ({md(c.level)})")
    return "\n".join(out)


# -- the reporters of describe and diff ---------------------------------------------------------
@dataclass(frozen=True)
class Described:
    """``describe``'s result: a version, its tag, the manifest at the tag, where it was read."""

    version: Version
    tag: str
    manifest: Manifest
    source: str


DESCRIBE = Reporter(
    text=lambda d: describe_text(d.version, d.tag, d.manifest, d.source),
    markdown=lambda d: describe_markdown(d.version, d.tag, d.manifest, d.source),
    json=lambda d: describe_json(d.version, d.tag, d.manifest, d.source))


@dataclass(frozen=True)
class Diffed:
    """``diff``'s result: two versions and the plan between their manifests."""

    old: Version
    new: Version
    plan: Plan


DIFF = Reporter(
    text=lambda d: text_lines(diff_lines(d.old, d.new, d.plan.changes)),
    markdown=lambda d: diff_markdown(d.old, d.new, d.plan.changes),
    json=lambda d: diff_json(d.old, d.new, str(d.plan.changes_level), d.plan.changes))
