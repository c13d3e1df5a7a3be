"""Which os-tooling version a release being prepared should take (pure).

The newest version whose node image exists for every provider asked about and that the release
may take (``refuse`` says why not: e.g. a patch or minor cluster release cannot raise
os-tooling's major, or the version's binaries break a binary request of the release).
Prereleases are never chosen. Every newer version that was passed over is kept with its reason,
so a report can say why the newest image was not taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from os_tooling.core.availability import VersionAvailability, rank
from os_tooling.core.versions import Version

Refuse = Callable[[Version], "str | None"]  # why a version may not be taken; None: it may


@dataclass(frozen=True)
class PassedOver:
    version: Version
    reason: str

    def to_dict(self) -> dict:
        return {"version": str(self.version), "reason": self.reason}


@dataclass(frozen=True)
class Choice:
    version: Version | None  # None: no version is usable
    passed_over: tuple[PassedOver, ...] = ()  # newer than the choice, newest first


def never(_: Version) -> str | None:
    return None


def all_of(*rules: Refuse) -> Refuse:
    """A version may be taken when every rule lets it; the first refusal says why not."""
    def refuse(version: Version) -> str | None:
        return next((why for rule in rules if (why := rule(version))), None)

    return refuse


def choose_latest(rows: Iterable[VersionAvailability], providers: Sequence[str],
                  refuse: Refuse = never) -> Choice:
    """The newest version with an image for each of ``providers`` that ``refuse`` accepts."""
    passed: list[PassedOver] = []
    for row in rank(rows):
        if row.version.prerelease is not None:
            passed.append(PassedOver(row.version, "a prerelease"))
            continue
        missing = [p for p in providers
                   if p not in row.providers or row.providers[p].status != "present"]
        if missing:
            passed.append(PassedOver(row.version, "no image for " + ", ".join(
                _where(p, row) for p in missing)))
            continue
        why = refuse(row.version)
        if why:
            passed.append(PassedOver(row.version, why))
            continue
        return Choice(row.version, tuple(passed))
    return Choice(None, tuple(passed))


def _where(provider: str, row: VersionAvailability) -> str:
    answer = row.providers.get(provider)
    if answer is None:
        return provider
    detail = f": {answer.detail}" if answer.detail else ""
    return f"{provider} ({answer.status}{detail})"
