"""The tooling manifest: model, loader and the rules in README's manifest section. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from os_tooling.core import pathglob, yamldoc
from os_tooling.core.findings import Finding
from os_tooling.core.levels import Level
from os_tooling.core.schema_check import SchemaValidator
from os_tooling.core.versions import Version, VersionError
from os_tooling.schema import manifest_schema

# A comment line that means to be an annotation, and the exact form the Renovate preset reads
# (renovate-preset.json, first custom manager; a test keeps the two in step): anything else is
# a comment Renovate never matches, so its tool would never be bumped.
_ANNOTATION_RE = re.compile(r"^\s*#\s*renovate:\s*(?P<body>.*)$")
PRESET_ANNOTATION_RE = re.compile(
    r"^[ \t]*#[ \t]*renovate:[ \t]*datasource=(?P<datasource>[^\s]+)[ \t]+depName=(?P<depName>[^\s]+)"
    r"(?:[ \t]+versioning=(?P<versioning>[^\s]+))?(?:[ \t]+extractVersion=(?P<extractVersion>[^\s]+))?"
    r"[ \t]*$")


@dataclass(frozen=True)
class Tool:
    name: str
    version: Version
    providers: tuple[str, ...]
    allow_prerelease: bool = False
    annotation: dict[str, str] = field(default_factory=dict)  # from "# renovate: k=v ..."
    line: int | None = None

    @property
    def upstream_repo(self) -> str | None:
        """``owner/name`` when the annotation names a GitHub repository."""
        if self.annotation.get("datasource") in ("github-releases", "github-tags"):
            dep = self.annotation.get("depName", "")
            if re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", dep):
                return dep
        return None

    def to_dict(self) -> dict:
        return {"name": self.name, "version": str(self.version), "providers": list(self.providers)}


@dataclass(frozen=True)
class ImageInputs:
    """Repository paths that go into the image: a change to one is at least ``level``."""

    paths: tuple[str, ...]
    level: Level = Level.PATCH
    # (line, column) of each pattern, for findings about the repository's files
    marks: tuple[tuple[int | None, int | None], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Policy:
    pre_one_zero: Level = Level.MAJOR
    # tool name -> {tool level -> tooling level}
    tools: dict[str, dict[Level, Level]] = field(default_factory=dict)
    image_inputs: ImageInputs | None = None

    def map_level(self, tool: str, level: Level) -> Level:
        return self.tools.get(tool, {}).get(level, level)


@dataclass(frozen=True)
class Manifest:
    tools: tuple[Tool, ...] = ()
    policy: Policy = field(default_factory=Policy)

    def by_name(self) -> dict[str, Tool]:
        return {tool.name: tool for tool in self.tools}


@dataclass
class ManifestReport:
    file: str
    manifest: Manifest | None
    errors: list[Finding]
    warnings: list[Finding]
    notes: list[Finding] = field(default_factory=list)  # hints: never fail, not even --strict

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "valid": self.valid,
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
            "notes": [n.to_dict() for n in self.notes],
        }


_validator: SchemaValidator | None = None


def _schema_validator() -> SchemaValidator:
    global _validator
    if _validator is None:
        _validator = SchemaValidator(manifest_schema())
    return _validator


def parse_manifest(text: str, file: str = "os-tooling.yaml", *, strict: bool = False) -> ManifestReport:
    """Validate manifest text; the model is built only when there is no error."""
    try:
        doc = yamldoc.load(text, file)
    except yamldoc.YamlError as exc:
        return ManifestReport(file, None, [exc.finding], [])
    if doc.data is None:
        return ManifestReport(file, None, [Finding(
            "manifest is empty: expected a mapping with a 'tools' list", file, 1, 1)], [])

    errors = [doc.finding(e.path, e.message, key=e.at_key)
              for e in _schema_validator().errors(doc.data)]
    warnings: list[Finding] = []
    tools: list[Tool] = []
    data = doc.data
    raw_tools = data.get("tools") if isinstance(data, dict) else None
    if isinstance(raw_tools, list):
        tools = _check_tools(doc, raw_tools, errors, warnings)
    raw_policy = data.get("policy") if isinstance(data, dict) else None
    policy = _policy(raw_policy, doc)
    _check_image_input_patterns(doc, raw_policy, errors)
    if isinstance(raw_policy, dict) and isinstance(raw_policy.get("tools"), dict):
        names = {t.get("name") for t in raw_tools if isinstance(t, dict)} if isinstance(
            raw_tools, list) else set()
        for name in raw_policy["tools"]:
            if name not in names:
                warnings.append(doc.finding(("policy", "tools", name),
                                            f"policy for {name!r}, which is not a tool of this manifest",
                                            key=True, severity="warning"))
    if strict and warnings:
        errors.extend(Finding(w.message, w.file, w.line, w.column, w.location, "error") for w in warnings)
        warnings = []
    errors.sort(key=lambda f: (f.line or 0, f.column or 0))
    manifest = Manifest(tuple(tools), policy) if not errors else None
    return ManifestReport(file, manifest, errors, warnings)


# Top-level folders that usually hold what goes into an image (capi-image-builder's layout)
TYPICAL_IMAGE_INPUT_DIRS = ("ansible", "packer", "images")


def check_against_repository(report: ManifestReport, repo_files: list[str], *,
                             strict: bool = False) -> None:
    """Add the findings that need the repository's file list (the caller lists it: git).

    A ``policy.imageInputs`` pattern that matches no file is a warning (an error with
    ``strict``): a typo would silently count nothing. A manifest without ``imageInputs`` in a
    repository with typical image-input folders gets a note, which never fails validation.
    """
    if report.manifest is None:
        return
    inputs = report.manifest.policy.image_inputs
    if inputs is None:
        folders = sorted({f.split("/", 1)[0] for f in repo_files if "/" in f}
                         & set(TYPICAL_IMAGE_INPUT_DIRS))
        if folders:
            listed = " and ".join(f"{d}/" for d in folders)
            patterns = ", ".join(f"'{d}/**'" for d in folders)
            report.notes.append(Finding(
                f"policy.imageInputs is not set, but the repository has {listed} (typical image "
                "inputs): a change there would release no new os-tooling version. Consider "
                f"'policy: {{imageInputs: {{paths: [{patterns}]}}}}'",
                report.file, None, None, "policy", "note"))
        return
    severity = "error" if strict else "warning"
    for index, pattern in enumerate(inputs.paths):
        if any(pathglob.matches(pattern, f) for f in repo_files):
            continue
        line, column = inputs.marks[index] if index < len(inputs.marks) else (None, None)
        finding = Finding(f"image input pattern {pattern!r} matches no file in the repository "
                          "(a typo would count nothing)", report.file, line, column,
                          f"policy.imageInputs.paths[{index}]", severity)
        (report.errors if strict else report.warnings).append(finding)
    if strict and report.errors:
        report.errors.sort(key=lambda f: (f.line or 0, f.column or 0))


def _check_tools(doc: yamldoc.Document, raw_tools: list, errors: list[Finding],
                 warnings: list[Finding]) -> list[Tool]:
    lines = doc.lines()
    seen: dict[str, int] = {}
    tools: list[Tool] = []
    for index, raw in enumerate(raw_tools):
        if not isinstance(raw, dict):
            continue
        path = ("tools", index)
        name = raw.get("name")
        if isinstance(name, str):
            if name in seen:
                errors.append(doc.finding((*path, "name"), f"duplicate tool name {name!r} "
                                          f"(first at line {seen[name]})"))
            else:
                seen[name] = doc.mark((*path, "name"))[0] or 0
        version = _tool_version(doc, raw, path, errors)
        annotation = _annotation(doc, lines, path, raw, warnings)
        providers = raw.get("providers")
        if (isinstance(name, str) and version is not None and isinstance(providers, list)
                and all(isinstance(p, str) for p in providers)):
            tools.append(Tool(name, version, tuple(providers), raw.get("allowPrerelease") is True,
                              annotation, doc.mark(path)[0]))
    return tools


def _tool_version(doc: yamldoc.Document, raw: dict, path: tuple, errors: list[Finding]) -> Version | None:
    text = raw.get("version")
    if not isinstance(text, str):
        return None  # the schema reported it
    try:
        version = Version.parse(text)
    except VersionError as exc:
        finding = doc.finding((*path, "version"), str(exc))
        if not any(e.line == finding.line and e.column == finding.column for e in errors):
            errors.append(finding)
        return None
    if version.prerelease is not None and raw.get("allowPrerelease") is not True:
        errors.append(doc.finding((*path, "version"), f"prerelease version {text!r} needs "
                                  "'allowPrerelease: true' on this tool"))
        return None
    return version


def _annotation(doc: yamldoc.Document, lines: list[str], path: tuple, raw: dict,
                warnings: list[Finding]) -> dict[str, str]:
    """Parse the ``# renovate:`` comment on the line right above the tool's ``version`` key."""
    if "version" not in raw:
        return {}
    key_line = doc.key_marks.get((*path, "version"), (None, None))[0]
    above = lines[key_line - 2] if key_line and key_line >= 2 else ""
    match = _ANNOTATION_RE.match(above)
    name = raw.get("name") if isinstance(raw.get("name"), str) else f"#{path[-1]}"
    if match is None:
        warnings.append(doc.finding((*path, "version"),
                                    f"tool {name!r} has no '# renovate: datasource=... depName=...' "
                                    "comment right above its version: Renovate will never bump it",
                                    key=True, severity="warning"))
        return {}
    pairs = dict(part.split("=", 1) for part in match["body"].split() if "=" in part)
    missing = [k for k in ("datasource", "depName") if not pairs.get(k)]
    if missing:
        warnings.append(doc.finding((*path, "version"),
                                    f"the renovate comment of tool {name!r} lacks {' and '.join(missing)}",
                                    key=True, severity="warning"))
    elif PRESET_ANNOTATION_RE.match(above) is None:
        warnings.append(doc.finding((*path, "version"), f"the renovate comment of tool {name!r} is not "
                                    "in the form the preset reads, so Renovate will never bump it: "
                                    "'# renovate: datasource=<d> depName=<n> [versioning=<v>] "
                                    "[extractVersion=<e>]', in this order, nothing else",
                                    key=True, severity="warning"))
    return pairs


def _check_image_input_patterns(doc: yamldoc.Document, raw_policy: object,
                                errors: list[Finding]) -> None:
    raw_paths = _image_input_paths(raw_policy)
    if len(raw_paths) > pathglob.MAX_PATTERNS:
        errors.append(doc.finding(("policy", "imageInputs", "paths"), f"at most "
                                  f"{pathglob.MAX_PATTERNS} image input patterns, not {len(raw_paths)}"))
        return
    for index, pattern in enumerate(raw_paths):
        if not isinstance(pattern, str) or len(pattern) > pathglob.MAX_PATTERN_LENGTH:
            continue  # the schema reported it
        problem = pathglob.pattern_problem(pattern)
        if problem is not None:
            errors.append(doc.finding(("policy", "imageInputs", "paths", index),
                                      f"image input pattern {pattern!r}: {problem}"))


def _image_input_paths(raw_policy: object) -> list:
    raw = raw_policy.get("imageInputs") if isinstance(raw_policy, dict) else None
    paths = raw.get("paths") if isinstance(raw, dict) else None
    return paths if isinstance(paths, list) else []


def _image_inputs(raw_policy: dict, doc: yamldoc.Document | None) -> ImageInputs | None:
    raw = raw_policy.get("imageInputs")
    if not isinstance(raw, dict):
        return None
    patterns = [(i, p) for i, p in enumerate(_image_input_paths(raw_policy)) if isinstance(p, str)]
    level = raw.get("level")
    marks = tuple(doc.mark(("policy", "imageInputs", "paths", i)) if doc else (None, None)
                  for i, _ in patterns)
    return ImageInputs(tuple(p for _, p in patterns),
                       Level.parse(level) if isinstance(level, str) and _is_level(level)
                       and level != "none" else Level.PATCH, marks)


def _policy(raw: object, doc: yamldoc.Document | None = None) -> Policy:
    if not isinstance(raw, dict):
        return Policy()
    pre = raw.get("preOneZero")
    pre_level = Level.parse(pre) if isinstance(pre, str) and _is_level(pre) else Level.MAJOR
    tools: dict[str, dict[Level, Level]] = {}
    raw_tools = raw.get("tools")
    if isinstance(raw_tools, dict):
        for name, mapping in raw_tools.items():
            if isinstance(mapping, dict):
                tools[name] = {Level.parse(k): Level.parse(v) for k, v in mapping.items()
                               if _is_level(k) and isinstance(v, str) and _is_level(v)}
    return Policy(pre_level, tools, _image_inputs(raw, doc))


def _is_level(text: str) -> bool:
    return text in ("none", "patch", "minor", "major")
