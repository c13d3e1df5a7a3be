"""Requests of the releases repository (``<dir>/requests.yaml``): "cluster releases in this range
must carry this name at a version in that range". Pure: text in, requests and outcomes out.

```yaml
releases:
- name: ">= 34.5.0"                 # the cluster release versions it applies to
  requests:
  - name: containerd                # a component or app of the Release CR, or a baked binary
    version: ">= 1.7.27"            # the range its version must be in
    issue: https://github.com/...   # optional, shown in reports
    except:                         # optional: releases it does not apply to
    - releaseVersion: 34.5.0
      reason: images built before the fix
```

Ranges are read as the releases repository's Go test reads them (``core.semver_range``, a port
of blang/semver's ``ParseRange``). The keys are those of that test, which reads the file
strictly: any other key is an error. A request is judged like that test judges it, extended to
baked binaries:

1. when the release has a component or app of that name, the request is judged there: it holds
   when one of them has a version in the range (the Go test's rule, unchanged);
2. otherwise it is a *binary request*: it holds when the os-tooling manifest of the release's
   os-tooling version bakes a binary of that name for the release's provider at a version in
   the range;
3. a name that is none of these is a violation, with the closest names as a hint.

Every value comes from a repository a pull request can change: it is only ever compared, never
interpreted beyond the range grammar, and reports escape it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from os_tooling.core import yamldoc
from os_tooling.core.findings import Finding, format_location
from os_tooling.core.manifest import Tool
from os_tooling.core.release_cr import ReleaseCR
from os_tooling.core.semver_range import Range, RangeError, SemVer, parse_range, parse_version
from os_tooling.core.statuses import CheckStatus

REQUESTS_FILE = "requests.yaml"
ACTIVE = "active"  # requests apply to active releases only, as in the Go test

COMPONENT, APP, BINARY = "component", "app", "binary"
OK, VIOLATION, ERROR, NOT_RUN = CheckStatus.OK, CheckStatus.VIOLATION, CheckStatus.ERROR, CheckStatus.NOT_RUN

_FILE_KEYS = frozenset({"releases"})
_ENTRY_KEYS = frozenset({"name", "requests"})
_REQUEST_KEYS = frozenset({"name", "version", "issue", "except"})
_EXCEPT_KEYS = frozenset({"releaseVersion", "reason"})
MAX_NAME_LENGTH = 253  # a Kubernetes object name; reports never show more


# -- the file ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Exemption:
    release_version: str  # a release the request does not apply to
    reason: str = ""
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Request:
    name: str
    version: str  # the range the found version must be in, as written
    releases: str  # the range of cluster release versions it applies to, as written
    file: str
    line: int | None = None  # of the request's name
    column: int | None = None
    version_mark: tuple[int | None, int | None] = (None, None)
    releases_mark: tuple[int | None, int | None] = (None, None)
    issue: str | None = None
    exemptions: tuple[Exemption, ...] = ()

    def key(self) -> tuple:
        """Equal for the same request in two revisions of the file (marks aside)."""
        return (self.releases, self.name, self.version,
                tuple((e.release_version, e.reason) for e in self.exemptions), self.issue)

    def label(self) -> str:
        return f"{self.name} {self.version}"

    def where(self) -> str:
        return f"{self.file} line {self.line}" if self.line else self.file


@dataclass
class RequestsFile:
    file: str
    requests: list[Request] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # the file cannot be used at all


def parse_requests(text: str, file: str) -> RequestsFile:
    """Read ``requests.yaml``; structural problems are findings with line and column."""
    result = RequestsFile(file)
    try:
        doc = yamldoc.load(text, file)
    except yamldoc.YamlError as exc:
        result.findings.append(exc.finding)
        return result
    data = doc.data
    if data is None:
        return result
    if not isinstance(data, dict):
        result.findings.append(doc.finding((), "requests.yaml must be a mapping with a "
                                               "'releases' list"))
        return result
    findings = _unknown_keys(doc, (), data, _FILE_KEYS)
    entries = data.get("releases")
    if entries is not None and not isinstance(entries, list):
        findings.append(doc.finding(("releases",), "'releases' must be a list of {name, requests}"))
        entries = []
    for index, entry in enumerate(entries or []):
        findings += _read_entry(doc, ("releases", index), entry, result.requests)
    result.findings = findings
    if findings:
        result.requests = []
    return result


def _unknown_keys(doc: yamldoc.Document, path: tuple, data: dict, known: frozenset) -> list[Finding]:
    out = []
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(doc.finding((*path, key), f"unknown key {_short(key)!r} in "
                                   f"{format_location(path)}{hint}; known: "
                                   f"{', '.join(sorted(known))}", key=True))
    return out


def _text_field(doc: yamldoc.Document, path: tuple, value: object, what: str,
                required: bool) -> tuple[str | None, list[Finding]]:
    if value is None and not required:
        return None, []
    if not isinstance(value, str):
        found = "nothing" if value is None else type(value).__name__
        return None, [doc.finding(path, f"{what} must be a string, found {found}")]
    return value, []


def _read_entry(doc: yamldoc.Document, path: tuple, entry: object,
                out: list[Request]) -> list[Finding]:
    if not isinstance(entry, dict):
        return [doc.finding(path, "a releases entry must be a mapping with name (a range of "
                                  "release versions) and requests")]
    findings = _unknown_keys(doc, path, entry, _ENTRY_KEYS)
    releases, problems = _text_field(doc, (*path, "name"), entry.get("name"),
                                     f"{format_location((*path, 'name'))}", True)
    findings += problems
    if releases is not None:  # read for every release, as the Go test does, requests or not
        try:
            parse_range(releases)
        except RangeError as exc:
            findings.append(doc.finding((*path, "name"), f"release range {_short(releases)!r} "
                                        f"cannot be read: {exc}"))
    requests = entry.get("requests")
    if requests is not None and not isinstance(requests, list):
        findings.append(doc.finding((*path, "requests"), "'requests' must be a list of "
                                                         "{name, version}"))
        requests = []
    for index, raw in enumerate(requests or []):
        request, problems = _read_request(doc, (*path, "requests", index), raw, releases or "",
                                          doc.mark((*path, "name")))
        findings += problems
        if request is not None:
            out.append(request)
    return findings


def _read_request(doc: yamldoc.Document, path: tuple, raw: object, releases: str,
                  releases_mark: tuple[int | None, int | None]
                  ) -> tuple[Request | None, list[Finding]]:
    if not isinstance(raw, dict):
        return None, [doc.finding(path, "a request must be a mapping with name and version")]
    findings = _unknown_keys(doc, path, raw, _REQUEST_KEYS)
    fields = {}
    for key, required in (("name", True), ("version", True), ("issue", False)):
        value, problems = _text_field(doc, (*path, key), raw.get(key),
                                      format_location((*path, key)), required)
        findings += problems
        fields[key] = value
    name = fields["name"]
    if name is not None and (not name.strip() or len(name) > MAX_NAME_LENGTH):
        findings.append(doc.finding((*path, "name"), f"request name {_short(name)!r} must be "
                                    f"a name of at most {MAX_NAME_LENGTH} characters"))
    exemptions: list[Exemption] = []
    excepts = raw.get("except")
    if excepts is not None and not isinstance(excepts, list):
        findings.append(doc.finding((*path, "except"), "'except' must be a list of "
                                                       "{releaseVersion, reason}"))
        excepts = []
    for index, item in enumerate(excepts or []):
        where = (*path, "except", index)
        if not isinstance(item, dict):
            findings.append(doc.finding(where, "an exception must be a mapping with "
                                               "releaseVersion and reason"))
            continue
        findings += _unknown_keys(doc, where, item, _EXCEPT_KEYS)
        version, problems = _text_field(doc, (*where, "releaseVersion"),
                                        item.get("releaseVersion"),
                                        format_location((*where, "releaseVersion")), True)
        reason, more = _text_field(doc, (*where, "reason"), item.get("reason"),
                                   format_location((*where, "reason")), False)
        findings += problems + more
        if version is not None:
            line, column = doc.mark((*where, "releaseVersion"))
            exemptions.append(Exemption(version, reason or "", line, column))
    if findings or name is None or fields["version"] is None:
        return None, findings
    line, column = doc.mark((*path, "name"))
    return Request(name, fields["version"], releases, doc.file, line, column,
                   doc.mark((*path, "version")), releases_mark, fields["issue"],
                   tuple(exemptions)), []


# -- which requests apply to a release --------------------------------------------------------
@dataclass(frozen=True)
class Applied:
    request: Request
    range: Range  # the request's version range, read


def release_semver(version_text: str) -> SemVer:
    """A release or component version as the Go test reads it: one leading ``v`` dropped,
    then strict semver."""
    return parse_version(version_text.removeprefix("v"))


def applicable(requests: Iterable[Request], release_version: str
               ) -> tuple[list[Applied], list[Finding]]:
    """The requests whose release range contains ``release_version`` (and that do not except
    it), with their version ranges read. A range that cannot be read is a finding: a release
    range concerns every release (``parse_requests`` already refuses such a file), a version
    range only the releases it applies to."""
    try:
        version = release_semver(release_version)
    except RangeError as exc:
        return [], [Finding(f"release version {_short(release_version)!r} cannot be compared "
                            f"with the requests' ranges: {exc}")]
    applied: list[Applied] = []
    findings: list[Finding] = []
    ranges: dict[str, Range | RangeError] = {}
    for request in requests:
        if request.releases not in ranges:
            try:
                ranges[request.releases] = parse_range(request.releases)
            except RangeError as exc:
                ranges[request.releases] = exc
        releases = ranges[request.releases]
        if isinstance(releases, RangeError):
            findings.append(Finding(f"release range {_short(request.releases)!r} cannot be read: "
                                    f"{releases}", request.file, *request.releases_mark))
            continue
        if not releases.contains(version):
            continue
        excepted, problem = _excepted(request, version)
        if problem is not None:
            findings.append(problem)
            continue
        if excepted:
            continue
        try:
            applied.append(Applied(request, parse_range(request.version)))
        except RangeError as exc:
            findings.append(Finding(f"version range {_short(request.version)!r} of request "
                                    f"{_short(request.name)!r} cannot be read: {exc}",
                                    request.file, *request.version_mark))
    # the same finding once, however many requests share the range
    return applied, list(dict.fromkeys(findings))


def _excepted(request: Request, version: SemVer) -> tuple[bool, Finding | None]:
    for exemption in request.exemptions:
        try:
            if release_semver(exemption.release_version).compare(version) == 0:
                return True, None
        except RangeError as exc:
            return False, Finding(f"releaseVersion {_short(exemption.release_version)!r} of "
                                  f"request {_short(request.name)!r} cannot be read: {exc}",
                                  request.file, exemption.line, exemption.column)
    return False, None


def is_binary_request(request: Request, release: ReleaseCR) -> bool:
    """Judged against the baked binaries: the release has no component or app of that name."""
    return request.name not in release.components and request.name not in release.apps


# -- judging one request ------------------------------------------------------------------------
@dataclass(frozen=True)
class Binaries:
    """What one os-tooling version bakes (all its tools), or why that is unknown."""

    tooling: str  # the os-tooling version
    tools: dict[str, Tool] | None  # None: unknown
    status: str = OK  # when unknown: error (fails) or not-run (accepted as unchecked)
    reason: str = ""


@dataclass(frozen=True)
class Found:
    source: str  # component | app | binary
    version: str  # as written
    os_tooling: str | None = None  # for a binary: whose manifest bakes it
    line: int | None = None  # in the release file
    column: int | None = None

    def where(self) -> str:
        return f"binary of os-tooling {self.os_tooling}" if self.source == BINARY else self.source


@dataclass(frozen=True)
class Outcome:
    request: Request
    status: str  # ok | violation | error | not-run
    message: str
    found: Found | None = None
    similar: tuple[str, ...] = ()
    origin: str = ""  # which revision's file says so, when several apply


def judge(applied: Applied, release: ReleaseCR, binaries: Callable[[], Binaries]) -> Outcome:
    """One request against one release; ``binaries`` is asked only for a binary request."""
    request, wanted = applied.request, applied.range
    held = [(source, entry) for source, entry in
            ((COMPONENT, release.components.get(request.name)),
             (APP, release.apps.get(request.name))) if entry is not None]
    if held:
        problem = ""
        for source, entry in held:
            try:
                if wanted.contains(release_semver(entry.version)):
                    return Outcome(request, OK, f"{request.label()}: found {entry.version} "
                                   f"({source})", Found(source, entry.version, None,
                                                        entry.line, entry.column))
            except RangeError as exc:
                problem = problem or f" ({entry.version!r} is not a semantic version: {exc})"
        source, entry = held[0]
        return Outcome(request, VIOLATION, f"{request.label()} {_context(request)}: found "
                       f"{entry.version} ({source}){problem}",
                       Found(source, entry.version, None, entry.line, entry.column))
    baked = binaries()
    if baked.tools is None:
        return Outcome(request, baked.status if baked.status in (ERROR, NOT_RUN) else ERROR,
                       f"{request.label()} {_context(request)}: binary request not checked: "
                       f"{baked.reason}")
    return _judge_binary(request, wanted, release, baked)


def _judge_binary(request: Request, wanted: Range, release: ReleaseCR,
                  baked: Binaries) -> Outcome:
    assert baked.tools is not None
    provider = release.provider or ""
    tool = baked.tools.get(request.name)
    if tool is not None and provider in tool.providers:
        found = Found(BINARY, str(tool.version), baked.tooling)
        try:
            inside = wanted.contains(parse_version(tool.version.core))
        except RangeError as exc:
            return Outcome(request, VIOLATION, f"{request.label()} {_context(request)}: found "
                           f"{tool.version} ({found.where()}), not a version the range can "
                           f"compare: {exc}", found)
        if inside:
            return Outcome(request, OK, f"{request.label()}: found {tool.version} "
                           f"({found.where()})", found)
        return Outcome(request, VIOLATION, f"{request.label()} {_context(request)}: found "
                       f"{tool.version} ({found.where()})", found)
    if tool is not None:
        return Outcome(request, VIOLATION, f"{request.label()} {_context(request)}: os-tooling "
                       f"{baked.tooling} bakes {request.name} for {', '.join(tool.providers)}, "
                       f"not for {provider}")
    names = [*release.components, *release.apps,
             *(n for n, t in baked.tools.items() if provider in t.providers)]
    similar = tuple(difflib.get_close_matches(request.name, names, n=3, cutoff=0.75))
    hint = f" (did you mean {' or '.join(similar)}?)" if similar else ""
    return Outcome(request, VIOLATION, f"{request.label()} {_context(request)}: the release "
                   f"has no component, app or binary (os-tooling {baked.tooling}, {provider}) "
                   f"named {request.name}{hint}", similar=similar)


def _context(request: Request) -> str:
    return f"(for releases {request.releases}; {request.where()})"


def _short(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."
