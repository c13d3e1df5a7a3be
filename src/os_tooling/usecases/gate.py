"""Orchestration of the gate: release files -> Release CRs -> image refs per provider -> ONE
batched ``lookup`` per provider store -> near-miss hints for what is missing (what differs: the
region, the provider, the name's tail, the os-tooling version; from what the stores already
know) -> os-tooling version check -> policy against the previous release -> a published release
keeps its node image -> results.

Collaborators are handed in (store factory, tooling source, release tree), so each piece can be
tested alone; nothing here talks to the network itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from os_tooling.adapters.files import read_text
from os_tooling.adapters.release_tree import ReleaseTree
from os_tooling.backends import make_store
from os_tooling.backends.base import ERROR as STORE_ERROR
from os_tooling.backends.base import MISSING as STORE_MISSING
from os_tooling.backends.base import PRESENT, ImageAnswer, ImageStore, StoreConfig
from os_tooling.backends.batch import ask_groups, share_groups
from os_tooling.backends.config import GateConfig
from os_tooling.core import gate_policy, near_miss, published
from os_tooling.core.gate_results import (
    ERROR,
    FAILING,
    MISSING,
    NOT_RUN,
    OK,
    BinaryChange,
    Check,
    GatedRelease,
    GateResult,
    release_status,
)
from os_tooling.core.naming import ImageRef
from os_tooling.core.providers import PROVIDERS
from os_tooling.core.published import Published
from os_tooling.core.release_cr import GATEABLE, OS_TOOLING, SKIPPED, ReleaseCR, parse_release
from os_tooling.core.statuses import CheckName
from os_tooling.core.tooling_source import ToolingLookupError, ToolingSource
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError
from os_tooling.usecases.gate_requests import RequestsLoader, binaries_of, requests_check

StoreFactory = Callable[[StoreConfig], ImageStore]
# the reason a not-run check gives when the user chose it: the how-to is said once, in a note
CHOSEN_NOT_RUN = "--no-tooling-checks"


@dataclass(frozen=True)
class GateInput:
    file: str  # as reported: the path given, or relative to the repo root
    path: Path  # where to read it
    text: str | None = None  # already read (e.g. from the GitHub API)
    published: Published | None = None  # set when the file exists at the base revision


@dataclass
class GateOptions:
    config: GateConfig
    tooling: ToolingSource | None = None
    tooling_missing_reason: str = ("no tooling source: give --tooling-repo PATH or "
                                   "imageBuilderRepo in the gate config")
    repo_root: Path | None = None  # also searched for previous releases, and for display
    store_factory: StoreFactory | None = None
    # A check that could not run fails its release unless this is set (--no-tooling-checks):
    # a green gate must mean every check ran.
    allow_unchecked: bool = False
    notes: list[str] = field(default_factory=list)
    # where requests.yaml comes from (default: next to the release directories on disk)
    requests: RequestsLoader | None = None
    # release files the change only moved into archived/: not gated, counted in the summary
    moved_to_archived: list[str] = field(default_factory=list)


def run_gate(inputs: Sequence[GateInput], options: GateOptions) -> GateResult:
    return _Run(options).run(inputs)


class _Run:
    def __init__(self, options: GateOptions):
        self.options = options
        self.tree = ReleaseTree()
        if options.store_factory is None:
            self.make_store: StoreFactory = make_store
        else:
            self.make_store = options.store_factory
        self._has_version: dict[Version, bool] = {}
        self._resolved: dict[int, Path] = {}
        self._stores: dict[str, ImageStore] = {}  # provider -> its store in this run
        self._asked: dict[str, ImageStore] = {}  # provider -> the store that answered for it
        self._answers: dict[tuple[str, str], ImageAnswer] = {}  # (provider, image) -> answer
        self._hint_stores: dict[str, ImageStore | None] = {}  # other providers, for hints
        self._repo_root = _resolve(options.repo_root) if options.repo_root is not None else None
        self.requests = options.requests or RequestsLoader(self._repo_root)

    # -- the whole run -------------------------------------------------------------------------
    def run(self, inputs: Sequence[GateInput]) -> GateResult:
        releases: list[tuple[GateInput, ReleaseCR]] = []
        for item in inputs:
            text = item.text if item.text is not None else read_text(item.path, "release file",
                                                                      root=self._repo_root)
            resolved = _resolve(item.path)
            release = parse_release(text, item.file, resolved.as_posix())
            suffix = self.options.config.image_suffix(release.provider or "")
            if release.image is not None and suffix:
                release.image = replace(release.image, suffix=suffix)
            self.tree.remember(resolved, release)  # a previous release of another input
            self._resolved[id(item)] = resolved
            releases.append((item, release))
        answers, similar = self._lookup_images([cr for _, cr in releases if cr.kind == GATEABLE])
        results = [self._result(item, cr, answers, similar) for item, cr in releases]
        notes = list(self.options.notes) + self.requests.notes + self._not_run_note(results)
        return GateResult(results, notes, list(self.options.moved_to_archived))

    def _not_run_note(self, results: list[GatedRelease]) -> list[str]:
        """--no-tooling-checks: the checks it leaves out and how to run them, said once."""
        chosen = sorted({c.name for r in results for c in r.checks
                         if c.status == NOT_RUN and c.details.get("reason") == CHOSEN_NOT_RUN})
        if not chosen:
            return []
        return [f"{', '.join(chosen)} not run ({CHOSEN_NOT_RUN}): "
                f"{self.options.tooling_missing_reason} to run them"]

    def _unchecked_reason(self) -> str:
        if self.options.tooling is None and self.options.allow_unchecked:
            return CHOSEN_NOT_RUN
        return self.options.tooling_missing_reason

    # -- images: one batched lookup per provider -------------------------------------------------
    def _lookup_images(self, releases: list[ReleaseCR]
                       ) -> tuple[dict[tuple[str, str], ImageAnswer], dict[tuple[str, str], list[str]]]:
        by_provider: dict[str, dict[str, ImageRef]] = {}
        for cr in releases:
            assert cr.image is not None and cr.provider is not None
            by_provider.setdefault(cr.provider, {})[cr.image.name] = cr.image
        answers: dict[tuple[str, str], ImageAnswer] = {}
        similar: dict[tuple[str, str], list[str]] = {}
        stores = {p: self.make_store(self.options.config.store_config(p)) for p in sorted(by_provider)}
        self._stores = dict(stores)

        def ask(providers: list[str]) -> tuple[list[str], dict[str, ImageAnswer], dict[str, list[str]]]:
            store = stores[providers[0]]
            refs = {name: ref for p in providers for name, ref in by_provider[p].items()}
            got = store.lookup(list(refs.values()))
            missing = [ref for name, ref in refs.items()
                       if got.get(name) is not None and got[name].status == STORE_MISSING]
            return providers, got, (store.similar(missing) if missing else {})

        # providers whose stores answer alike share one batched lookup; groups run concurrently
        outcomes = ask_groups(share_groups(stores), ask)
        for providers, got, hints in outcomes:
            for provider in providers:
                self._asked[provider] = stores[providers[0]]
                for name in by_provider[provider]:
                    answer = got.get(name)
                    if answer is None:  # a partial answer is never success
                        answer = ImageAnswer(name, STORE_ERROR, "the image store gave no answer")
                    answers[(provider, name)] = answer
                    if answer.status == STORE_MISSING:
                        similar[(provider, name)] = list(hints.get(name, []))
        self._answers = answers
        return answers, similar

    # -- near misses: from what the stores already know ------------------------------------------
    def _near_misses(self, cr: ReleaseCR, answer: ImageAnswer,
                     names: list[str]) -> list[near_miss.NearMiss]:
        assert cr.image is not None and cr.provider is not None
        hints: list[near_miss.NearMiss] = []
        region = near_miss.in_some_regions(answer.image, answer.found_in, answer.lacking)
        if region is not None:
            hints.append(region)
        hints += near_miss.for_providers(self._other_providers(cr.provider, cr.image))
        partial = {name: (a.found_in, a.lacking)
                   for name, a in _known(self._asked.get(cr.provider), names).items() if a.partial}
        return hints + near_miss.from_names(cr.image, names, partial)

    def _other_providers(self, provider: str, ref: ImageRef) -> dict[str, str]:
        """Other providers that have the image of the same three versions (their own name tail):
        from this run's answers and stores, or a catalog; a cloud store is never asked anew."""
        found: dict[str, str] = {}
        for other in PROVIDERS:
            if other == provider or self._answers_alike(provider, other):
                continue
            name = replace(ref, suffix=self.options.config.image_suffix(other)).name
            answer = self._answers.get((other, name)) or _known(self._hint_store(other),
                                                                 [name]).get(name)
            if answer is not None and answer.status == PRESENT:
                found[other] = name
        return found

    def _answers_alike(self, provider: str, other: str) -> bool:
        return other in self._asked and self._asked[other] is self._asked.get(provider)

    def _hint_store(self, provider: str) -> ImageStore | None:
        """The provider's store in this run, else its catalog (a file: free to ask)."""
        if provider in self._stores:
            return self._stores[provider]
        if provider not in self._hint_stores:
            config = self.options.config.store_config(provider)
            store = None
            if config.backend == "catalog":
                try:
                    store = self.make_store(config)
                except UsageError:
                    store = None  # a hint is not worth failing the gate for
            self._hint_stores[provider] = store
        return self._hint_stores[provider]

    # -- one release ---------------------------------------------------------------------------
    def _result(self, item: GateInput, cr: ReleaseCR,
                answers: dict[tuple[str, str], ImageAnswer],
                similar: dict[tuple[str, str], list[str]]) -> GatedRelease:
        result = GatedRelease(item.file, cr.name, cr.provider, None, ERROR,
                               version=str(cr.version) if cr.version else None, state=cr.state)
        tooling_component = cr.components.get(OS_TOOLING)
        result.os_tooling = tooling_component.version.strip() if tooling_component else None
        kept = self._published_check(item, cr)
        if cr.kind == SKIPPED:
            # no node image of ours to gate, but a published one still keeps its versions
            result.status, result.reason = SKIPPED, cr.reason
            if kept is not None:
                result.checks = [kept]
                if kept.status in FAILING:
                    result.status = kept.status
            return result
        if cr.kind != GATEABLE:
            result.checks = [Check(CheckName.RELEASE_CR, ERROR, f.message, f.line, f.column,
                                   {"location": f.location}) for f in cr.findings]
            result.checks += [kept] if kept is not None else []
            return result
        assert cr.image is not None and cr.provider is not None and cr.version is not None
        image = cr.image.name
        result.image = image
        line, column = cr.mark_of(OS_TOOLING)
        checks = [self._image_check(cr, answers[(cr.provider, image)],
                                    similar.get((cr.provider, image), []), result)]
        tooling = Version.parse(cr.image.tooling)
        checks.append(self._tooling_check(tooling, line, column))
        previous, problem = self._previous(item, cr)
        if problem is not None:
            checks.append(Check(CheckName.OS_TOOLING_MAJOR, ERROR, problem, line, column))
        else:
            if previous is not None:
                result.previous = {"name": previous.name, "file": previous.file,
                                   "version": str(previous.version),
                                   "os_tooling": str(previous.tooling) if previous.tooling
                                   else previous.tooling_text}
            result.level = str(gate_policy.cluster_level(
                previous.version if previous else None, cr.version))
            major = gate_policy.tooling_major_check(cr.name or item.file, cr.version, tooling,
                                                    previous)
            checks.append(Check(major.name, major.status, major.message, line, column,
                                major.details))
            checks.append(self._binary_check(cr, tooling, previous, result, line, column))
        checks.append(self._requests_check(item, cr, tooling))
        if kept is not None:
            checks.append(kept)
        if not self.options.allow_unchecked:
            checks = [_fail_unchecked(c) for c in checks]
        result.checks = checks
        result.status = release_status(checks)
        return result

    def _published_check(self, item: GateInput, cr: ReleaseCR) -> Check | None:
        """For a release that exists at the base revision: its node image must not change."""
        if item.published is None or (not cr.components and cr.findings):
            return None  # not published, or unreadable now (an error already)
        base = parse_release(item.published.text, item.published.path)
        check = published.published_release_check(
            published.release_label(item.published.path), base, cr)
        changed = [c["component"] for c in check.details.get("changes", [])]
        line, column = cr.mark_of(changed[0]) if changed else cr.name_mark
        return Check(check.name, check.status, check.message, line, column,
                     {**check.details, "base_file": item.published.path})

    def _image_check(self, cr: ReleaseCR, answer: ImageAnswer, hints: list[str],
                     result: GatedRelease) -> Check:
        line, column = cr.mark_of(OS_TOOLING)
        details: dict = {"image": answer.image, "locations": list(answer.locations)}
        where = f" ({answer.detail})" if answer.detail else ""
        if answer.status == PRESENT:
            return Check(CheckName.IMAGE, OK, f"image {answer.image} exists for {cr.provider}{where}",
                         line, column, details)
        if answer.status == STORE_MISSING:
            result.similar = hints
            near = self._near_misses(cr, answer, hints)
            details["similar"] = hints
            details["near_misses"] = [h.to_dict() for h in near]
            said = near_miss.describe(near)
            return Check(CheckName.IMAGE, MISSING, f"image {answer.image} does not exist for "
                         f"{cr.provider}{where}{'; ' + said if said else ''}", line, column,
                         details)
        return Check(CheckName.IMAGE, ERROR, f"could not check image {answer.image} for {cr.provider}"
                     f"{where}", line, column, details)

    def _tooling_check(self, tooling: Version, line: int | None, column: int | None) -> Check:
        source = self.options.tooling
        if source is None:
            reason = self._unchecked_reason()
            return Check(CheckName.OS_TOOLING_RELEASE, NOT_RUN, f"os-tooling {tooling} not checked: "
                         f"{reason}", line, column, {"reason": reason})
        try:
            if tooling not in self._has_version:
                self._has_version[tooling] = source.has_version(tooling)
            if self._has_version[tooling]:
                return Check(CheckName.OS_TOOLING_RELEASE, OK, f"os-tooling {tooling} is a release of "
                             f"{source.label} (tag {source.tag_of(tooling)})", line, column)
            newest = source.newest()
        except ToolingLookupError as exc:
            return Check(CheckName.OS_TOOLING_RELEASE, ERROR, f"could not check os-tooling {tooling}: "
                         f"{exc}", line, column)
        hint = f"; newest releases: {', '.join(newest)}" if newest else ""
        return Check(CheckName.OS_TOOLING_RELEASE, MISSING, f"os-tooling {tooling} is not a release of "
                     f"{source.label} (no tag for it){hint}", line, column)

    def _binary_check(self, cr: ReleaseCR, tooling: Version,
                      previous: gate_policy.Previous | None, result: GatedRelease,
                      line: int | None, column: int | None) -> Check:
        old = new = None
        reason = ""
        source = self.options.tooling
        needs_manifests = (previous is not None and previous.tooling is not None
                           and not previous.tooling.same_text(tooling))
        if needs_manifests and previous is not None and previous.tooling is not None:
            if source is None:
                reason = self._unchecked_reason()
            else:
                try:
                    old_answer = source.manifest(previous.tooling)
                    new_answer = source.manifest(tooling)
                except ToolingLookupError as exc:
                    return Check(CheckName.BINARY_MAJORS, ERROR, f"could not read the binaries of "
                                 f"os-tooling {previous.tooling} and {tooling}: {exc}", line, column)
                old, new = old_answer.manifest, new_answer.manifest
                reason = "; ".join(r for r in (old_answer.reason, new_answer.reason) if r)
        assert cr.name is not None and cr.provider is not None and cr.version is not None
        check, changes = gate_policy.binary_majors_check(
            cr.name, cr.version, cr.provider, tooling, previous, old, new, reason)
        if old is not None and new is not None and previous is not None:
            result.binary_changes = [BinaryChange(c.tool or "", c.old, c.new, str(c.level),
                                                  c.reason) for c in changes]
            result.tooling_span = (str(previous.tooling), str(tooling))
        details = dict(check.details)
        if check.status == NOT_RUN:
            details["reason"] = reason or "their manifests are unknown"
        return Check(check.name, check.status, check.message, line, column, details)

    def _requests_check(self, item: GateInput, cr: ReleaseCR, tooling: Version) -> Check:
        """The requests of the release's directory (``usecases/gate_requests.py``)."""
        own = self._resolved.get(id(item)) or _resolve(item.path)
        reason = self._unchecked_reason()
        check = requests_check(cr, self.requests.for_release(own, cr),
                               binaries_of(self.options.tooling, tooling, reason))
        if check.status != NOT_RUN:
            return check
        # not run only for want of the binaries: the tooling source's reason, said once
        return replace(check, details={**check.details, "reason": reason})

    # -- the previous release ------------------------------------------------------------------
    def _previous(self, item: GateInput, cr: ReleaseCR
                  ) -> tuple[gate_policy.Previous | None, str | None]:
        location = cr.path
        assert location is not None
        own = self._resolved.get(id(item)) or _resolve(item.path)
        roots = [_root_of(own, location.archived)]
        if self._repo_root is not None and self._repo_root not in roots:
            roots.append(self._repo_root)
        candidates: list[tuple[Version, Path]] = []
        seen: set[Version] = set()
        for root in roots:  # the release itself is never lower than itself: no need to skip it
            for version, path in self.tree.releases(root, location.directory):
                if version not in seen:
                    seen.add(version)
                    candidates.append((version, path))
        found = gate_policy.previous_release(location.version, candidates)
        if found is None:
            return None, None
        version, path = found
        label = self._display(path)
        answer = self.tree.load(path, label)
        loaded = answer.release
        if loaded is None:
            return None, f"previous release {label} cannot be read: {answer.reason}"
        component = loaded.components.get(OS_TOOLING)
        if component is None and not loaded.components and loaded.findings:
            first = loaded.findings[0]
            return None, (f"previous release {label} cannot be parsed ({first.where()}: "
                          f"{first.message})")
        tooling = Version.try_parse(component.version.strip()) if component else None
        return gate_policy.Previous(loaded.name or label, label, version, tooling,
                                    component.version if component and tooling is None
                                    else None), None

    def _display(self, path: Path) -> str:
        if self._repo_root is not None:
            try:
                return path.relative_to(self._repo_root).as_posix()
            except ValueError:
                pass
        return str(path)


def _known(store: ImageStore | None, names: list[str]) -> dict[str, ImageAnswer]:
    """What ``store`` knows about ``names`` without a new request (stores that cannot say: {})."""
    known = getattr(store, "known", None)
    return known(names) if known is not None and names else {}


def _fail_unchecked(check: Check) -> Check:
    if check.status != NOT_RUN:
        return check
    return Check(check.name, ERROR, f"{check.message} (a gate that could not check this does not "
                 "pass: give a tooling source, or --no-tooling-checks to accept it)", check.line,
                 check.column, check.details)


def _resolve(path: Path) -> Path:
    """Absolute and without symlinks, so that a relative ``release.yaml`` given from inside its
    folder still shows the layout, and the same file is recognised under two spellings."""
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _root_of(own: Path, archived: bool) -> Path:
    """The folder holding the provider directories: the file's path minus the layout tail."""
    parts = own.parts  # .../<root>/<dir>/[archived/]v<ver>/release.yaml
    depth = 4 if archived else 3
    return Path(*parts[:-depth]) if len(parts) > depth else Path(own.anchor or ".")
