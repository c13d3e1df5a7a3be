"""Image discovery: ask each provider's store which os-tooling versions exist for a
flatcar + kubernetes pair, then check every candidate everywhere (two batched calls per store).

Candidates come from the stores' near-miss query (``similar``, which lists an AWS image present
in some regions only too); the exact per-provider answer for each candidate then comes from
``lookup``, so "missing" carries the store's own detail (e.g. "missing in us-west-2") and the
regions a partly copied image lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from os_tooling.backends import make_store
from os_tooling.backends.config import GateConfig
from os_tooling.core.availability import ProviderAnswer, VersionAvailability, candidate_versions, newest_available, rank
from os_tooling.core.naming import ImageNameError, ImageRef, image_name

_PROBE_TOOLING = "0.0.0"  # no real release: every existing image is "another version" of it


@dataclass
class Discovery:
    flatcar: str
    kubernetes: str
    providers: list[str]
    versions: list[VersionAvailability]

    @property
    def newest(self) -> VersionAvailability | None:
        return newest_available(self.versions)


def discover(flatcar: str, kubernetes: str, providers: list[str], config: GateConfig) -> Discovery:
    try:
        image_name(flatcar, kubernetes, _PROBE_TOOLING)
    except ImageNameError as exc:
        raise ValueError(str(exc)) from None
    stores = {p: make_store(config.store_config(p)) for p in providers}
    suffixes = {p: config.image_suffix(p) for p in providers}
    names: set[str] = set()
    for p, store in stores.items():
        probe = ImageRef(flatcar, kubernetes, _PROBE_TOOLING, suffixes[p])
        for found in store.similar([probe]).values():
            names.update(found)
    versions = candidate_versions(flatcar, kubernetes, names, set(suffixes.values()))
    answers = {p: store.lookup([ImageRef(flatcar, kubernetes, v.core, suffixes[p]) for v in versions])
               if versions else {} for p, store in stores.items()}
    rows = []
    for version in versions:
        ref = ImageRef(flatcar, kubernetes, version.core)
        per_provider = {}
        for p in providers:
            answer = answers[p].get(ImageRef(flatcar, kubernetes, version.core, suffixes[p]).name)
            per_provider[p] = (ProviderAnswer(answer.status, answer.detail, answer.found_in,
                                              answer.lacking) if answer
                               else ProviderAnswer("error", "the store gave no answer"))
        rows.append(VersionAvailability(version, ref.name, per_provider))
    return Discovery(flatcar, kubernetes, providers, rank(rows))
