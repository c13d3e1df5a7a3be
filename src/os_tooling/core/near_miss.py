"""Near misses of a missing node image (pure): what exists instead, and what differs.

A release names an image that its provider's store does not have. What the stores do hold
tells the reader what went wrong, and each hint says which part differs:

- ``region``: the image itself exists, but in some of the provider's regions only;
- ``provider``: the same image exists for another provider (built for eks, not for capa);
- ``suffix``: the same three versions exist under another name tail (no ``-gs``, another
  ``imageSuffix``);
- ``os-tooling``: images of the same flatcar, kubernetes and tail exist with other os-tooling
  versions (never the same version: that is a ``suffix`` hint).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from os_tooling.core.naming import ImageRef, similar_prefix
from os_tooling.core.versions import Version

REGION = "region"
PROVIDER = "provider"
SUFFIX = "suffix"
OS_TOOLING = "os-tooling"

# after "...-tooling-": the os-tooling version, then the name's tail ("-gs", "-gs-tpl", "")
_TOOLING_AND_TAIL = re.compile(r"(?P<tooling>[0-9][0-9A-Za-z.+-]*?)(?P<tail>-gs[0-9A-Za-z._-]*)?")
MAX_LISTED = 5  # names or versions per hint in a message


@dataclass(frozen=True)
class NearMiss:
    differs: str  # region | provider | suffix | os-tooling
    image: str  # the image that exists
    provider: str = ""  # provider hints: where it exists
    version: str = ""  # os-tooling hints: the other version
    found_in: tuple[str, ...] = ()  # a partly present image: where it exists (regions)
    lacking: tuple[str, ...] = ()  # ... and where it does not

    def to_dict(self) -> dict:
        out: dict = {"differs": self.differs, "image": self.image}
        if self.provider:
            out["provider"] = self.provider
        if self.version:
            out["version"] = self.version
        if self.found_in or self.lacking:
            out["found_in"], out["lacking"] = list(self.found_in), list(self.lacking)
        return out


def in_some_regions(image: str, found_in: Sequence[str], lacking: Sequence[str]) -> NearMiss | None:
    """The wanted image itself, present in ``found_in`` only: a ``region`` hint."""
    if not found_in or not lacking:
        return None
    return NearMiss(REGION, image, found_in=tuple(found_in), lacking=tuple(lacking))


def for_providers(image_by_provider: dict[str, str]) -> list[NearMiss]:
    """``provider -> image name`` where the same three versions exist: ``provider`` hints."""
    return [NearMiss(PROVIDER, name, provider=p) for p, name in image_by_provider.items()]


def from_names(ref: ImageRef, names: Iterable[str],
               partial: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None
               ) -> list[NearMiss]:
    """Sort a store's near-miss names for ``ref`` by what differs. ``partial`` maps a name to
    (regions it is in, regions it lacks) when it exists in some regions only.

    Same versions with another tail: a ``suffix`` hint. Another os-tooling version with the
    same tail: an ``os-tooling`` hint, newest first. Names that differ in more than that (another
    flatcar or kubernetes, another version *and* another tail) are no help and left out."""
    partial = partial or {}
    prefix = similar_prefix(ref.flatcar, ref.kubernetes)
    wanted = Version.parse(ref.tooling).core
    wanted_tail = ref.name[len(prefix) + len(wanted):]
    suffixes: list[NearMiss] = []
    versions: list[tuple[Version, NearMiss]] = []
    for name in dict.fromkeys(names):
        match = _TOOLING_AND_TAIL.fullmatch(name[len(prefix):]) if name.startswith(prefix) else None
        version = Version.try_parse(match["tooling"]) if match else None
        if match is None or version is None or name == ref.name:
            continue
        found_in, lacking = partial.get(name, ((), ()))
        tail = match["tail"] or ""
        if version.core == wanted:
            suffixes.append(NearMiss(SUFFIX, name, found_in=found_in, lacking=lacking))
        elif tail == wanted_tail:
            versions.append((version, NearMiss(OS_TOOLING, name, version=match["tooling"],
                                               found_in=found_in, lacking=lacking)))
    versions.sort(key=lambda pair: pair[0], reverse=True)
    return suffixes + [hint for _, hint in versions]


def describe(hints: Sequence[NearMiss]) -> str:
    """One sentence per kind of hint, joined with "; " (empty when there is none)."""
    parts = []
    for hint in hints:
        if hint.differs == REGION:
            parts.append(f"it exists in {', '.join(hint.found_in)} but not in "
                         f"{', '.join(hint.lacking)}")
    providers = [h.provider for h in hints if h.differs == PROVIDER]
    if providers:
        parts.append(f"the same image exists for {', '.join(providers)}")
    suffixes = [h for h in hints if h.differs == SUFFIX]
    if suffixes:
        parts.append("the same versions exist under another name: "
                     + _listed([h.image + _regions(h) for h in suffixes]))
    versions = [h for h in hints if h.differs == OS_TOOLING]
    if versions:
        parts.append("images with other os-tooling versions exist: "
                      + _listed([h.version + _regions(h) for h in versions]))
    return "; ".join(parts)


def _regions(hint: NearMiss) -> str:
    return f" (only in {', '.join(hint.found_in)})" if hint.lacking else ""


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return ", ".join(items[:MAX_LISTED]) + more
