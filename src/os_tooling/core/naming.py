"""Node image names (README, docs/backends.md): the one place the naming rule lives."""

from __future__ import annotations

import re
from dataclasses import dataclass

from os_tooling.core.versions import Version, VersionError

IMAGE_PREFIX = "flatcar-stable-"
IMAGE_SUFFIX = "-gs"
_IMAGE_RE = re.compile(
    r"^flatcar-stable-(?P<flatcar>[0-9][0-9A-Za-z.+-]*?)-kube-(?P<kubernetes>[0-9][0-9A-Za-z.+-]*?)"
    r"-tooling-(?P<tooling>[0-9][0-9A-Za-z.+-]*?)-gs(?P<suffix>[0-9A-Za-z._-]*)$"
)


class ImageNameError(ValueError):
    pass


@dataclass(frozen=True)
class ImageRef:
    flatcar: str
    kubernetes: str
    tooling: str
    suffix: str = ""  # provider-specific tail from the gate config (imageSuffix), e.g. for vSphere

    @property
    def name(self) -> str:
        return image_name(self.flatcar, self.kubernetes, self.tooling, suffix=self.suffix)


def _plain(component: str, text: str) -> str:
    """The version without a ``v`` prefix, checked to be a semantic version."""
    if not isinstance(text, str) or not text.strip():
        raise ImageNameError(f"{component} version is empty")
    try:
        return Version.parse(text.strip()).core
    except VersionError as exc:
        raise ImageNameError(f"{component} version: {exc}") from None


def image_name(flatcar: str, kubernetes: str, tooling: str, *, suffix: str = "") -> str:
    """``flatcar-stable-<flatcar>-kube-<kubernetes>-tooling-<tooling>-gs`` with no ``v`` anywhere.

    ``suffix`` is a provider-specific tail from configuration (e.g. a vSphere template suffix).
    """
    if suffix and not re.fullmatch(r"[0-9A-Za-z._-]{1,64}", suffix):
        raise ImageNameError(f"image name suffix {suffix!r} may only use letters, digits, '.', '_', '-'")
    return (f"{IMAGE_PREFIX}{_plain('flatcar', flatcar)}-kube-{_plain('kubernetes', kubernetes)}"
            f"-tooling-{_plain('os-tooling', tooling)}{IMAGE_SUFFIX}{suffix}")


def parse_image_name(name: str) -> ImageRef | None:
    """The three versions of an image name, or None when it does not follow the rule."""
    match = _IMAGE_RE.match(name)
    if match is None:
        return None
    return ImageRef(match["flatcar"], match["kubernetes"], match["tooling"])


def similar_prefix(flatcar: str, kubernetes: str) -> str:
    """Names of images with the same flatcar + kubernetes start with this (near-miss hints)."""
    return f"{IMAGE_PREFIX}{_plain('flatcar', flatcar)}-kube-{_plain('kubernetes', kubernetes)}-tooling-"
