"""``build-matrix``: release files -> Release CRs -> the images the tooling version needs ->
ONE batched lookup per image store (as the gate does: providers whose stores answer alike share
one) -> what to build and what already exists.

A store that cannot answer for an image leaves that image in the matrix (a missing image is
worse than a second build attempt) and makes the run a finding: it is never taken as present.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from os_tooling.adapters.releases_reader import ReleaseListing
from os_tooling.backends import make_store
from os_tooling.backends.base import PRESENT, ImageAnswer, ImageStore, StoreConfig
from os_tooling.backends.batch import ask_groups, share_groups
from os_tooling.backends.config import GateConfig
from os_tooling.core.build_matrix import INVALID, MatrixEntry, Plan, SeenRelease, plan_images
from os_tooling.core.findings import Finding
from os_tooling.core.naming import ImageRef
from os_tooling.core.release_cr import INVALID as INVALID_CR
from os_tooling.core.release_cr import RELEASE_DIRECTORIES, ReleaseCR, parse_release, parse_release_path
from os_tooling.core.versions import Version

StoreFactory = Callable[[StoreConfig], ImageStore]


@dataclass
class MatrixResult:
    tooling: str
    tooling_source: str
    releases_source: str
    include: list[MatrixEntry]
    existing: list[MatrixEntry]
    unchecked: list[tuple[MatrixEntry, str]] = field(default_factory=list)  # store errors
    releases: list[SeenRelease] = field(default_factory=list)
    archived: int = 0
    include_existing: bool = False

    @property
    def invalid(self) -> list[SeenRelease]:
        return [r for r in self.releases if r.status == INVALID]

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.unchecked

    def to_json(self) -> dict:
        return {
            "tooling": self.tooling,
            "include": [e.to_dict() for e in self.include],
            "existing": [e.to_dict() for e in self.existing],
            "unchecked": [{**e.to_dict(), "detail": detail} for e, detail in self.unchecked],
            "ok": self.ok,
            "include_existing": self.include_existing,
            "source": {"releases": self.releases_source, "tooling": self.tooling_source},
            "archived": self.archived,
            "releases": [r.to_dict() for r in self.releases],
        }


def directories_for(providers: Sequence[str]) -> list[str]:
    """The release directories to read: those of the chosen providers (all by default)."""
    wanted = set(providers)
    return [d for d, (p, _prefix) in RELEASE_DIRECTORIES.items() if not wanted or p in wanted]


def parse_listing(listing: ReleaseListing) -> list[ReleaseCR]:
    """Each file parsed and classified; one that could not be read is invalid, with why."""
    releases = []
    for file in listing.files:
        if file.text is None:
            finding = Finding(file.problem or "not read", file.path, None, None)
            releases.append(ReleaseCR(file.path, INVALID_CR, parse_release_path(file.path),
                                      findings=[finding]))
        else:
            releases.append(parse_release(file.text, file.path))
    return releases


def build_matrix(listing: ReleaseListing, tooling: Version, tooling_source: str,
                 config: GateConfig, providers: Sequence[str] = (), include_existing: bool = False,
                 store_factory: StoreFactory | None = None) -> MatrixResult:
    releases = parse_listing(listing)
    suffixes = {p: config.image_suffix(p) for p in {r.provider for r in releases if r.provider}}
    plan: Plan = plan_images(releases, tooling, suffixes, providers)
    refs = {(e.provider, e.image): ImageRef(e.flatcar, e.kubernetes, plan.tooling,
                                            suffixes.get(e.provider, ""))
            for e in plan.entries}
    answers = lookup_images(refs, config, store_factory) if refs else {}
    include, existing, unchecked = [], [], []
    for entry in plan.entries:
        answer = answers.get((entry.provider, entry.image))
        if answer is not None and answer.status == PRESENT:
            existing.append(entry)
            if include_existing:
                include.append(entry)
            continue
        include.append(entry)
        if answer is None or answer.status != "missing":
            detail = (answer.detail if answer is not None and answer.detail
                      else "the image store gave no answer")
            unchecked.append((entry, detail))
    return MatrixResult(plan.tooling, tooling_source, listing.source, include, existing,
                        unchecked, plan.releases, listing.archived, include_existing)


def lookup_images(refs: dict[tuple[str, str], ImageRef], config: GateConfig,
                  store_factory: StoreFactory | None = None
                  ) -> dict[tuple[str, str], ImageAnswer]:
    """One batched ``lookup`` per store; providers whose stores share a key (same AWS
    accounts and regions) share one call, and the stores are asked concurrently."""
    if store_factory is None:
        store_factory = make_store
    by_provider: dict[str, list[ImageRef]] = {}
    for (provider, _name), ref in refs.items():
        by_provider.setdefault(provider, []).append(ref)
    stores = {p: store_factory(config.store_config(p)) for p in sorted(by_provider)}

    def ask(providers: list[str]) -> tuple[list[str], dict[str, ImageAnswer]]:
        wanted = {ref.name: ref for p in providers for ref in by_provider[p]}
        return providers, stores[providers[0]].lookup(list(wanted.values()))

    outcomes = ask_groups(share_groups(stores), ask)
    answers: dict[tuple[str, str], ImageAnswer] = {}
    for providers, got in outcomes:
        for provider in providers:
            for ref in by_provider[provider]:
                answer = got.get(ref.name)
                if answer is not None:
                    answers[(provider, ref.name)] = answer
    return answers
