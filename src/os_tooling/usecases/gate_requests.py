"""The ``requests`` check of the gate (and the requests rule of ``bump``/``available``): the
provider directory's ``requests.yaml`` applied to a release.

Where the file comes from: next to the release directories (``<root>/<dir>/requests.yaml``;
absent = no requests), read through the bounded reader. For a change (``--base-ref``, ``--pr``)
it is repository content the change may edit: the change's own file applies (a new CVE floor
takes effect in the change that adds it) and so does the base revision's (a change must not
drop or loosen a request to let its own release through): the union of both. The report says
when a change edits the file.

Only a request that names nothing in the release's components and apps (a binary request)
needs the os-tooling manifest, and only then is it read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from os_tooling.adapters import git
from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.base_files import top_prefix
from os_tooling.adapters.files import decode_text, read_text
from os_tooling.core.findings import Finding
from os_tooling.core.gate_results import NOT_APPLICABLE, Check
from os_tooling.core.release_cr import OS_TOOLING, ReleaseCR
from os_tooling.core.requests import (
    ACTIVE,
    BINARY,
    ERROR,
    NOT_RUN,
    OK,
    REQUESTS_FILE,
    VIOLATION,
    Applied,
    Binaries,
    Outcome,
    Request,
    RequestsFile,
    applicable,
    is_binary_request,
    judge,
    parse_requests,
)
from os_tooling.core.statuses import CheckName
from os_tooling.core.tooling_source import ToolingLookupError
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError

CHECK = CheckName.REQUESTS
ADDED, FROM_BASE = "added", "base"  # a request only in the change's file, only in the base's
MAX_LISTED = 5  # failing requests spelled out in a check message


# -- where the files come from -------------------------------------------------------------------
class RevisionReader(Protocol):
    label: str  # e.g. "origin/main"

    def read(self, relative: str) -> str | None:
        """Text of ``relative`` (from the repository root) at that revision; None when absent.
        Raises UsageError when it cannot be read (a symlink, too large, not text)."""
        ...


class GitRevision:
    """A revision of the local repository (the base of ``--base-ref``)."""

    def __init__(self, repo_root: Path, commit: str, label: str):
        self.repo_root, self.commit, self.label = repo_root, commit, label
        self.prefix = top_prefix(repo_root)

    def read(self, relative: str) -> str | None:
        return git.show_file(self.repo_root, self.commit, self.prefix + relative)


class GitHubRevision:
    """A commit of the repository on GitHub (``--pr``: the pull request's base or head)."""

    def __init__(self, repo: Any, full_name: str, sha: str, label: str):
        self.repo, self.full_name, self.sha, self.label = repo, full_name, sha, label

    def read(self, relative: str) -> str | None:
        try:
            content = self.repo.get_contents(relative, ref=self.sha)
        except Exception as exc:
            if ghc.is_github_error(exc) and ghc.status_of(exc) == 404:
                return None
            if ghc.is_github_error(exc):
                raise UsageError(ghc.explain(exc, f"reading {relative} of {self.full_name} at "
                                             f"{self.label}")) from None
            raise
        if isinstance(content, list) or getattr(content, "type", "file") != "file" \
                or not isinstance(content.decoded_content, bytes):
            raise UsageError(f"{relative} of {self.full_name} at {self.label} is not a regular file")
        return decode_text(content.decoded_content, f"{self.full_name}:{relative}", "requests file")


@dataclass(frozen=True)
class RequestsSource:
    label: str  # "capa/requests.yaml", "capa/requests.yaml at origin/main"
    origin: str  # "head" (the release's own revision) or "base"
    parsed: RequestsFile | None  # None: no such file (or it could not be read)
    problem: str = ""  # why it could not be read


@dataclass
class RequestsLoader:
    """``requests.yaml`` of each release directory, from the working tree (or ``head``) and,
    for a change, from its base revision too. Cached per file; notes say what a change does
    to a requests file."""

    repo_root: Path | None = None
    base: RevisionReader | None = None
    head: RevisionReader | None = None  # default: the working tree
    notes: list[str] = field(default_factory=list)
    _cache: dict[str, list[RequestsSource]] = field(default_factory=dict)

    def sources(self, path: Path) -> list[RequestsSource]:
        key = str(path)
        if key not in self._cache:
            self._cache[key] = self._load(path)
        return self._cache[key]

    def for_release(self, release_file: Path, cr: ReleaseCR) -> list[RequestsSource]:
        """The sources for a release file at ``release_file`` (its place in the layout)."""
        assert cr.path is not None
        depth = 4 if cr.path.archived else 3  # <root>/<dir>/[archived/]v<ver>/release.yaml
        parts = release_file.parts
        root = Path(*parts[:-depth]) if len(parts) > depth else Path(release_file.anchor or ".")
        return self.sources(root / cr.path.directory / REQUESTS_FILE)

    def _relative(self, path: Path) -> str | None:
        if self.repo_root is None:
            return None
        try:
            return path.resolve().relative_to(self.repo_root.resolve()).as_posix()
        except (ValueError, OSError):
            return None

    def _load(self, path: Path) -> list[RequestsSource]:
        relative = self._relative(path)
        label = relative or str(path)
        head_text, head_problem = self._read_head(path, relative)
        out = [_source(label, "head", head_text, head_problem)]
        if self.base is None or relative is None:
            return out
        base_label = f"{label} at {self.base.label}"
        try:
            base_text, base_problem = self.base.read(relative), ""
        except UsageError as exc:
            base_text, base_problem = None, str(exc)
        if base_problem:
            self._note(f"the base revision's {base_label} cannot be read ({base_problem}): only "
                       "this change's requests apply")
            return out
        if base_text == head_text:
            return out  # unchanged: one file
        base = _source(base_label, FROM_BASE, base_text, "")
        if base.parsed is not None and base.parsed.findings:
            first = base.parsed.findings[0]
            self._note(f"{base_label} is not a valid requests file ({first.where()}: "
                       f"{first.message}): only this change's requests apply")
            return out
        if base_text is None:
            self._note(f"this change adds {label}: its requests apply")
        elif head_text is None and not head_problem:
            self._note(f"this change removes {label}: the requests of {self.base.label} still "
                       "apply")
        else:
            self._note(f"this change edits {label}: the requests of both this change and "
                       f"{self.base.label} apply")
        return out + [base]

    def _read_head(self, path: Path, relative: str | None) -> tuple[str | None, str]:
        try:
            if self.head is not None and relative is not None:
                return self.head.read(relative), ""
            if not os.path.lexists(path):
                return None, ""

            return read_text(path, "requests file", root=self.repo_root), ""
        except UsageError as exc:
            return None, str(exc)

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)


def _source(label: str, origin: str, text: str | None, problem: str) -> RequestsSource:
    if text is None:
        return RequestsSource(label, origin, None, problem)
    return RequestsSource(label, origin, parse_requests(text, label))


# -- the requests that apply to a release --------------------------------------------------------
@dataclass
class Applying:
    """The requests of all sources that apply to one release, with each one's origin."""

    applied: list[tuple[Applied, str]] = field(default_factory=list)  # (request, origin)
    findings: list[Finding] = field(default_factory=list)  # make the check an error
    ignored: list[str] = field(default_factory=list)  # problems of the base's own requests
    files: list[str] = field(default_factory=list)  # labels of the files that exist
    changed: bool = False  # a change edits the file


def requests_for(cr: ReleaseCR, sources: Sequence[RequestsSource]) -> Applying:
    """Union of the sources' requests that apply to ``cr`` (by its release version)."""
    out = Applying()
    head = [s for s in sources if s.origin != FROM_BASE]
    base = [s for s in sources if s.origin == FROM_BASE]
    out.changed = bool(base)
    for source in sources:
        if source.parsed is not None or source.problem:
            out.files.append(source.label)
        if source.problem and source.origin != FROM_BASE:
            out.findings.append(Finding(f"cannot read {source.label}: {source.problem}",
                                        source.label))
    head_requests = [r for s in head if s.parsed is not None for r in s.parsed.requests]
    for s in head:
        if s.parsed is not None:
            out.findings += s.parsed.findings
    head_keys = {r.key() for r in head_requests}
    base_keys = {r.key() for s in base if s.parsed is not None for r in s.parsed.requests}
    base_only: list[Request] = []
    for s in base:
        if s.parsed is not None:
            base_only += [r for r in s.parsed.requests if r.key() not in head_keys]
    assert cr.version is not None
    version = cr.version.core
    applied, findings = applicable(head_requests, version)
    out.findings += findings
    out.applied += [(a, ADDED if base and a.request.key() not in base_keys else "")
                    for a in applied]
    applied, findings = applicable(base_only, version)
    out.applied += [(a, FROM_BASE) for a in applied]
    out.ignored += [f"{f.where()}: {f.message}" for f in findings]
    return out


# -- the check -----------------------------------------------------------------------------------
def binaries_of(tooling: Any, version: Version, missing_reason: str) -> Callable[[], Binaries]:
    """What os-tooling ``version`` bakes, asked of the tooling source once, when first needed."""

    answer: list[Binaries] = []

    def get() -> Binaries:
        if not answer:
            if tooling is None:
                answer.append(Binaries(str(version), None, NOT_RUN, missing_reason))
            else:
                try:
                    found = tooling.manifest(version)
                except ToolingLookupError as exc:
                    found = None
                    answer.append(Binaries(str(version), None, ERROR, f"could not read the "
                                           f"binaries of os-tooling {version}: {exc}"))
                if found is not None and found.manifest is None:
                    answer.append(Binaries(str(version), None, ERROR, f"could not read the "
                                           f"binaries of os-tooling {version}: {found.reason}"))
                elif found is not None:
                    answer.append(Binaries(str(version), found.manifest.by_name()))
        return answer[0]

    return get


def requests_check(cr: ReleaseCR, sources: Sequence[RequestsSource],
                   binaries: Callable[[], Binaries]) -> Check:
    """One ``requests`` check for a gated release."""
    line, column = cr.name_mark
    if cr.state != ACTIVE:
        state = "no spec.state" if cr.state is None else f"spec.state is {cr.state}"
        return Check(CHECK, NOT_APPLICABLE, f"{state}: requests apply to active releases only",
                     line, column)
    applying = requests_for(cr, sources)
    details: dict = {"requests_files": list(applying.files),
                     "requests_changed": applying.changed}
    if not applying.files:
        return Check(CHECK, NOT_APPLICABLE, f"no {sources[0].label}: no requests"
                     if sources else "no requests file", line, column, details)
    outcomes = [_with_origin(judge(a, cr, binaries), origin) for a, origin in applying.applied]
    details["requests"] = [outcome_dict(o) for o in outcomes]
    if applying.ignored:
        details["ignored"] = list(applying.ignored)
    if applying.findings:
        shown = "; ".join(f"{f.where()}: {f.message}" for f in applying.findings[:3])
        more = len(applying.findings) - 3
        return Check(CHECK, ERROR, f"requests cannot be checked: {shown}"
                     + (f" (and {more} more)" if more > 0 else ""), line, column, details)
    if not outcomes:
        assert cr.version is not None
        return Check(CHECK, NOT_APPLICABLE, f"no request of {', '.join(applying.files)} applies "
                     f"to {cr.version.core}", line, column, details)
    status = next(s for s in (ERROR, VIOLATION, NOT_RUN, OK) if any(o.status == s for o in outcomes))
    if status == OK:
        return Check(CHECK, OK, f"{len(outcomes)} request(s) satisfied: "
                     f"{', '.join(_names(outcomes))} ({', '.join(applying.files)})",
                     line, column, details)
    failing = [o for o in outcomes if o.status != OK]
    message = "; ".join(o.message for o in failing[:MAX_LISTED])
    if len(failing) > MAX_LISTED:
        message += f"; and {len(failing) - MAX_LISTED} more"
    first = next(o for o in failing if o.status == status)
    line, column = _mark(cr, first)
    return Check(CHECK, status, message, line, column, details)


def _names(outcomes: list[Outcome]) -> list[str]:
    return list(dict.fromkeys(o.request.name for o in outcomes))


def _mark(cr: ReleaseCR, outcome: Outcome) -> tuple[int | None, int | None]:
    """Where the release file shows the problem: the component or app found, os-tooling for a
    binary, the release's name otherwise."""
    found = outcome.found
    if found is not None and found.line is not None:
        return found.line, found.column
    if (found is not None and found.source == BINARY) or outcome.status in (ERROR, NOT_RUN):
        return cr.mark_of(OS_TOOLING)
    return cr.name_mark


def _with_origin(outcome: Outcome, origin: str) -> Outcome:
    return replace(outcome, origin=origin) if origin else outcome


def outcome_dict(o: Outcome) -> dict:
    r = o.request
    return {"name": r.name, "range": r.version, "releases": r.releases, "status": o.status,
            "found": o.found.version if o.found else None,
            "source": o.found.source if o.found else None,
            "os_tooling": o.found.os_tooling if o.found else None,
            "file": r.file, "line": r.line, "origin": o.origin or None, "issue": r.issue,
            "similar": list(o.similar), "message": o.message}


# -- for bump and available: may a release take an os-tooling version? ----------------------------
def binary_refusal(cr: ReleaseCR, sources: Sequence[RequestsSource],
                   binaries: Callable[[], Binaries]) -> str | None:
    """Why ``cr`` may not take the os-tooling version whose binaries ``binaries`` gives: a
    binary request it breaks, or one that cannot be checked (fails closed). Component and app
    requests do not depend on os-tooling and are the gate's business."""
    if cr.state != ACTIVE:
        return None
    applying = requests_for(cr, sources)
    if applying.findings:
        first = applying.findings[0]
        return f"requests cannot be checked: {first.where()}: {first.message}"
    for applied, _origin in applying.applied:
        if not is_binary_request(applied.request, cr):
            continue
        outcome = judge(applied, cr, binaries)
        if outcome.status != OK:
            return f"breaks request {outcome.message}" if outcome.status == VIOLATION \
                else outcome.message
    return None
