"""Every status vocabulary of the project, each defined once as a ``StrEnum``.

A member is its string (``CheckStatus.OK == "ok"``, JSON writes ``"ok"``), so reports and the
JSON contract (docs/report.schema.json) read exactly as before; code compares members, and a
typo is an AttributeError instead of a status that silently never matches.
"""

from __future__ import annotations

from enum import StrEnum


class ImageStatus(StrEnum):
    """An image store's answer for one image name."""

    PRESENT = "present"
    MISSING = "missing"
    ERROR = "error"  # the store could not answer (credentials, network, throttling)


class CheckName(StrEnum):
    """The checks of the gate, each release's ``checks[].name``."""

    RELEASE_CR = "release-cr"  # the file is not a Release CR the gate can read
    IMAGE = "image"
    OS_TOOLING_RELEASE = "os-tooling-release"
    OS_TOOLING_MAJOR = "os-tooling-major"
    BINARY_MAJORS = "binary-majors"
    PUBLISHED_RELEASE = "published-release"
    REQUESTS = "requests"


class CheckStatus(StrEnum):
    """One check of a release in the gate."""

    OK = "ok"
    MISSING = "missing"  # the image check only
    VIOLATION = "violation"
    ERROR = "error"
    NOT_RUN = "not-run"  # could not run and the user accepted it (never a pass)
    NOT_APPLICABLE = "not-applicable"  # nothing to check (e.g. a new major, a legacy previous)


class ReleaseStatus(StrEnum):
    """One release file in the gate: the worst of its checks, or skipped."""

    OK = "ok"
    MISSING = "missing"
    VIOLATION = "violation"
    SKIPPED = "skipped"  # no node image of this kind (aks, vintage, legacy flatcar-variant)
    ERROR = "error"


class ChangeKind(StrEnum):
    """What one row of a plan changed (``kind`` in a plan's JSON rows)."""

    VERSION = "version"
    DOWNGRADE = "downgrade"
    ADDED = "added"  # a tool added to the manifest
    REMOVED = "removed"
    PROVIDER_ADDED = "provider-added"
    PROVIDER_REMOVED = "provider-removed"
    DECLARED = "declared"  # a level declared by hand (label, trailer, --declared-level)
    IMAGE_INPUT = "image-input"  # files under policy.imageInputs


class ReleaseKind(StrEnum):
    """What a Release CR is, found before its shape is checked."""

    GATEABLE = "gateable"  # flatcar + kubernetes + os-tooling: it has a node image
    SKIPPED = "skipped"
    INVALID = "invalid"


class BuildStatus(StrEnum):
    """What ``build-matrix`` made of one release file (``status`` of its JSON rows)."""

    LIVE = "live"  # an active release with a node image: its image is built if missing
    DEPRECATED = "deprecated"  # spec.state is deprecated: no new image
    SKIPPED = "skipped"  # no node image of this kind (legacy, vintage, aks)
    INVALID = "invalid"
    NOT_SELECTED = "not-selected"  # --provider chose other providers


class BumpStatus(StrEnum):
    """What ``bump`` did to one release file."""

    BUMPED = "bumped"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the PR's own choice is newer, or equal
    REFUSED = "refused"


class ReleaseOutcome(StrEnum):
    """How one ``release`` run ended; ``released`` says whether HEAD carries a release after it."""

    RELEASED = "released"  # tag and release made by this run (or finished with a concurrent run)
    REPAIRED = "repaired"  # the tag existed on HEAD; this run created the missing release/asset
    ALREADY_RELEASED = "already-released"  # HEAD carries a release already; nothing done
    NOTHING_TO_RELEASE = "nothing-to-release"  # level none since the last release
    CONTAINED = "contained"  # HEAD is an ancestor of the newest release tag
    DRY_RUN = "dry-run"  # would release; nothing changed

    @property
    def released(self) -> bool:
        return self in (ReleaseOutcome.RELEASED, ReleaseOutcome.REPAIRED,
                        ReleaseOutcome.ALREADY_RELEASED)
