"""The ``requests`` check in the gate's reports: each request checked, with its range, the version
found and where (component, app, or binary of an os-tooling version). JSON carries the same in
the check's ``requests`` list.

Names, ranges and versions come from ``requests.yaml`` and Release CRs, which a pull request
can write: text goes through ``plain``, Markdown through ``md``/``md_code``/``table``.
"""

from __future__ import annotations

from os_tooling.core.escape import md, md_code, plain, table
from os_tooling.core.gate_results import FAILING, Check, GatedRelease, GateResult
from os_tooling.core.statuses import CheckName, CheckStatus

CHECK = CheckName.REQUESTS
MAX_OK_TABLES = 10  # releases whose requests all hold, shown in full in Markdown
_ICONS = {"ok": ":white_check_mark:", "violation": ":x:", "error": ":x:",
          "not-run": ":grey_question:"}
_ORIGIN = {"added": "added by this change", "base": "from the base revision (this change drops "
                                                   "or edits it)"}


def _requests_of(check: Check) -> list[dict]:
    items = check.details.get("requests") if check.name == CHECK else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _where(item: dict) -> str:
    if item.get("source") == "binary":
        return f"binary of os-tooling {item.get('os_tooling')}"
    return str(item.get("source") or "")


def text_lines(check: Check) -> list[str]:
    """Lines under the ``requests`` check of the text report (already escaped)."""
    out = []
    for item in _requests_of(check):
        found = (f"found {plain(item.get('found'))} ({plain(_where(item))})"
                 if item.get("found") is not None else "not found")
        origin = f" [{_ORIGIN[item['origin']]}]" if item.get("origin") in _ORIGIN else ""
        if item.get("issue"):
            origin += f" [issue: {plain(item.get('issue'))}]"
        out.append(f"      {plain(item.get('status')):<10} {plain(item.get('name'))} "
                   f"{plain(item.get('range'))} (releases {plain(item.get('releases'))}): "
                   f"{found}{origin}")
    return out


def markdown_lines(result: GateResult) -> list[str]:
    """A "Requests" section: per release, a table of the requests checked (failing releases
    first; releases whose requests all hold are capped, the JSON report has them all)."""
    shown = [(r, c) for r in result.releases for c in r.checks if _requests_of(c)]
    if not shown:
        return []
    failing = [(r, c) for r, c in shown if c.status in FAILING or c.status == CheckStatus.NOT_RUN]
    passing = [(r, c) for r, c in shown if not (c.status in FAILING or c.status == CheckStatus.NOT_RUN)]
    out = ["", "#### Requests", ""]
    for release, check in failing + passing[:MAX_OK_TABLES]:
        out += _release_table(release, check)
    if len(passing) > MAX_OK_TABLES:
        out.append(f"... and {len(passing) - MAX_OK_TABLES} more release(s) whose requests all "
                   "hold (see the JSON report)")
        out.append("")
    return out


def _release_table(release: GatedRelease, check: Check) -> list[str]:
    files = ", ".join(md_code(f) for f in check.details.get("requests_files") or [])
    changed = " (edited by this change: its requests and the base's apply)" \
        if check.details.get("requests_changed") else ""
    rows = []
    items = _requests_of(check)  # failing requests first, each group in the file's order
    for item in [i for i in items if i.get("status") != "ok"] + [i for i in items
                                                                 if i.get("status") == CheckStatus.OK]:
        status = str(item.get("status"))
        found = md_code(item.get("found")) if item.get("found") is not None else "-"
        note = md(_ORIGIN.get(str(item.get("origin")), ""))
        if item.get("issue"):
            note = (note + "; " if note else "") + "issue: " + md(item.get("issue"))
        similar = item.get("similar") or []
        if similar:
            note = (note + "; " if note else "") + "did you mean " + ", ".join(
                md_code(s) for s in similar[:3])
        rows.append([md_code(item.get("name")), md(item.get("range")),
                     md(item.get("releases")), found, md(_where(item)) or "-",
                     f"{_ICONS.get(status, '')} {md(status)}", note or "-"])
    name = md_code(release.name) if release.name else md_code(release.file)
    return [f"{name} ({md_code(release.file)}), requests of {files}{md(changed)}:", "",
            table(["Request", "Range", "For releases", "Found", "Source", "Status", "Note"], rows),
            ""]
