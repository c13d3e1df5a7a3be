"""Reports for ``bump --base-ref`` (the release files a release PR adds).

The text and Markdown reports are built from the JSON report, so the action (which has only the
JSON) renders the very same Markdown. File paths, names and versions come from the PR: the text
report strips control characters, the Markdown report escapes everything.
"""

from __future__ import annotations

from os_tooling.core.escape import lines as text_lines
from os_tooling.core.escape import md, md_code
from os_tooling.core.escape import plain as _plain
from os_tooling.report.reporter import Reporter
from os_tooling.usecases.release_pr import BUMPED, KEPT, REFUSED, UNCHANGED, BumpRun


def to_json(result: BumpRun) -> dict:
    return {"base_ref": result.base_ref, "target": result.target, "ok": result.ok,
            "changed": bool(result.changed_files), "written": result.written,
            "dry_run": result.dry_run, "files": result.changed_files,
            "releases": [r.to_dict() for r in result.releases],
            "skipped": list(result.skipped), "notes": list(result.notes)}


def text(result: BumpRun) -> str:
    return text_from_json(to_json(result))


def markdown(result: BumpRun) -> str:
    return markdown_from_json(to_json(result))


def _line(release: dict, dry_run: bool) -> str:
    file, status = _plain(release.get("file")), release.get("status")
    old, new = _plain(release.get("from")), _plain(release.get("to"))
    if status == BUMPED:
        verb = "would set" if dry_run else "set"
        return f"{file}: {verb} os-tooling {old} -> {new} (image {_plain(release.get('image'))} exists)"
    if status == UNCHANGED:
        return f"{file}: os-tooling already {old}"
    if status == KEPT:
        return f"{file}: kept os-tooling {old}: {_plain(release.get('reason'))}"
    return f"{file}: REFUSED: {_plain(release.get('reason'))}"


def text_from_json(data: dict) -> str:
    lines = []
    for release in data.get("releases") or []:
        lines.append(_line(release, bool(data.get("dry_run"))))
        for passed in release.get("passed_over") or []:
            lines.append(f"    passed over {_plain(passed.get('version'))}: "
                         f"{_plain(passed.get('reason'))}")
        lines += [f"    {_plain(change)}" for change in release.get("binary_changes") or []]
    lines += [f"{_plain(s.get('file'))}: not bumped: {_plain(s.get('reason'))}"
              for s in data.get("skipped") or []]
    lines += [f"note: {_plain(n)}" for n in data.get("notes") or []]
    changed = len(data.get("files") or [])
    verdict = "ok" if data.get("ok") else "FAILED"
    target = _plain(data.get("target"))
    lines.append(f"bump: {verdict}: {changed} release file(s) "
                 f"{'to change' if data.get('dry_run') else 'changed'} (os-tooling {target}, "
                 f"release files added since {_plain(data.get('base_ref'))})")
    return text_lines(lines)


def markdown_from_json(data: dict) -> str:
    changed = data.get("files") or []
    if not data.get("ok"):
        head = "### os-tooling bump: refused :x:"
    elif changed:
        verb = "would set" if data.get("dry_run") else "set"
        head = f"### os-tooling bump: {verb} os-tooling in {len(changed)} release file(s)"
    else:
        head = "### os-tooling bump: nothing to change :white_check_mark:"
    out = [head, ""]
    for release in data.get("releases") or []:
        status = release.get("status")
        file = md_code(release.get("file"))
        if status == BUMPED:
            out.append(f"- {file}: os-tooling {md_code(release.get('from'))} -> "
                       f"{md_code(release.get('to'))} (image {md_code(release.get('image'))} "
                       "exists)")
        elif status == UNCHANGED:
            out.append(f"- {file}: os-tooling already {md_code(release.get('from'))}")
        elif status == KEPT:
            out.append(f"- {file}: kept {md_code(release.get('from'))}: "
                       f"{md(release.get('reason'))}")
        elif status == REFUSED:
            out.append(f"- {file}: :x: {md(release.get('reason'))}")
        for passed in release.get("passed_over") or []:
            out.append(f"  - passed over {md_code(passed.get('version'))}: "
                       f"{md(passed.get('reason'))}")
        out += [f"  - {md(change)}" for change in release.get("binary_changes") or []]
    out += [f"- {md_code(s.get('file'))}: not bumped: {md(s.get('reason'))}"
            for s in data.get("skipped") or []]
    out += [f"\n> {md(n)}" for n in data.get("notes") or []]
    return "\n".join(out).rstrip() + "\n"


# -- bump RELEASE_FILE: one file, its report is the JSON dict the command builds ------------------
def _file_lines(data: dict) -> list[str]:
    file, old, new = data.get("file"), data.get("from"), data.get("to")
    verb = "set" if data.get("written") else "would set"  # changed and not written: --dry-run
    lines = [f"{file}: {verb} os-tooling {old} -> {new}" if data.get("changed")
             else f"{file}: os-tooling already {old}"]
    lines.append(f"image {data.get('image')}: "
                 + ("exists" if data.get("image_exists") else "MISSING (--force)"))
    return lines + list(data.get("binary_changes") or [])


def file_text(data: dict) -> str:
    return text_lines(_file_lines(data))


def file_markdown(data: dict) -> str:
    return "\n".join(f"- {md(line)}" for line in _file_lines(data))


FILE_REPORTER = Reporter(text=file_text, markdown=file_markdown, json=dict)
