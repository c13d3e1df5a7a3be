"""Release notes (Markdown) and the ``os-tooling.json`` payload of a release. Pure: no I/O.

Both are deterministic functions of the release facts and the head manifest (no clock), so two
runs that race to publish the same release produce the same text and the same asset.
Untrusted text (tool names, versions, providers, reasons) is escaped with
``os_tooling.core.escape``; links are built only from validated parts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from os_tooling.core.escape import md, md_code, table
from os_tooling.core.levels import Level
from os_tooling.core.manifest import Manifest, Tool
from os_tooling.core.policy import Change
from os_tooling.core.versions import Version

PAYLOAD_SCHEMA = "os-tooling-release/v1"


@dataclass(frozen=True)
class ReleaseFacts:
    version: Version  # without prefix, e.g. 1.3.0
    tag: str  # e.g. v1.3.0
    commit: str
    previous_version: Version | None
    previous_tag: str | None
    level: Level
    changes: tuple[Change, ...] = ()
    remarks: tuple[str, ...] = ()  # plan notes, e.g. "below 1.0.0: a major releases a minor"
    repository_url: str | None = None  # https://github.com/OWNER/NAME, for the compare link
    extra: dict = field(default_factory=dict, compare=False)


def upstream_url(tool: Tool) -> str | None:
    """The upstream release page of a tool whose ``# renovate:`` annotation names a GitHub repo.

    The tag is the version as written when it has a ``v``; a ``v`` is added when the
    annotation's ``extractVersion`` strips one (``^v(?<version>.*)$``), as Renovate would.
    Otherwise the tag may or may not carry a ``v`` (teleport's ``17.4.2`` is tagged
    ``v17.4.2``): the link searches the releases for the version rather than guess a tag page
    that may not exist.
    """
    repo = tool.upstream_repo
    if repo is None:
        return None
    text = str(tool.version)
    extract = tool.annotation.get("extractVersion", "")
    if not text.startswith("v") and re.match(r"^\^?v", extract):
        text = "v" + text
    if not text.startswith("v"):
        return f"https://github.com/{repo}/releases?q={quote(text, safe='.+-')}&expanded=true"
    return f"https://github.com/{repo}/releases/tag/{quote(text, safe='.+-')}"


def _providers(tool: Tool) -> str:
    return ", ".join(md(p) for p in tool.providers)


def _change_row(change: Change) -> list[str]:
    return [md(change.label), md_code(change.old) or "-", md_code(change.new) or "-",
            f"**{md(change.level)}**", md(change.reason)]


def render_notes(facts: ReleaseFacts, manifest: Manifest) -> str:
    """The release notes: version, every binary with version/providers/upstream, the changes."""
    v = md(facts.version.core)
    lines = [f"# os-tooling {v}", ""]
    head = f"Tag {md_code(facts.tag)} at commit {md_code(facts.commit[:12])}"
    if facts.previous_version is not None:
        head += f"; previous version {md(facts.previous_version.core)}; level **{md(facts.level)}**."
    else:
        head += "; the first release."
    lines += [head, "",
              # version.core matches the semver grammar: safe inside a code span as it is
              "Node images with these binaries are named "
              f"`flatcar-stable-<flatcar>-kube-<kubernetes>-tooling-{facts.version.core}-gs`.",
              "", "## Binaries", ""]
    if manifest.tools:
        rows = []
        for tool in sorted(manifest.tools, key=lambda t: t.name):
            url = upstream_url(tool)
            link = f"[{md(tool.upstream_repo)}]({url})" if url else "-"
            rows.append([md(tool.name), md_code(tool.version), _providers(tool), link])
        lines.append(table(["Binary", "Version", "Providers", "Upstream"], rows))
    else:
        lines.append("The manifest lists no binaries.")
    lines.append("")
    if facts.previous_version is None:
        lines += ["## Changes", "", "First release: every binary is new."]
    else:
        lines += [f"## Changes since {md(facts.previous_version.core)}", ""]
        if facts.changes:
            lines.append(table(["Binary", "From", "To", "Level", "Reason"],
                               [_change_row(c) for c in facts.changes]))
        else:
            lines.append("No binary changed.")
        if facts.repository_url and facts.previous_tag:
            lines += ["", f"Full diff: {facts.repository_url}/compare/"
                          f"{quote(facts.previous_tag, safe='.+-')}...{quote(facts.tag, safe='.+-')}"]
    for remark in facts.remarks:
        lines += ["", f"> {md(remark)}"]
    return "\n".join(lines) + "\n"


def payload(facts: ReleaseFacts, manifest: Manifest) -> dict:
    """The ``os-tooling.json`` asset: what ``describe`` and the gate read back."""
    return {
        "schema": PAYLOAD_SCHEMA,
        "version": facts.version.core,
        "tag": facts.tag,
        "commit": facts.commit,
        "previous_version": facts.previous_version.core if facts.previous_version else None,
        "previous_tag": facts.previous_tag,
        "level": str(facts.level),
        "tools": [{**tool.to_dict(), "upstream": tool.upstream_repo}
                  for tool in sorted(manifest.tools, key=lambda t: t.name)],
        "changes": [c.to_dict() for c in facts.changes],
    }


def payload_bytes(data: dict) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
