"""The image-store interface: "which of these images exist for this provider?".

One small protocol that every back end (catalog file, AWS AMIs, Azure gallery, S3) implements.
Calls are batched: the gate hands a store *all* images of a run for one provider at once, so a
cloud store can answer with one request per region instead of one per image.

A partial answer is never success: anything a store could not check is ``error``, never
``present``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from os_tooling.core.naming import ImageRef
from os_tooling.core.statuses import ImageStatus

PRESENT, MISSING, ERROR = ImageStatus.PRESENT, ImageStatus.MISSING, ImageStatus.ERROR


@dataclass(frozen=True)
class ImageAnswer:
    image: str
    status: str  # present | missing | error
    detail: str = ""  # e.g. "missing in us-west-2", "AccessDenied in cn-north-1 (account ...)"
    locations: tuple[str, ...] = ()  # where it was found (regions, gallery, bucket key)
    # an image missing in some places only (AWS regions): where it is, and where it is not
    found_in: tuple[str, ...] = ()
    lacking: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return self.status == MISSING and bool(self.found_in)


@dataclass(frozen=True)
class StoreConfig:
    provider: str  # capa, eks, capz, capv, capvcd, capmox
    backend: str  # registry key, e.g. "catalog"
    options: Mapping[str, object] = field(default_factory=dict)  # the provider's config block
    base_dir: Path = Path(".")  # relative file paths in options are resolved from here
    label: str = ""  # how a file-backed store names its file to the reader (default: ``file``)


class ImageStore(Protocol):
    def lookup(self, refs: Sequence[ImageRef]) -> dict[str, ImageAnswer]:
        """Answer for every ref, keyed by image name; batched (one call per region or file)."""
        ...

    def similar(self, refs: Sequence[ImageRef]) -> dict[str, list[str]]:
        """Near-miss hints: for each ref's image name, existing images whose names start with
        the same flatcar and kubernetes (other os-tooling versions, other tails), newest first.
        A multi-region store lists an image that exists in some of its regions only, too."""
        ...

    # Optional: ``known(names) -> dict[str, ImageAnswer]``, the answers a store has without a
    # new request (a catalog knows every name; AWS what its lookups and hint queries saw). The
    # gate uses it for hints only, so that a hint never costs a call.
