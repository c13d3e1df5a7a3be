"""Reports for ``gate``: text for a terminal, JSON for machines (docs/gate.md plus
``annotations`` for ``::error file=..,line=..::`` commands), Markdown for the job summary and
the sticky PR comment.

Everything from a Release CR (names, versions, paths, messages quoting them) is untrusted: the
text report strips control characters so no line can start a workflow command; the Markdown
report escapes it with ``md``/``md_code``.
"""

from __future__ import annotations

from os_tooling.core.escape import lines as text_lines
from os_tooling.core.escape import md, md_code, plain, table
from os_tooling.core.gate_results import FAILING, GatedRelease, GateResult
from os_tooling.core.statuses import CheckStatus, ReleaseStatus
from os_tooling.report.requests import markdown_lines as requests_markdown
from os_tooling.report.requests import text_lines as request_lines

MAX_OK_ROWS = 100  # PR comments are limited to 65536 characters
_ICONS = {"ok": ":white_check_mark:", "missing": ":x:", "violation": ":x:", "error": ":x:",
          "skipped": ":fast_forward:", "not-run": ":grey_question:",
          "not-applicable": ":heavy_minus_sign:"}


def to_json(result: GateResult) -> dict:
    return result.to_dict()


def _plain(value: object) -> str:
    """One line of untrusted text for a terminal: control characters become visible escapes."""
    return plain(value)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def summary_line(summary: dict[str, int]) -> str:
    """The one summary line of every format, from ``GateResult.summary()`` (the JSON's
    ``summary``): "3 release files: 2 gated (1 ok, 1 missing, 0 violation, 0 error), 1 skipped"."""
    moved = summary["moved_to_archived"]
    if not summary["releases"]:
        if moved:
            return (f"{_count(moved, 'release')} moved to archived/ unchanged: nothing to gate")
        return "no release file to gate"
    gated = (ReleaseStatus.OK, ReleaseStatus.MISSING, ReleaseStatus.VIOLATION, ReleaseStatus.ERROR)
    statuses = ", ".join(f"{summary[s]} {s}" for s in gated)
    line = (f"{_count(summary['releases'], 'release file')}: {summary['gated']} gated "
            f"({statuses}), {summary['skipped']} skipped")
    if moved:
        line += f"; {_count(moved, 'release')} moved to archived/ unchanged, not gated"
    return line


def _verdict(result: GateResult) -> str:
    return "ok" if result.ok else "FAILED"


def text(result: GateResult) -> str:
    lines: list[str] = []
    for r in result.releases:
        label = f"{_plain(r.name)} ({_plain(r.provider)})" if r.name else "(unnamed)"
        if r.status == ReleaseStatus.SKIPPED:
            lines.append(f"[skipped] {_plain(r.file)}: {label}: {_plain(r.reason)}")
            continue
        image = f" image {_plain(r.image)}" if r.image else ""
        lines.append(f"[{r.status}] {_plain(r.file)}: {label}{image}")
        for c in r.checks:
            where = f" (line {c.line})" if c.line else ""
            lines.append(f"    {c.status:<14} {c.name}: {_plain(c.message)}{where}")
            lines += request_lines(c)
        if r.binary_changes and r.tooling_span:
            old, new = r.tooling_span
            lines.append(f"    binary changes, os-tooling {_plain(old)} -> {_plain(new)}:")
            for ch in r.binary_changes:
                lines.append(f"      {_plain(ch.tool)} {_plain(ch.old or '-')} -> "
                             f"{_plain(ch.new or '-')} ({ch.level}: {_plain(ch.reason)})")
    lines += [f"note: {_plain(n)}" for n in result.notes]
    lines.append(f"gate: {_verdict(result)}: {summary_line(result.summary())}")
    return text_lines(lines)


def _not_checked(result: GateResult) -> list[str]:
    """Checks that did not run, one line per check and reason with how many releases: the
    reason (how to run them) is said once, not once per release."""
    groups: dict[tuple[str, str], int] = {}
    for r in result.releases:
        for c in r.checks:
            if c.status == CheckStatus.NOT_RUN:
                key = (c.name, str(c.details.get("reason") or c.message))
                groups[key] = groups.get(key, 0) + 1
    if not groups:
        return []
    out = ["", "#### Not checked", ""]
    out += [f"- {_ICONS['not-run']} **{md(name)}** not run for {_count(n, 'release')}: {md(why)}"
            for (name, why), n in sorted(groups.items())[:20]]
    if len(groups) > 20:
        out.append(f"- ... and {len(groups) - 20} more")
    return out


def _release_cell(r: GatedRelease) -> str:
    name = md_code(r.name) if r.name else "(unnamed)"
    return f"{name}<br>{md_code(r.file)}"


def markdown(result: GateResult) -> str:
    icon = ":white_check_mark:" if result.ok else ":x:"
    out = [f"### os-tooling gate: {_verdict(result)} {icon}", "", summary_line(result.summary())]

    shown = [r for r in result.releases if r.status != ReleaseStatus.SKIPPED]
    failing_rows = [r for r in shown if r.status in FAILING]
    ok_rows = [r for r in shown if r.status not in FAILING]
    rows = [[_release_cell(r), md(r.provider), md_code(r.image) or "-",
             f"{_ICONS.get(r.status, '')} {md(r.status)}"]
            for r in failing_rows + ok_rows[:MAX_OK_ROWS]]
    if rows:
        out += ["", table(["Release", "Provider", "Image", "Status"], rows)]
    if len(ok_rows) > MAX_OK_ROWS:
        out.append(f"\n... and {len(ok_rows) - MAX_OK_ROWS} more ok release(s) (see the JSON "
                   "report)")

    problems = [(r, c) for r in failing_rows for c in r.checks if c.status in FAILING]
    if problems:
        out += ["", "#### Problems", ""]
        for r, c in problems:
            line = f" line {c.line}" if c.line else ""
            out.append(f"- {md_code(r.name or r.file)} ({md_code(r.file)}{md(line)}): "
                       f"**{md(c.name)}** {md(c.status)}: {md(c.message)}")

    with_changes = [r for r in result.releases if r.binary_changes and r.tooling_span]
    if with_changes:
        out += ["", "#### Binary changes", ""]
        for r in with_changes:
            assert r.tooling_span is not None
            old, new = r.tooling_span
            previous = r.previous["name"] if r.previous else "?"
            out.append(f"{md_code(r.name)} ({md(r.provider)}): os-tooling {md_code(old)} -> "
                       f"{md_code(new)} since {md_code(previous)}")
            out.append("")
            out.append(table(["Binary", "From", "To", "Level", "Reason"],
                             [[md(ch.tool), md_code(ch.old) or "-", md_code(ch.new) or "-",
                               md(ch.level), md(ch.reason)] for ch in r.binary_changes]))
            out.append("")

    out += requests_markdown(result)
    out += _not_checked(result)

    skipped = [r for r in result.releases if r.status == ReleaseStatus.SKIPPED]
    if skipped:
        out += ["", "#### Skipped (no node image to gate)", ""]
        out += [f"- {md_code(r.name or r.file)} ({md_code(r.file)}): {md(r.reason)}"
                for r in skipped[:MAX_OK_ROWS]]
        if len(skipped) > MAX_OK_ROWS:
            out.append(f"- ... and {len(skipped) - MAX_OK_ROWS} more")
    out += [f"\n> {md(n)}" for n in result.notes]
    return "\n".join(out).rstrip() + "\n"
