"""Release PRs in the releases repository: the release files a PR adds, the os-tooling bump of
those files, and which os-tooling version they could take.

A release file that exists at the base revision is published and never touched here (its node
image is immutable; the gate enforces it). Only the files the PR adds are bumped, each to a
version whose node image exists for its provider and that its cluster release may take (a patch
or minor release keeps os-tooling's major, and a version whose binaries break a binary request
of ``requests.yaml`` is not taken, as the gate demands). All files are planned first; when one
cannot be bumped nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters.base_files import exists_at, top_prefix
from os_tooling.adapters.changed_files import is_release_file
from os_tooling.adapters.files import read_text, replace_text
from os_tooling.adapters.release_tree import ReleaseTree
from os_tooling.adapters.tooling_sources import NO_TOOLING_SOURCE
from os_tooling.backends import make_store
from os_tooling.backends.config import GateConfig
from os_tooling.core import gate_policy
from os_tooling.core.availability import VersionAvailability
from os_tooling.core.cr_edit import EditError, set_component_version
from os_tooling.core.naming import ImageRef
from os_tooling.core.release_cr import GATEABLE, OS_TOOLING, SKIPPED, ReleaseCR, parse_release
from os_tooling.core.statuses import BumpStatus, ImageStatus
from os_tooling.core.tooling_choice import Choice, Refuse, all_of, choose_latest
from os_tooling.core.tooling_source import ToolingSource
from os_tooling.core.versions import Version
from os_tooling.usecases.discover import discover
from os_tooling.usecases.gate_requests import GitRevision, RequestsLoader, binaries_of, binary_refusal

# git modes of what a release file may be: a regular file (symlinks and submodules never are)
_REGULAR_FILE_MODES = ("100644", "100755")

BUMPED, UNCHANGED, KEPT, REFUSED = (BumpStatus.BUMPED, BumpStatus.UNCHANGED, BumpStatus.KEPT,
                                   BumpStatus.REFUSED)


# -- the files a PR adds ----------------------------------------------------------------------
@dataclass(frozen=True)
class AddedFiles:
    files: list[str]  # release files, relative to the repository root
    ignored: list[tuple[str, str]]  # (path, why not a release file we touch)


def added_release_files(repo_root: Path, base_ref: str) -> AddedFiles:
    """Current release files (``<dir>/v<version>/release.yaml``) added between ``base_ref``
    and HEAD (the PR's own commits) that do not exist at ``base_ref`` itself."""

    prefix = top_prefix(repo_root)
    base = git.resolve_commit(repo_root, base_ref)
    head = git.resolve_commit(repo_root, "HEAD")
    raw = git.run(["diff", "--raw", "--no-renames", "--diff-filter=A", "-z", "--relative",
                   f"{base}...{head}", "--"], repo_root)
    files, ignored = [], []
    for mode, path in _added_from_raw(raw):
        if not is_release_file(path) or "/archived/" in f"/{path}":
            continue
        if mode not in _REGULAR_FILE_MODES:
            ignored.append((path, f"not a regular file in git (mode {mode})"))
        elif (repo_root / path).is_symlink():
            ignored.append((path, "a symbolic link"))
        elif exists_at(repo_root, base, path, prefix):
            ignored.append((path, f"exists at {base_ref}: a published release is never bumped"))
        else:
            files.append(path)
    return AddedFiles(sorted(files), ignored)


def _added_from_raw(raw: str) -> list[tuple[str, str]]:
    """``git diff --raw -z`` -> (new mode, path) of each entry."""
    fields = raw.split("\0")
    out = []
    for i in range(0, len(fields) - 1, 2):
        meta, path = fields[i], fields[i + 1]
        parts = meta.lstrip(":").split()
        if len(parts) >= 2 and path:
            out.append((parts[1], path))
    return out


# -- the previous release (as the gate finds it) -------------------------------------------------
def previous_release(repo_root: Path, cr: ReleaseCR) -> gate_policy.Previous | None:
    """The highest lower release of the same provider and major, from the working tree."""

    assert cr.path is not None
    tree = ReleaseTree()
    found = gate_policy.previous_release(cr.path.version, tree.releases(repo_root,
                                                                        cr.path.directory))
    if found is None:
        return None
    version, path = found
    label = path.relative_to(repo_root).as_posix() if path.is_relative_to(repo_root) else str(path)
    loaded = tree.load(path, label).release
    if loaded is None:
        return None
    component = loaded.components.get(OS_TOOLING)
    tooling = Version.try_parse(component.version.strip()) if component else None
    return gate_policy.Previous(loaded.name or label, label, version, tooling,
                                component.version if component and tooling is None else None)


def major_rule(cr: ReleaseCR, previous: gate_policy.Previous | None) -> Refuse:
    """Why ``cr`` may not take a version: the gate's os-tooling major rule."""
    assert cr.version is not None

    def refuse(version: Version) -> str | None:
        check = gate_policy.tooling_major_check(cr.name or cr.file, cr.version, version, previous)
        return check.message if check.status == gate_policy.VIOLATION else None

    return refuse


def requests_rule(cr: ReleaseCR, requests: RequestsLoader, tooling: ToolingSource | None,
                  repo_root: Path) -> Refuse:
    """Why ``cr`` may not take a version: its binaries break a binary request of the release
    (or cannot be read to tell: fails closed)."""

    sources = requests.for_release(repo_root / cr.file, cr)

    def refuse(version: Version) -> str | None:
        return binary_refusal(cr, sources, binaries_of(tooling, version, NO_TOOLING_SOURCE))

    return refuse


def release_rules(cr: ReleaseCR, repo_root: Path, requests: RequestsLoader,
                  tooling: ToolingSource | None) -> Refuse:
    """Everything that may stop a release PR's release from taking a version."""
    return all_of(major_rule(cr, previous_release(repo_root, cr)),
                  requests_rule(cr, requests, tooling, repo_root))


def requests_loader(repo_root: Path, base_ref: str) -> RequestsLoader:
    """requests.yaml of the release PR and of its base: both apply, as in the gate."""

    return RequestsLoader(repo_root, base=GitRevision(repo_root, git.resolve_commit(
        repo_root, base_ref), base_ref))


# -- bump -------------------------------------------------------------------------------------
@dataclass
class FileBump:
    file: str
    name: str | None = None
    provider: str | None = None
    old: str | None = None
    new: str | None = None
    image: str | None = None
    image_exists: bool = False
    status: str = UNCHANGED  # bumped | unchanged | kept | refused
    reason: str = ""
    passed_over: list[dict] = field(default_factory=list)
    binary_changes: list[str] = field(default_factory=list)
    new_text: str | None = None  # never reported

    def to_dict(self) -> dict:
        return {"file": self.file, "name": self.name, "provider": self.provider,
                "from": self.old, "to": self.new, "image": self.image,
                "image_exists": self.image_exists, "status": self.status,
                "changed": self.status == BUMPED, "reason": self.reason,
                "passed_over": list(self.passed_over), "binary_changes": list(self.binary_changes)}


@dataclass
class BumpRun:
    base_ref: str
    target: str  # "latest" or the version asked for
    releases: list[FileBump] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"file", "reason"}: nothing to bump
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        return not any(r.status == REFUSED for r in self.releases)

    @property
    def changed_files(self) -> list[str]:
        return [r.file for r in self.releases if r.status == BUMPED]


@dataclass(frozen=True)
class BumpRequest:
    repo_root: Path
    base_ref: str
    config: GateConfig
    to_tooling: Version | None  # None: the newest usable version
    force: bool = False  # take --to-tooling even without an image / against the rules
    dry_run: bool = False
    tooling: ToolingSource | None = None  # binaries of a version, for binary requests


def bump_added_releases(request: BumpRequest,
                        binary_changes: Callable[[str, str], list[str]] | None = None) -> BumpRun:
    """Plan every added release, then write all of them or (when one is refused) none."""

    added = added_release_files(request.repo_root, request.base_ref)
    run = BumpRun(request.base_ref, str(request.to_tooling.core) if request.to_tooling
                  else "latest", dry_run=request.dry_run)
    run.skipped += [{"file": path, "reason": why} for path, why in added.ignored]
    releases: list[tuple[FileBump, ReleaseCR, str]] = []
    for relative in added.files:
        text = read_text(request.repo_root / relative, "release file", root=request.repo_root)
        cr = parse_release(text, relative, relative)
        if cr.kind == SKIPPED:
            run.skipped.append({"file": relative, "reason": cr.reason})
            continue
        bump = FileBump(relative, cr.name, cr.provider)
        if cr.kind != GATEABLE or cr.image is None:
            bump.status = REFUSED
            bump.reason = "; ".join(f"{f.where()}: {f.message}" for f in cr.findings[:3]) or \
                "not a release with a node image"
            run.releases.append(bump)
            continue
        bump.old = cr.components[OS_TOOLING].version.strip()
        releases.append((bump, cr, text))
    if not added.files and not added.ignored:
        run.notes.append(f"no release file added since {request.base_ref}")

    requests = requests_loader(request.repo_root, request.base_ref)
    if request.to_tooling is None:
        _plan_latest(request, releases, requests)
    else:
        _plan_exact(request, releases, request.to_tooling, requests)
    run.notes += requests.notes
    for bump, _cr, text in releases:
        run.releases.append(bump)
        if bump.status in (BUMPED, UNCHANGED) and bump.new is not None:
            _edit(bump, text)
            if binary_changes is not None and bump.status == BUMPED and bump.old and bump.new:
                bump.binary_changes = binary_changes(bump.old, bump.new)
    run.releases.sort(key=lambda r: r.file)
    if run.ok and not request.dry_run:
        for bump in run.releases:
            if bump.status == BUMPED and bump.new_text is not None:
                replace_text(request.repo_root / bump.file, bump.new_text, "release file")
        run.written = bool(run.changed_files)
    elif not run.ok and run.changed_files:
        run.notes.append("nothing was written: every added release must be bumpable")
    return run


def _plan_latest(request: BumpRequest, releases: list[tuple[FileBump, ReleaseCR, str]],
                 requests: RequestsLoader) -> None:

    groups: dict[tuple[str, str], list[tuple[FileBump, ReleaseCR]]] = {}
    for bump, cr, _ in releases:
        assert cr.image is not None
        groups.setdefault((cr.image.flatcar, cr.image.kubernetes), []).append((bump, cr))
    for (flatcar, kubernetes), members in groups.items():
        providers = sorted({cr.provider for _, cr in members if cr.provider})
        rows = discover(flatcar, kubernetes, providers, request.config).versions
        for bump, cr in members:
            assert cr.provider is not None
            choice = choose_latest(rows, [cr.provider], release_rules(
                cr, request.repo_root, requests, request.tooling))
            _take(bump, cr, choice, rows, request.config)


def _take(bump: FileBump, cr: ReleaseCR, choice: Choice, rows: list[VersionAvailability],
          config: GateConfig) -> None:
    assert cr.image is not None and cr.provider is not None and bump.old is not None
    current = Version.try_parse(bump.old)
    bump.passed_over = [p.to_dict() for p in choice.passed_over
                        if current is None or p.version > current]
    if choice.version is None:
        bump.status = REFUSED
        bump.reason = (f"no os-tooling version has an image for {cr.provider} with flatcar "
                       f"{cr.image.flatcar} and kubernetes {cr.image.kubernetes} that this "
                       "release may take")
        return
    if current is not None and choice.version < current:
        # never lower what the PR set: its images may still be on their way; the gate decides
        bump.status, bump.new = KEPT, bump.old
        bump.reason = (f"os-tooling {bump.old} is newer than {choice.version}, the newest usable "
                       "version: left as it is")
        return
    bump.new = choice.version.core
    bump.image_exists = True
    bump.image = _image(cr, bump.new, config)


def _plan_exact(request: BumpRequest, releases: list[tuple[FileBump, ReleaseCR, str]],
                target: Version, requests: RequestsLoader) -> None:

    by_provider: dict[str, list[tuple[FileBump, ReleaseCR]]] = {}
    for bump, cr, _ in releases:
        assert cr.provider is not None
        by_provider.setdefault(cr.provider, []).append((bump, cr))
    for provider, members in sorted(by_provider.items()):
        suffix = request.config.image_suffix(provider)
        refs = {}
        for bump, cr in members:
            assert cr.image is not None
            refs[bump.file] = ImageRef(cr.image.flatcar, cr.image.kubernetes, target.core, suffix)
        answers = make_store(request.config.store_config(provider)).lookup(list(refs.values()))
        for bump, cr in members:
            ref = refs[bump.file]
            answer = answers.get(ref.name)
            bump.image, bump.new = ref.name, target.core
            bump.image_exists = answer is not None and answer.status == ImageStatus.PRESENT
            refusal = release_rules(cr, request.repo_root, requests, request.tooling)(target)
            if not bump.image_exists and not request.force:
                detail = f" ({answer.detail})" if answer and answer.detail else ""
                bump.status = REFUSED
                bump.reason = (f"image {ref.name} is {answer.status if answer else 'unknown'} "
                               f"for {provider}{detail}")
            elif refusal and not request.force:
                bump.status, bump.reason = REFUSED, refusal


def _image(cr: ReleaseCR, tooling: str, config: GateConfig) -> str:
    assert cr.image is not None and cr.provider is not None
    return ImageRef(cr.image.flatcar, cr.image.kubernetes, tooling,
                    config.image_suffix(cr.provider)).name


def _edit(bump: FileBump, text: str) -> None:
    assert bump.new is not None
    try:
        new_text, _ = set_component_version(text, OS_TOOLING, bump.new, bump.file)
    except EditError as exc:
        bump.status, bump.reason = REFUSED, str(exc)
        return
    if new_text != text:
        bump.status, bump.new_text = BUMPED, new_text
    elif bump.status != KEPT:
        bump.status = UNCHANGED


# -- which os-tooling the releases of a PR could take -----------------------------------------
@dataclass
class ReleaseGroup:
    """The releases of one cluster release version with the same flatcar and kubernetes."""

    version: str  # the cluster release, e.g. 34.6.0
    flatcar: str
    kubernetes: str
    providers: list[str]
    uses: dict[str, str]  # file -> os-tooling it has now
    rows: list[VersionAvailability]
    choice: Choice

    @property
    def latest(self) -> str | None:
        return self.choice.version.core if self.choice.version else None

    @property
    def up_to_date(self) -> bool:
        return self.latest is not None and set(self.uses.values()) == {self.latest}


@dataclass
class PrAvailability:
    base_ref: str
    groups: list[ReleaseGroup] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(g.choice.version is not None for g in self.groups)


def release_pr_availability(repo_root: Path, base_ref: str, config: GateConfig,
                            tooling: ToolingSource | None = None) -> PrAvailability:
    """For each release the PR adds: the newest os-tooling with an image for every provider of
    that release that each of its files may take (its major rule, its binary requests), next
    to what the PR uses."""

    added = added_release_files(repo_root, base_ref)
    result = PrAvailability(base_ref)
    requests = requests_loader(repo_root, base_ref)
    result.skipped += [{"file": path, "reason": why} for path, why in added.ignored]
    members: dict[tuple[str, str, str], list[ReleaseCR]] = {}
    for relative in added.files:
        cr = parse_release(read_text(repo_root / relative, "release file", root=repo_root),
                           relative, relative)
        if cr.kind != GATEABLE or cr.image is None or cr.version is None:
            why = cr.reason or "; ".join(f.message for f in cr.findings[:2]) or "no node image"
            result.skipped.append({"file": relative, "reason": why})
            continue
        members.setdefault((cr.version.core, cr.image.flatcar, cr.image.kubernetes),
                           []).append(cr)
    if not added.files:
        result.notes.append(f"no release file added since {base_ref}")
    for (version, flatcar, kubernetes), crs in sorted(members.items()):
        providers = sorted({cr.provider for cr in crs if cr.provider})
        rows = discover(flatcar, kubernetes, providers, config).versions
        rules = [release_rules(cr, repo_root, requests, tooling) for cr in crs]

        def refuse(candidate: Version, rules: list[Refuse] = rules) -> str | None:
            return next((why for rule in rules if (why := rule(candidate))), None)

        uses = {cr.file: cr.components[OS_TOOLING].version.strip() for cr in crs}
        result.groups.append(ReleaseGroup(version, flatcar, kubernetes, providers, uses, rows,
                                          choose_latest(rows, providers, refuse)))
    result.notes += requests.notes
    return result
