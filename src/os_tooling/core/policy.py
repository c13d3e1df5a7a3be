"""The versioning policy (docs/versioning-policy.md): what level a manifest change is, and the next version.

Pure: takes two manifests and options, returns a Plan. The table below is the published
policy (docs/versioning-policy.md is generated from POLICY_TABLE and tested against it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from os_tooling.core import pathglob
from os_tooling.core.levels import Level
from os_tooling.core.manifest import Manifest, Policy, Tool
from os_tooling.core.statuses import ChangeKind
from os_tooling.core.versions import Version, difference_level

# (change, tooling level) -- the human-readable policy; every row is exercised by the tests.
POLICY_TABLE: tuple[tuple[str, str], ...] = (
    ("tool major version up (17.x -> 18.0.0)", "major"),
    ("tool minor version up", "minor"),
    ("tool patch version up, prerelease or build-only change", "patch"),
    ("tool 0.y -> 0.(y+1) (pre-1.0 semantics)", "`policy.preOneZero`, default major"),
    ("tool 0.y.z -> 0.y.(z+1)", "patch"),
    ("tool added", "minor"),
    ("tool removed", "major"),
    ("provider added to a tool", "minor"),
    ("provider removed from a tool", "major"),
    ("version goes down", "error, unless `--allow-downgrade`: then the level of the part that differs"),
    ("only comments, order, annotations or the `v` prefix change", "none"),
    ("only the policy block changes", "none"),
    ("a file matching `policy.imageInputs.paths` is added, changed or removed",
     "`policy.imageInputs.level`, default patch"),
    ("only files outside `policy.imageInputs.paths` change (docs, CI, tests)", "none"),
)
# An image-input row's reason names a handful of paths (at most 3, and no more than about 60
# characters of them, but always one) and counts the rest: the PR comment stays one short line.
IMAGE_INPUTS_LISTED = 3
IMAGE_INPUTS_TEXT = 60


@dataclass(frozen=True)
class DeclaredLevel:
    level: Level
    source: str  # e.g. "label release/minor", "trailer of commit 1a2b3c4"


@dataclass(frozen=True)
class Change:
    tool: str | None
    old: str | None
    new: str | None
    level: Level
    reason: str
    kind: ChangeKind
    paths: tuple[str, ...] = ()  # image-input rows: the changed image inputs

    @property
    def label(self) -> str:
        """What a report's first column shows: the tool, or what kind of row it is."""
        if self.tool is not None:
            return self.tool
        return "(image inputs)" if self.kind == ChangeKind.IMAGE_INPUT else "(declared)"

    def to_dict(self) -> dict:
        data = {"tool": self.tool, "from": self.old, "to": self.new, "level": str(self.level),
                "reason": self.reason, "kind": self.kind}
        if self.kind == ChangeKind.IMAGE_INPUT:
            data["paths"] = list(self.paths)
        return data


@dataclass(frozen=True)
class PlanOptions:
    current_version: Version | None = None
    declared: tuple[DeclaredLevel, ...] = ()
    allow_downgrade: bool = False
    major_on_zero: bool = False
    # Repository paths changed between base and head; None when not known (then
    # policy.imageInputs is not applied). Incomplete: the list may lack some (an API limit).
    changed_files: tuple[str, ...] | None = None
    changed_files_complete: bool = True
    manifest_path: str | None = None  # judged by its content, never as an image input


@dataclass
class Plan:
    level: Level
    changes_level: Level
    current_version: Version | None
    next_version: Version | None
    changes: list[Change]
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "level": str(self.level),
            "changes_level": str(self.changes_level),
            "current_version": str(self.current_version) if self.current_version else None,
            "next_version": str(self.next_version) if self.next_version else None,
            "changes": [c.to_dict() for c in self.changes],
            "errors": list(self.errors),
            "notes": list(self.notes),
        }


def plan(base: Manifest, head: Manifest, options: PlanOptions | None = None) -> Plan:
    options = options or PlanOptions()
    # Each change is judged under the base and the head policy and the higher answer wins, so a
    # PR cannot lower its own level by changing the policy; a relaxed policy applies next time.
    policies = (base.policy, head.policy)
    changes: list[Change] = []
    errors: list[str] = []
    old_tools = base.by_name()
    new_tools = head.by_name()
    for name, new in new_tools.items():
        old = old_tools.get(name)
        if old is None:
            changes.append(Change(name, None, str(new.version), Level.MINOR, "tool added", ChangeKind.ADDED))
            continue
        version_change = _version_change(old, new, policies, options.allow_downgrade, errors)
        if version_change is not None:
            changes.append(version_change)
        changes.extend(_provider_changes(old, new))
    for name, old in old_tools.items():
        if name not in new_tools:
            changes.append(Change(name, str(old.version), None, Level.MAJOR, "tool removed", ChangeKind.REMOVED))
    image_inputs = _image_input_change(policies, options)
    if image_inputs is not None:
        changes.append(image_inputs)
    for declared in options.declared:
        changes.append(Change(None, None, None, declared.level, f"declared by {declared.source}",
                              ChangeKind.DECLARED))

    changes_level = max((c.level for c in changes), default=Level.NONE)
    level = changes_level
    notes: list[str] = []
    current = options.current_version
    if level is Level.MAJOR and current is not None and current.major == 0 and not options.major_on_zero:
        level = Level.MINOR
        notes.append(f"os-tooling {current} is below 1.0.0: a major change releases a minor "
                     "(use --major-on-zero to release 1.0.0)")
    next_version = None if current is None else current.bump(level)
    return Plan(level, changes_level, current, next_version, changes, errors, notes)


def _image_input_change(policies: tuple[Policy, ...], options: PlanOptions) -> Change | None:
    """One row for every changed file under ``policy.imageInputs``.

    Judged under the base and the head patterns, the higher level wins: a PR that edits the
    patterns (or drops them) in the same change still counts under the base's.
    """
    if options.changed_files is None:
        return None
    files = sorted({f for f in options.changed_files if f and f != options.manifest_path})
    matched: set[str] = set()
    level = Level.NONE
    for policy in policies:
        inputs = policy.image_inputs
        if inputs is None:
            continue
        hits = pathglob.matching(inputs.paths, files)
        if hits:
            matched.update(hits)
            level = max(level, inputs.level)
        elif not options.changed_files_complete:
            level = max(level, inputs.level)  # the list may lack the input that changed: be safe
    if level is Level.NONE:
        return None
    paths = tuple(sorted(matched))
    if paths:
        shown = [paths[0]]
        for path in paths[1:IMAGE_INPUTS_LISTED]:
            if len(", ".join([*shown, path])) > IMAGE_INPUTS_TEXT:
                break
            shown.append(path)
        more = len(paths) - len(shown)
        what = ", ".join(shown) + (f", +{more} more" if more else "")
    else:
        what = "the list of changed files is incomplete, so they count as changed"
    return Change(None, None, None, level, f"changes image inputs ({what}): at least a {level}",
                  ChangeKind.IMAGE_INPUT, paths)


def _level_under(policy: Policy, name: str, a: Version, b: Version) -> tuple[Level, str]:
    raw = difference_level(a, b, policy.pre_one_zero)
    # a binary that changes changes the image: never less than a patch, whatever the map says
    level = max(policy.map_level(name, raw), Level.PATCH)
    reason = _version_reason(a, b, raw, policy.pre_one_zero)
    if level != raw:
        reason += f"; policy.tools.{name} maps {raw} to {level}"
    return level, reason


def _version_change(old: Tool, new: Tool, policies: tuple[Policy, ...], allow_downgrade: bool,
                    errors: list[str]) -> Change | None:
    a, b = old.version, new.version
    if a.same_text(b):
        return None  # equal, or only the v prefix differs
    level, reason = max((_level_under(p, new.name, a, b) for p in policies), key=lambda lr: lr[0])
    if b < a:
        if allow_downgrade:
            reason = f"version goes down (allowed): {reason}"
        else:
            errors.append(f"{new.name} goes down from {a} to {b}; "
                          "pass --allow-downgrade if this is intended")
            reason = f"version goes down: {reason}"
        return Change(new.name, str(a), str(b), level, reason, ChangeKind.DOWNGRADE)
    return Change(new.name, str(a), str(b), level, reason, ChangeKind.VERSION)


def _version_reason(a: Version, b: Version, raw: Level, pre_one_zero: Level) -> str:
    if a.major != b.major:
        return "major version changed"
    if a.minor != b.minor:
        if a.major == 0:
            return f"pre-1.0 minor version changed (policy.preOneZero: {pre_one_zero})"
        return "minor version changed"
    if a.patch != b.patch:
        return "patch version changed"
    if a.prerelease != b.prerelease:
        return "prerelease changed"
    return "build metadata changed"


def _provider_changes(old: Tool, new: Tool) -> list[Change]:
    before, after = set(old.providers), set(new.providers)
    if before == after:
        return []
    old_text, new_text = ", ".join(old.providers), ", ".join(new.providers)
    rows = [Change(new.name, old_text, new_text, Level.MINOR, f"provider {p} added", ChangeKind.PROVIDER_ADDED)
            for p in new.providers if p not in before]
    rows += [Change(new.name, old_text, new_text, Level.MAJOR, f"provider {p} removed",
                    ChangeKind.PROVIDER_REMOVED) for p in old.providers if p not in after]
    return rows


# -- declared levels --------------------------------------------------------------------------
TRAILER_KEY = "Release-Level"


def levels_from_labels(labels: list[str], prefix: str = "release/") -> tuple[list[DeclaredLevel], list[str]]:
    """``release/minor`` -> minor. Labels with the prefix but an unknown level are reported."""
    levels: list[DeclaredLevel] = []
    problems: list[str] = []
    for label in labels:
        if not label.startswith(prefix):
            continue
        try:
            levels.append(DeclaredLevel(Level.parse(label[len(prefix):]), f"label {label}"))
        except ValueError as exc:
            problems.append(f"label {label!r}: {exc}")
    return levels, problems


_TRAILER_RE = re.compile(rf"^{TRAILER_KEY}:[ \t]*(?P<value>\S.*?)\s*$", re.IGNORECASE | re.MULTILINE)


def trailer_values(message: str) -> list[str]:
    """The ``Release-Level:`` values in a commit message's trailer block (its last paragraph)."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:  # a subject line alone has no trailers
        return []
    return [m["value"] for m in _TRAILER_RE.finditer(paragraphs[-1])]


def levels_from_commits(commits: list[tuple[str, str]]) -> tuple[list[DeclaredLevel], list[str]]:
    """``(sha, message)`` pairs -> declared levels, and problems for unknown values."""
    levels: list[DeclaredLevel] = []
    problems: list[str] = []
    for sha, message in commits:
        for value in trailer_values(message):
            try:
                levels.append(DeclaredLevel(Level.parse(value), f"{TRAILER_KEY} trailer of {sha[:12]}"))
            except ValueError as exc:
                problems.append(f"commit {sha[:12]}: {exc}")
    return levels, problems
