"""Which node images a tooling version needs (pure, no I/O).

The live cluster releases decide: every Release CR outside ``archived/`` whose ``spec.state``
is not ``deprecated`` and that has ``flatcar``, ``kubernetes`` and ``os-tooling`` components
(what the gate calls gateable). Each distinct (provider, flatcar, kubernetes) of them needs
one image with the new tooling version, named by the one naming rule (``core.naming``, with
the provider's ``imageSuffix``). Legacy (``flatcar-variant``), vintage and AKS releases have
no image of this kind and are left out, as in the gate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from os_tooling.core.naming import ImageRef
from os_tooling.core.providers import PROVIDERS
from os_tooling.core.release_cr import GATEABLE, SKIPPED, ReleaseCR
from os_tooling.core.statuses import BuildStatus
from os_tooling.core.versions import Version

DEPRECATED = "deprecated"

# what became of each release file: BuildStatus
LIVE, STATE_DEPRECATED, LEFT_OUT, INVALID, OTHER_PROVIDER = (
    BuildStatus.LIVE, BuildStatus.DEPRECATED, BuildStatus.SKIPPED, BuildStatus.INVALID,
    BuildStatus.NOT_SELECTED)


@dataclass(frozen=True)
class MatrixEntry:
    provider: str
    flatcar: str
    kubernetes: str
    image: str

    def to_dict(self) -> dict[str, str]:
        return {"provider": self.provider, "flatcar": self.flatcar,
                "kubernetes": self.kubernetes, "image": self.image}


@dataclass
class SeenRelease:
    file: str
    name: str | None
    provider: str | None
    state: str | None
    status: BuildStatus
    reason: str = ""
    image: str | None = None  # for live releases: the image the new tooling version needs

    def to_dict(self) -> dict:
        return {"file": self.file, "name": self.name, "provider": self.provider,
                "state": self.state, "status": self.status, "reason": self.reason,
                "image": self.image}


@dataclass
class Plan:
    tooling: str
    entries: list[MatrixEntry]  # every image the live releases need, sorted
    releases: list[SeenRelease] = field(default_factory=list)

    @property
    def invalid(self) -> list[SeenRelease]:
        return [r for r in self.releases if r.status == INVALID]


def classify(release: ReleaseCR, providers: Iterable[str] = ()) -> SeenRelease:
    """Live, deprecated, left out (with the gate's reason) or invalid."""
    wanted = set(providers)
    seen = SeenRelease(release.file, release.name, release.provider, release.state, INVALID)
    if release.state == DEPRECATED:
        seen.status, seen.reason = STATE_DEPRECATED, "spec.state is deprecated"
    elif wanted and release.provider not in wanted:
        seen.status, seen.reason = OTHER_PROVIDER, "provider not selected"
    elif release.kind == SKIPPED:
        seen.status, seen.reason = LEFT_OUT, release.reason
    elif release.kind == GATEABLE and release.image is not None:
        seen.status = LIVE
    else:
        first = release.findings[0] if release.findings else None
        seen.reason = (f"{first.where()}: {first.message}" if first
                       else "not a release with a node image")
    return seen


def plan_images(releases: Iterable[ReleaseCR], tooling: Version, suffixes: Mapping[str, str],
                providers: Iterable[str] = ()) -> Plan:
    """One image per distinct (provider, flatcar, kubernetes) of the live releases."""
    wanted = list(providers)
    entries: dict[tuple[str, Version, Version], MatrixEntry] = {}
    seen_all = []
    for release in releases:
        seen = classify(release, wanted)
        seen_all.append(seen)
        if seen.status != LIVE:
            continue
        assert release.image is not None and release.provider is not None
        flatcar = Version.parse(release.image.flatcar).core
        kubernetes = Version.parse(release.image.kubernetes).core
        ref = ImageRef(flatcar, kubernetes, tooling.core, suffixes.get(release.provider, ""))
        seen.image = ref.name
        key = (release.provider, Version.parse(flatcar), Version.parse(kubernetes))
        entries.setdefault(key, MatrixEntry(release.provider, flatcar, kubernetes, ref.name))
    order = {p: i for i, p in enumerate(PROVIDERS)}
    ordered = [entries[k] for k in sorted(entries, key=lambda k: (order.get(k[0], 99), k[0],
                                                                  k[1], k[2]))]
    seen_all.sort(key=lambda s: s.file)
    return Plan(tooling.core, ordered, seen_all)
