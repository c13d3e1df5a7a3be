"""Which os-tooling versions have node images for every requested provider (pure).

Input: for one flatcar + kubernetes pair, the candidate os-tooling versions and, per provider,
the store's answer for each candidate image. Output: the versions newest first, each with where
it is missing. A version whose images exist in some of a provider's regions only (not yet
copied everywhere) is *partially* available: never chosen, but listed with the regions it
lacks. Nothing here talks to a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from os_tooling.core.naming import image_name, parse_image_name, similar_prefix
from os_tooling.core.statuses import ImageStatus
from os_tooling.core.versions import Version


@dataclass(frozen=True)
class ProviderAnswer:
    status: str  # present | missing | error
    detail: str = ""
    found_in: tuple[str, ...] = ()  # missing in some regions only: where it is ...
    lacking: tuple[str, ...] = ()  # ... and where it is not

    @property
    def partial(self) -> bool:
        return self.status == ImageStatus.MISSING and bool(self.found_in)

    def to_dict(self) -> dict:
        out: dict = {"status": self.status, "detail": self.detail, "partial": self.partial}
        if self.partial:
            out["found_in"], out["lacking"] = list(self.found_in), list(self.lacking)
        return out


@dataclass(frozen=True)
class VersionAvailability:
    version: Version
    image: str
    providers: Mapping[str, ProviderAnswer]

    @property
    def available(self) -> bool:
        return all(a.status == ImageStatus.PRESENT for a in self.providers.values())

    @property
    def partial(self) -> bool:
        """Not available, but every provider has the image in at least some of its regions."""
        answers = self.providers.values()
        return (not self.available
                and all(a.status == ImageStatus.PRESENT or a.partial for a in answers))

    @property
    def missing_for(self) -> list[str]:
        return [p for p, a in self.providers.items() if a.status != "present"]

    def to_dict(self) -> dict:
        return {"version": str(self.version), "image": self.image, "available": self.available,
                "partial": self.partial,
                "providers": {p: a.to_dict() for p, a in self.providers.items()}}


def candidate_versions(flatcar: str, kubernetes: str, names: Iterable[str],
                       suffixes: Iterable[str] = ("",)) -> list[Version]:
    """os-tooling versions of the image names that are for exactly this flatcar + kubernetes
    (with one of the configured provider suffixes, none by default)."""
    prefix = similar_prefix(flatcar, kubernetes)
    allowed = set(suffixes) or {""}
    versions: set[Version] = set()
    for name in names:
        ref = parse_image_name(name) if name.startswith(prefix) else None
        version = Version.try_parse(ref.tooling) if ref else None
        if version is not None and version.build is None and any(
                image_name(flatcar, kubernetes, ref.tooling, suffix=s) == name for s in allowed):
            versions.add(version)
    return sorted(versions, reverse=True)


def rank(rows: Iterable[VersionAvailability]) -> list[VersionAvailability]:
    """Newest first."""
    return sorted(rows, key=lambda row: row.version, reverse=True)


def newest_available(rows: Iterable[VersionAvailability]) -> VersionAvailability | None:
    return next((row for row in rank(rows) if row.available), None)
