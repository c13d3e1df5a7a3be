"""The gate's answer: one result per release file, each with its checks. Plain values."""

from __future__ import annotations

from dataclasses import dataclass, field

from os_tooling.core.statuses import CheckName, CheckStatus, ReleaseStatus

# release statuses (docs/gate.md); the names stay as module constants for brevity
OK, MISSING, VIOLATION, SKIPPED, ERROR = (ReleaseStatus.OK, ReleaseStatus.MISSING,
                                          ReleaseStatus.VIOLATION, ReleaseStatus.SKIPPED,
                                          ReleaseStatus.ERROR)
RELEASE_STATUSES = tuple(ReleaseStatus)
FAILING = frozenset({MISSING, VIOLATION, ERROR})
GATED = (OK, MISSING, VIOLATION, ERROR)  # the statuses of a release that was gated

# check statuses: the release statuses plus two that are never a pass nor a failure
NOT_RUN = CheckStatus.NOT_RUN
NOT_APPLICABLE = CheckStatus.NOT_APPLICABLE


@dataclass(frozen=True)
class Check:
    name: CheckName
    status: str  # ok | missing | violation | error | not-run | not-applicable
    message: str
    line: int | None = None
    column: int | None = None
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "message": self.message,
                "line": self.line, "column": self.column, **self.details}


@dataclass(frozen=True)
class BinaryChange:
    tool: str
    old: str | None
    new: str | None
    level: str
    reason: str

    def to_dict(self) -> dict:
        return {"tool": self.tool, "from": self.old, "to": self.new, "level": self.level,
                "reason": self.reason}


@dataclass
class GatedRelease:
    file: str
    name: str | None
    provider: str | None
    image: str | None
    status: str
    checks: list[Check] = field(default_factory=list)
    reason: str = ""  # why skipped
    version: str | None = None
    state: str | None = None
    os_tooling: str | None = None
    previous: dict | None = None  # {"name", "file", "version", "os_tooling"}
    level: str | None = None  # cluster release level against the previous release
    similar: list[str] = field(default_factory=list)  # near-miss images when missing
    binary_changes: list[BinaryChange] = field(default_factory=list)
    tooling_span: tuple[str, str] | None = None  # (previous os-tooling, this one) of the changes

    def to_dict(self) -> dict:
        return {
            "file": self.file, "name": self.name, "provider": self.provider, "image": self.image,
            "status": self.status, "checks": [c.to_dict() for c in self.checks],
            "reason": self.reason, "version": self.version, "state": self.state,
            "os_tooling": self.os_tooling, "previous": self.previous, "level": self.level,
            "similar": list(self.similar),
            "binary_changes": [c.to_dict() for c in self.binary_changes],
        }

    def annotations(self) -> list[dict]:
        """Non-passing checks as ``{file, line, column, message}`` for ``::error`` commands."""
        out = []
        for check in self.checks:
            if check.status in FAILING:
                label = self.name or self.file
                out.append({"file": self.file, "line": check.line, "column": check.column,
                            "level": "error", "title": f"os-tooling gate: {check.name}",
                            "message": f"{label}: {check.message}"})
        return out


def release_status(checks: list[Check]) -> str:
    statuses = {c.status for c in checks}
    for status in (ERROR, VIOLATION, MISSING):
        if status in statuses:
            return status
    return OK


@dataclass
class GateResult:
    releases: list[GatedRelease]
    notes: list[str] = field(default_factory=list)
    moved_to_archived: list[str] = field(default_factory=list)  # unchanged moves: not gated

    @property
    def ok(self) -> bool:
        return not any(r.status in FAILING for r in self.releases)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(RELEASE_STATUSES, 0)
        for r in self.releases:
            counts[r.status] += 1
        return counts

    def summary(self) -> dict[str, int]:
        """The numbers of the run, the same in every format (``report.gate.summary_line``):
        release files reported, how many were gated, each status, how many fail, and the
        releases only moved into archived/ (not gated, not among the release files)."""
        counts = self.counts()
        return {"releases": len(self.releases), "gated": sum(counts[s] for s in GATED),
                **counts, "failing": sum(counts[s] for s in FAILING),
                "moved_to_archived": len(self.moved_to_archived)}

    def annotations(self) -> list[dict]:
        return [a for r in self.releases for a in r.annotations()]

    def to_dict(self) -> dict:
        return {"ok": self.ok, "summary": self.summary(),
                "releases": [r.to_dict() for r in self.releases],
                "moved_to_archived": list(self.moved_to_archived),
                "annotations": self.annotations(), "notes": list(self.notes)}
