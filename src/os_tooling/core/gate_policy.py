"""The release gate's policy (docs/gate.md): what a patch or minor cluster release may change.

- The previous release of a release is the highest lower version of the same provider with the
  same major (archived releases count; prereleases are never a previous release).
- The cluster release level is the semver difference between the two release versions; a
  release with no earlier release of its major is a new major: no constraint.
- A patch or minor release must not raise os-tooling's major, and — when the manifests of both
  os-tooling versions are known — must not raise the major of any binary baked for its provider.
- A previous release without os-tooling (legacy ``flatcar-variant``) makes the check
  "not applicable", never "ok".

Pure: takes versions and manifests, returns checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from os_tooling.core.levels import Level
from os_tooling.core.manifest import Manifest
from os_tooling.core.policy import Change, plan
from os_tooling.core.statuses import ChangeKind, CheckName, CheckStatus
from os_tooling.core.versions import Version, difference_level

T = TypeVar("T")

# check statuses; only violation and error fail a release, "not-run" is never a pass
OK, VIOLATION, ERROR = CheckStatus.OK, CheckStatus.VIOLATION, CheckStatus.ERROR
NOT_RUN, NOT_APPLICABLE = CheckStatus.NOT_RUN, CheckStatus.NOT_APPLICABLE


@dataclass(frozen=True)
class PolicyCheck:
    name: CheckName  # os-tooling-major | binary-majors
    status: str
    message: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Previous:
    """What the policy needs to know about the previous release."""

    name: str
    file: str
    version: Version
    tooling: Version | None  # None: legacy release without os-tooling
    tooling_text: str | None = None  # raw text when present but not a version


def previous_release(version: Version, candidates: Iterable[tuple[Version, T]]) -> tuple[Version, T] | None:
    """Highest candidate lower than ``version`` with the same major (stable versions only)."""
    best: tuple[Version, T] | None = None
    for candidate, payload in candidates:
        if candidate.prerelease is not None or candidate.major != version.major:
            continue
        if not candidate < version:
            continue
        if best is None or best[0] < candidate:
            best = (candidate, payload)
    return best


def cluster_level(previous: Version | None, version: Version) -> Level:
    """Semver level of a cluster release against its previous release (none found: major)."""
    if previous is None:
        return Level.MAJOR
    return difference_level(previous, version)


def tooling_major_check(release_name: str, version: Version, tooling: Version,
                        previous: Previous | None) -> PolicyCheck:
    level = cluster_level(previous.version if previous else None, version)
    if previous is None:
        return PolicyCheck(CheckName.OS_TOOLING_MAJOR, OK, _no_previous(version), {"level": str(level)})
    details = {"level": str(level), "previous": previous.name,
               "previous_os_tooling": str(previous.tooling) if previous.tooling else None}
    if previous.tooling is None:
        if previous.tooling_text is not None:
            return PolicyCheck(CheckName.OS_TOOLING_MAJOR, ERROR,
                               f"previous release {previous.name} has an os-tooling version that "
                               f"is not semver ({previous.tooling_text!r}): cannot compare", details)
        return PolicyCheck(CheckName.OS_TOOLING_MAJOR, NOT_APPLICABLE,
                           f"previous release {previous.name} has no os-tooling component "
                           "(legacy flatcar-variant): nothing to compare", details)
    span = f"os-tooling {previous.tooling} -> {tooling}"
    # below 1.0.0 a minor is the breaking part (os-tooling releases a binary major as 0.(y+1))
    zero_major = previous.tooling.major == tooling.major == 0 and tooling.minor > previous.tooling.minor
    if tooling.major > previous.tooling.major or zero_major:
        what = "os-tooling's major" if not zero_major else "os-tooling's 0.y (its major below 1.0.0)"
        return PolicyCheck(CheckName.OS_TOOLING_MAJOR, VIOLATION,
                           f"{level} release {release_name} raises {what}: {span} "
                           f"(previous release {previous.name}); a new os-tooling major needs a "
                           "new cluster release major", details)
    if tooling < previous.tooling:
        note = f"{span} goes down"
    elif tooling == previous.tooling:
        note = f"os-tooling stays {tooling}"
    else:
        note = f"{span} keeps major {tooling.major}"
    return PolicyCheck(CheckName.OS_TOOLING_MAJOR, OK,
                       f"{level} release after {previous.name}: {note}", details)


def binary_changes(old: Manifest, new: Manifest, provider: str) -> list[Change]:
    """Per-binary changes between two os-tooling manifests, for the binaries of ``provider``."""
    old_tools, new_tools = old.by_name(), new.by_name()

    def relevant(change: Change) -> bool:
        tools = [t for t in (old_tools.get(change.tool or ""), new_tools.get(change.tool or ""))
                 if t is not None]
        return any(provider in t.providers for t in tools)

    return [c for c in plan(old, new).changes if c.tool is not None and relevant(c)]


def raised_majors(old: Manifest, new: Manifest, changes: list[Change], provider: str | None = None
                  ) -> list[Change]:
    """The changes that break a binary for a cluster: a version that raises its major, and (with
    ``provider``) a binary that leaves this provider's image (removed, or renamed away).

    The binary's own version decides, not ``policy.tools`` (which maps a binary's level to the
    tooling level and cannot make a new major of teleport less of a major for a cluster); for
    0.y.z versions a y change is a major when ``policy.preOneZero`` says so (stricter of both).
    """
    pre_one_zero = max(old.policy.pre_one_zero, new.policy.pre_one_zero)
    old_tools, new_tools = old.by_name(), new.by_name()
    majors = []
    for change in changes:
        before, after = old_tools.get(change.tool or ""), new_tools.get(change.tool or "")
        if provider is not None and before is not None and provider in before.providers and (
                after is None or provider not in after.providers):
            if change.kind in (ChangeKind.REMOVED, ChangeKind.PROVIDER_REMOVED) and change not in majors:
                majors.append(change)
            continue
        if change.kind != ChangeKind.VERSION or before is None or after is None:
            continue
        a, b = before.version, after.version
        if a < b and difference_level(a, b, pre_one_zero) is Level.MAJOR:
            majors.append(change)
    return majors


def binary_majors_check(release_name: str, version: Version, provider: str, tooling: Version,
                        previous: Previous | None, old: Manifest | None, new: Manifest | None,
                        unknown_reason: str = "") -> tuple[PolicyCheck, list[Change]]:
    """No binary baked for ``provider`` may go up a major in a patch or minor release.

    ``old``/``new`` are the manifests of the previous and this release's os-tooling versions;
    ``unknown_reason`` says why one is None (the check is then "not run").
    Returns the check and the binary changes (empty when unknown).
    """
    level = cluster_level(previous.version if previous else None, version)
    if previous is None:
        return PolicyCheck(CheckName.BINARY_MAJORS, OK, _no_previous(version), {"level": str(level)}), []
    if previous.tooling is None:
        return PolicyCheck(CheckName.BINARY_MAJORS, NOT_APPLICABLE,
                           f"previous release {previous.name} has no os-tooling component: "
                           "its binaries are unknown", {"level": str(level)}), []
    if previous.tooling.same_text(tooling):
        return PolicyCheck(CheckName.BINARY_MAJORS, OK, f"os-tooling stays {tooling}: same binaries",
                           {"level": str(level)}), []
    if old is None or new is None:
        return PolicyCheck(CheckName.BINARY_MAJORS, NOT_RUN,
                           f"binaries of os-tooling {previous.tooling} -> {tooling} not checked: "
                           f"{unknown_reason or 'their manifests are unknown'}",
                           {"level": str(level)}), []
    changes = binary_changes(old, new, provider)
    majors = raised_majors(old, new, changes, provider)
    details = {"level": str(level), "previous": previous.name,
               "majors": [{"tool": c.tool, "from": c.old, "to": c.new} for c in majors]}
    span = f"os-tooling {previous.tooling} -> {tooling}"
    if majors:
        listed = ", ".join(f"{c.tool} {c.old} -> {c.new}" if c.kind == ChangeKind.VERSION
                           else f"{c.tool} (removed from {provider})" for c in majors)
        word = "majors" if len(majors) > 1 else "major"
        return PolicyCheck(CheckName.BINARY_MAJORS, VIOLATION,
                           f"{level} release {release_name} raises the {word} of {listed} "
                           f"({span}, previous release {previous.name}); a binary's new major "
                           "needs a new cluster release major", details), changes
    return PolicyCheck(CheckName.BINARY_MAJORS, OK,
                       f"no binary for {provider} changes its major ({span})", details), changes


def _no_previous(version: Version) -> str:
    if version.minor == 0 and version.patch == 0:
        return f"new major release {version}: no constraint"
    return (f"no earlier {version.major}.x release of this provider: treated as a new major, "
            "no constraint")
