"""Release CRs of the releases repository (docs/gate.md): locate, parse, classify. No I/O.

A release file lives at ``<dir>/v<version>/release.yaml`` (old ones under
``<dir>/archived/v<version>/``). The directory names the provider, and ``metadata.name`` must
be ``<prefix><version>`` for that directory.

Classification comes first, before the name is checked against the directory, because what
has no node image (aks, vintage ``v<version>`` releases with ``containerlinux``, legacy
``flatcar-variant`` releases) never followed today's naming rule:

- ``gateable``: flatcar + kubernetes + os-tooling components, name agrees -> an image to check;
- ``skipped``: no node image to gate, with the reason;
- ``invalid``: the file cannot be used (YAML error, wrong shape, name/directory disagreement,
  a version that is not semver), with findings that carry line and column.

A skipped release is only checked for what its classification needs: a YAML mapping of
``kind: Release`` whose ``spec.components`` is a list of named components. The rest (a
component listed twice, a component without a version, a missing ``metadata.name``) matters
only for a release that is gated: real vintage releases list ``kubernetes`` twice.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import PurePath, PurePosixPath

from os_tooling.core import yamldoc
from os_tooling.core.findings import Finding, format_location
from os_tooling.core.naming import ImageRef
from os_tooling.core.statuses import ReleaseKind
from os_tooling.core.versions import Version, VersionError

API_VERSION = "release.giantswarm.io/v1alpha1"
KIND = "Release"
RELEASE_FILE = "release.yaml"
ARCHIVED = "archived"

# release directory -> (provider, metadata.name prefix)
RELEASE_DIRECTORIES: dict[str, tuple[str, str]] = {
    "capa": ("capa", "aws-"),
    "eks": ("eks", "eks-"),
    "azure": ("capz", "azure-"),
    "vsphere": ("capv", "vsphere-"),
    "cloud-director": ("capvcd", "cloud-director-"),
    "proxmox": ("capmox", "proxmox-"),
    "aks": ("aks", "aks-"),
}
NO_IMAGE_PROVIDERS = frozenset({"aks"})  # managed node pools: no node image of ours

FLATCAR = "flatcar"
KUBERNETES = "kubernetes"
OS_TOOLING = "os-tooling"
FLATCAR_VARIANT = "flatcar-variant"
CONTAINERLINUX = "containerlinux"

GATEABLE, SKIPPED, INVALID = ReleaseKind.GATEABLE, ReleaseKind.SKIPPED, ReleaseKind.INVALID

_VINTAGE_NAME = re.compile(r"^v[0-9]+(\.[0-9]+)*")


@dataclass(frozen=True)
class ReleasePath:
    """Where a release file sits in the layout, read from the tail of its path."""

    directory: str  # capa, azure, ...
    provider: str  # capa, capz, ...
    prefix: str  # aws-, azure-, ...
    version: Version  # from the v<version> folder
    archived: bool
    root: PurePosixPath  # the folder that holds the provider directories

    @property
    def relative(self) -> str:
        middle = f"{ARCHIVED}/" if self.archived else ""
        return f"{self.directory}/{middle}v{self.version.core}/{RELEASE_FILE}"


def parse_release_path(path: str | PurePath) -> ReleasePath | None:
    """``.../capa/v34.5.0/release.yaml`` -> capa, 34.5.0; None when it does not follow the layout."""
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    if len(parts) < 3 or parts[-1] != RELEASE_FILE:
        return None
    folder = parts[-2]
    if not folder.startswith("v") or folder.startswith("vv"):
        return None
    version = Version.try_parse(folder[1:])
    if version is None:
        return None
    rest = parts[:-2]
    archived = bool(rest) and rest[-1] == ARCHIVED
    if archived:
        rest = rest[:-1]
    if not rest or rest[-1] not in RELEASE_DIRECTORIES:
        return None
    provider, prefix = RELEASE_DIRECTORIES[rest[-1]]
    root = PurePosixPath(*rest[:-1]) if len(rest) > 1 else PurePosixPath(".")
    return ReleasePath(rest[-1], provider, prefix, version, archived, root)


def is_version_folder(name: str) -> bool:
    """``v34.5.0``, ``v11.0.0``: a release's folder, whatever the directory above it."""
    return len(name) > 1 and name[0] == "v" and name[1].isdigit()


def layout_help() -> str:
    dirs = ", ".join(RELEASE_DIRECTORIES)
    return f"<dir>/v<version>/{RELEASE_FILE} or <dir>/{ARCHIVED}/v<version>/{RELEASE_FILE} ({dirs})"


@dataclass(frozen=True)
class Component:
    name: str
    version: str  # raw text, as written
    line: int | None = None  # of the version value (or of the entry)
    column: int | None = None


@dataclass
class ReleaseCR:
    file: str
    kind: str  # gateable | skipped | invalid
    path: ReleasePath | None = None
    name: str | None = None
    state: str | None = None
    components: dict[str, Component] = field(default_factory=dict)
    apps: dict[str, Component] = field(default_factory=dict)  # spec.apps: name -> first entry
    reason: str = ""  # why skipped
    findings: list[Finding] = field(default_factory=list)  # why invalid
    image: ImageRef | None = None
    name_mark: tuple[int | None, int | None] = (None, None)
    # later entries of a component listed more than once (``components`` keeps the first)
    repeated: list[Component] = field(default_factory=list)

    @property
    def provider(self) -> str | None:
        return self.path.provider if self.path else None

    @property
    def version(self) -> Version | None:
        return self.path.version if self.path else None

    def component_version(self, name: str) -> Version | None:
        component = self.components.get(name)
        return Version.try_parse(component.version.strip()) if component else None

    def mark_of(self, component: str) -> tuple[int | None, int | None]:
        c = self.components.get(component)
        return (c.line, c.column) if c else self.name_mark


def parse_release(text: str, file: str, layout_path: str | PurePath | None = None) -> ReleaseCR:
    """Parse and classify one Release CR. ``layout_path`` (default: ``file``) is matched
    against the directory layout to find provider and version."""
    location = parse_release_path(layout_path if layout_path is not None else file)
    try:
        doc = yamldoc.load(text, file)
    except yamldoc.YamlError as exc:
        return ReleaseCR(file, INVALID, location, findings=[exc.finding])
    release = ReleaseCR(file, INVALID, location)
    names: set[str] = set()
    fatal, shape = _read_structure(doc, release, names)
    if fatal:  # not a Release whose components can be named: it cannot be classified
        release.findings = fatal + shape
        return release

    skip = _skip_reason(release, names)
    if skip is not None:  # the shape findings matter only for a gated release
        release.kind, release.reason = SKIPPED, skip
        return release

    errors = shape + _check_gateable(doc, release, names)
    if errors:
        release.findings = errors
        return release
    release.image = _image_of(release)
    release.kind = GATEABLE
    return release


def _read_structure(doc: yamldoc.Document, release: ReleaseCR,
                    names: set[str]) -> tuple[list[Finding], list[Finding]]:
    """Fill ``release`` and ``names`` (every component name) from the document. Returns the
    findings that prevent classification, and those that only a gated release must not have."""
    data = doc.data
    if not isinstance(data, dict):
        return [Finding("a Release CR must be a YAML mapping with apiVersion, kind, metadata "
                        "and spec", doc.file, *doc.mark(()), "(document)")], []
    errors: list[Finding] = []
    shape: list[Finding] = []
    api = data.get("apiVersion")
    if api != API_VERSION:
        errors.append(_at(doc, ("apiVersion",), f"apiVersion must be {API_VERSION!r}, "
                                                f"found {_short(api)}", "apiVersion" not in data))
    kind = data.get("kind")
    if kind != KIND:
        errors.append(_at(doc, ("kind",), f"kind must be {KIND!r}, found {_short(kind)}",
                          "kind" not in data))
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name.strip():
        shape.append(_at(doc, ("metadata", "name"), "metadata.name is missing or not a string",
                         not isinstance(metadata, dict) or "name" not in metadata))
    else:
        release.name = name
        release.name_mark = doc.mark(("metadata", "name"))
    spec = data.get("spec")
    components = spec.get("components") if isinstance(spec, dict) else None
    if not isinstance(components, list):
        errors.append(_at(doc, ("spec", "components"), "spec.components must be a list of "
                          "{name, version}", not isinstance(spec, dict) or "components" not in spec))
        components = []
    if isinstance(spec, dict) and isinstance(spec.get("state"), str):
        release.state = spec["state"]
    if isinstance(spec, dict):
        _read_apps(doc, spec.get("apps"), release)
    for index, raw in enumerate(components):
        path = ("spec", "components", index)
        if not isinstance(raw, dict):
            errors.append(doc.finding(path, "a component must be a mapping with name and version"))
            continue
        cname, version = raw.get("name"), raw.get("version")
        if not isinstance(cname, str) or not cname.strip():
            errors.append(doc.finding((*path, "name"), "component without a name"))
            continue
        names.add(cname)
        if not isinstance(version, str) or not version.strip():
            shape.append(doc.finding((*path, "version"), f"component {cname!r} has no version"))
            continue
        line, column = doc.mark((*path, "version"))
        component = Component(cname, version, line, column)
        if cname in release.components:
            shape.append(doc.finding((*path, "name"), f"duplicate component {cname!r} (first at "
                                     f"line {release.components[cname].line})"))
            release.repeated.append(component)
            continue
        release.components[cname] = component
    return errors, shape


def _read_apps(doc: yamldoc.Document, apps: object, release: ReleaseCR) -> None:
    """Apps with a name and a version (requests name them); the gate checks nothing else of
    them, so a malformed app is left out rather than made an error here."""
    if not isinstance(apps, list):
        return
    for index, raw in enumerate(apps):
        if not isinstance(raw, dict):
            continue
        name, version = raw.get("name"), raw.get("version")
        if isinstance(name, str) and isinstance(version, str) and name not in release.apps:
            line, column = doc.mark(("spec", "apps", index, "version"))
            release.apps[name] = Component(name, version, line, column)


def _skip_reason(release: ReleaseCR, components: set[str]) -> str | None:
    """Why ``release`` (with these component names) has no node image to gate, or None."""
    name = release.name or ""
    if release.provider in NO_IMAGE_PROVIDERS or (release.path is None and name.startswith("aks-")):
        return "aks release: AKS manages the nodes, there is no node image to gate"
    if FLATCAR not in components:
        if CONTAINERLINUX in components or _VINTAGE_NAME.match(name):
            return ("vintage release (named v<version>, containerlinux): no flatcar node image "
                    "to gate")
        return "no flatcar component: no node image to gate"
    if OS_TOOLING not in components:
        if FLATCAR_VARIANT in components:
            return ("legacy release: flatcar-variant instead of os-tooling (image named without "
                    "a tooling version)")
        if release.path is not None and release.path.archived:
            # archived releases from before the variant: image named from flatcar + kubernetes
            return "no os-tooling component: legacy image naming without a tooling version"
    return None


def _check_gateable(doc: yamldoc.Document, release: ReleaseCR, names: set[str]) -> list[Finding]:
    errors: list[Finding] = []
    line, column = release.name_mark
    if OS_TOOLING not in names:
        # flatcar without os-tooling or flatcar-variant in a current release: most likely a typo,
        # and skipping it would also hide the policy of the next release

        close = difflib.get_close_matches(OS_TOOLING, sorted(names), n=1, cutoff=0.75)
        hint = f" (is {close[0]!r} meant to be it?)" if close else ""
        errors.append(doc.finding(("spec", "components"), "release has flatcar but neither an "
                                  f"os-tooling nor a flatcar-variant component{hint}"))
    if KUBERNETES not in names:
        errors.append(doc.finding(("spec", "components"), "release has flatcar and os-tooling "
                                  "but no kubernetes component: no image name can be built"))
    location = release.path
    if location is None:
        errors.append(Finding(f"cannot tell the provider: the path does not follow {layout_help()}",
                              doc.file, line, column, "metadata.name"))
    elif release.name is not None:  # a missing name is a finding already
        errors += _check_name(release, location)
    for cname in (FLATCAR, KUBERNETES, OS_TOOLING):
        component = release.components.get(cname)
        if component is None:
            continue
        text = component.version.strip()
        try:
            parsed = Version.parse(text)
        except VersionError as exc:
            errors.append(Finding(f"{cname} version: {exc}", doc.file, component.line,
                                  component.column, f"components.{cname}.version"))
            continue
        if parsed.core != text.removeprefix("v"):
            # the image name is built from this text: "1.34" is not "1.34.0" there (a leading v
            # is dropped, as image names never carry one)
            errors.append(Finding(f"{cname} version {text!r} must be written in full as "
                                  f"{parsed.core!r}: the image name is built from the text",
                                  doc.file, component.line, component.column,
                                  f"components.{cname}.version"))
            continue
    return errors


def _image_of(release: ReleaseCR) -> ImageRef:
    """The node image of a release that passed every check (its three versions are there)."""
    def text(name: str) -> str:
        return release.components[name].version.strip()

    return ImageRef(text(FLATCAR), text(KUBERNETES), text(OS_TOOLING))


def _check_name(release: ReleaseCR, location: ReleasePath) -> list[Finding]:
    name = release.name or ""
    line, column = release.name_mark

    def error(message: str) -> list[Finding]:
        return [Finding(message, release.file, line, column, "metadata.name")]

    expected = f"{location.prefix}{location.version.core}"
    if not name.startswith(location.prefix):
        other = [d for d, (_, p) in RELEASE_DIRECTORIES.items() if name.startswith(p)]
        hint = f" (that prefix belongs in {other[0]}/)" if other else ""
        return error(f"name {name!r} does not agree with directory {location.directory}/: "
                     f"expected {expected!r}{hint}")
    rest = name[len(location.prefix):]
    version = Version.try_parse(rest)
    if version is None or version.prefix:
        return error(f"name {name!r} must be {location.prefix}<version> with a semantic version "
                     f"and no v (expected {expected!r})")
    if not version.same_text(location.version):
        return error(f"name {name!r} says version {version} but the release sits in "
                     f"{location.relative.rsplit('/', 1)[0]}/: expected {expected!r}")
    return []


def _at(doc: yamldoc.Document, path: tuple, message: str, absent: bool) -> Finding:
    """A finding at ``path``; when the key is absent, at its closest existing parent."""
    if absent:
        parent = path[:-1]
        while parent and parent not in doc.value_marks:
            parent = parent[:-1]
        line, column = doc.mark(parent)
        return Finding(message, doc.file, line, column, format_location(path))
    return doc.finding(path, message)


def _short(value: object) -> str:
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
