"""A published release keeps its node image (pure).

A release file that exists at the base revision of a change is published: clusters run it.
Its ``flatcar``, ``kubernetes``, ``os-tooling`` and (legacy) ``flatcar-variant`` versions
make the node image; changing one in place would roll the nodes of every cluster on that
release, so such a change is a violation: a new release is made instead. Everything else
(state, date, apps, other components, a move to ``archived/``) may be edited in place.

Versions are compared as written, trimmed and without a leading ``v`` (image names never
carry one, so ``v1.33.1`` and ``1.33.1`` are the same image).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from os_tooling.core.gate_policy import NOT_APPLICABLE, OK, VIOLATION, PolicyCheck
from os_tooling.core.release_cr import (
    ARCHIVED,
    FLATCAR,
    FLATCAR_VARIANT,
    KUBERNETES,
    OS_TOOLING,
    Component,
    ReleaseCR,
    is_version_folder,
)
from os_tooling.core.statuses import CheckName

CHECK = CheckName.PUBLISHED_RELEASE
# the components that name the node image, in the order they are reported
NODE_IMAGE_COMPONENTS = (FLATCAR, KUBERNETES, OS_TOOLING, FLATCAR_VARIANT)


@dataclass(frozen=True)
class ComponentChange:
    name: str
    old: str | None  # None: added
    new: str | None  # None: removed

    def describe(self) -> str:
        if self.old is None:
            return f"{self.name} {self.new} added"
        if self.new is None:
            return f"{self.name} {self.old} removed"
        return f"{self.name} {self.old} -> {self.new}"


def node_image_versions(components: Mapping[str, Component]) -> dict[str, str]:
    """The node-image components of a release: name -> version as written (trimmed)."""
    return {name: components[name].version.strip() for name in NODE_IMAGE_COMPONENTS
            if name in components}


def node_image_changes(base: Mapping[str, str], head: Mapping[str, str]) -> list[ComponentChange]:
    """What differs between the node-image versions at base and at head."""
    changes = []
    for name in NODE_IMAGE_COMPONENTS:
        old, new = base.get(name), head.get(name)
        if _same(old, new):
            continue
        changes.append(ComponentChange(name, old, new))
    return changes


def repeated_changes(base: ReleaseCR, head: ReleaseCR) -> list[ComponentChange]:
    """Node-image components listed more than once (real vintage releases list ``kubernetes``
    twice; only a skipped release may): every entry counts, so a change hidden in a second entry
    is still a change. The distinct versions are compared in order (a repeated entry of the same
    version changes nothing); ``old``/``new`` list every entry."""
    changes = []
    for name in NODE_IMAGE_COMPONENTS:
        old, new = _entries(base, name), _entries(head, name)
        if len(old) < 2 and len(new) < 2:
            continue  # compared by node_image_changes
        if _distinct(old) != _distinct(new):
            changes.append(ComponentChange(name, ", ".join(old) or None, ", ".join(new) or None))
    return changes


def _entries(release: ReleaseCR, name: str) -> list[str]:
    every = [release.components[name]] if name in release.components else []
    every += [c for c in release.repeated if c.name == name]
    return [c.version.strip() for c in every]


def _distinct(versions: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip().removeprefix("v") for v in versions))


def _same(old: str | None, new: str | None) -> bool:
    if old is None or new is None:
        return old is new
    return old.strip().removeprefix("v") == new.strip().removeprefix("v")


def published_candidates(relative: str) -> list[str]:
    """Where the release at ``relative`` (path from the repository root) was published: the
    same path, and for ``<dir>/archived/v<version>/release.yaml`` also ``<dir>/v<version>/...``
    (archiving moves a published release; the move itself changes nothing)."""
    candidates = [relative]
    parts = list(PurePosixPath(relative).parts)
    index = len(parts) - 3  # .../<dir>/archived/v<version>/release.yaml, any <dir> (aws/ too)
    if index >= 1 and parts[index] == ARCHIVED and is_version_folder(parts[index + 1]):
        candidates.append(PurePosixPath(*(parts[:index] + parts[index + 1:])).as_posix())
    return candidates


def release_label(relative: str) -> str:
    """``capa/v34.5.0/release.yaml`` -> ``capa/v34.5.0`` (how people name a release)."""
    path = PurePosixPath(relative)
    return path.parent.as_posix() if path.name.startswith("release.") else relative


def published_release_check(label: str, base: ReleaseCR, head: ReleaseCR) -> PolicyCheck:
    """The check of a published release edited in place: ``base`` as it was published,
    ``head`` as the change leaves it; ``label`` names the release (``capa/v34.5.0``)."""
    if not base.components:
        why = base.findings[0].message if base.findings else "it has no components"
        return PolicyCheck(CHECK, NOT_APPLICABLE, f"published release {label} cannot be read at "
                           f"the base revision ({why}): nothing to compare")
    old, new = node_image_versions(base.components), node_image_versions(head.components)
    changes = node_image_changes(old, new)
    seen = {c.name for c in changes}
    changes += [c for c in repeated_changes(base, head) if c.name not in seen]
    changes.sort(key=lambda c: NODE_IMAGE_COMPONENTS.index(c.name))
    details = {"published": old, "changes": [{"component": c.name, "from": c.old, "to": c.new}
                                             for c in changes]}
    if changes:
        listed = ", ".join(c.describe() for c in changes)
        return PolicyCheck(CHECK, VIOLATION, f"published release {label} changes its node image: "
                           f"{listed}; make a new release", details)
    kept = ", ".join(f"{name} {version}" for name, version in old.items()) or "no node image"
    return PolicyCheck(CHECK, OK, f"published release {label} keeps its node image ({kept})",
                       details)


@dataclass(frozen=True)
class Published:
    """The release as it is at the base revision of the change: it is published."""

    path: str  # relative to the repository root at the base revision
    text: str
