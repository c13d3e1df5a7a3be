"""Helpers the cloud stores share: reading a provider's options block, ordering hints.

Options come from the user's store config file (``--config``), so every mistake is a UsageError
naming the provider and the key (a typo such as ``region:`` for ``regions:`` must not pass
silently).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from os_tooling.core.naming import parse_image_name
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError

# keys of a provider block that the store config itself reads (which store, the image suffix);
# the store ignores them
CONFIG_KEYS = frozenset({"backend", "imageSuffix"})


class Options:
    """Typed access to one provider's config block; ``done()`` rejects keys nobody read."""

    def __init__(self, provider: str, backend: str, options: Mapping[str, object]):
        if not isinstance(options, Mapping):
            raise UsageError(f"providers.{provider}: expected a mapping of options")
        self.provider = provider
        self.backend = backend
        self._options = dict(options)
        self._known: set[str] = set(CONFIG_KEYS)

    def _where(self, key: str) -> str:
        return f"providers.{self.provider}.{key}"

    def raw(self, key: str) -> object:
        self._known.add(key)
        return self._options.get(key)

    def string(self, key: str, default: str | None = None, *,
               pattern: str | None = None, what: str = "") -> str | None:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise UsageError(f"{self._where(key)}: expected a string, got {_kind(value)}")
        text = str(value).strip()
        if not text:
            raise UsageError(f"{self._where(key)}: must not be empty")
        if pattern is not None and not re.fullmatch(pattern, text):
            raise UsageError(f"{self._where(key)}: {text[:80]!r} is not {what or 'valid'}")
        return text

    def strings(self, key: str, default: Iterable[str], *, pattern: str | None = None,
                what: str = "") -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return tuple(default)
        items = [value] if isinstance(value, str | int) and not isinstance(value, bool) else value
        if not isinstance(items, list | tuple) or not items:
            raise UsageError(f"{self._where(key)}: expected a non-empty list of strings")
        result: list[str] = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise UsageError(f"{self._where(key)}: expected strings, got {_kind(item)}")
            text = str(item).strip()
            if pattern is not None and not re.fullmatch(pattern, text):
                raise UsageError(f"{self._where(key)}: {text[:80]!r} is not {what or 'valid'}")
            if text in result:
                raise UsageError(f"{self._where(key)}: {text!r} is listed twice")
            result.append(text)
        return tuple(result)

    def number(self, key: str, default: float, *, low: float, high: float) -> float:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"{self._where(key)}: expected a number, got {_kind(value)}")
        if not low <= value <= high:
            raise UsageError(f"{self._where(key)}: {value} is outside {low:g}..{high:g}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise UsageError(f"{self._where(key)}: expected true or false, got {_kind(value)}")
        return value

    def done(self) -> None:
        unknown = sorted(set(self._options) - self._known)
        if unknown:
            known = ", ".join(sorted(self._known - CONFIG_KEYS))
            raise UsageError(f"providers.{self.provider}: unknown option(s) "
                             f"{', '.join(map(repr, unknown))} for backend {self.backend!r} "
                             f"(known: {known})")


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


def _tooling_version(name: str) -> Version | None:
    ref = parse_image_name(name)
    return None if ref is None else Version.try_parse(ref.tooling)


def rank_hints(names: Iterable[str], exclude: str) -> list[str]:
    """Distinct image names other than ``exclude``, newest os-tooling version first."""
    unique = sorted({n for n in names if n != exclude})
    versioned = [(v, n) for n in unique if (v := _tooling_version(n)) is not None]
    versioned.sort(key=lambda pair: pair[0], reverse=True)
    return [n for _, n in versioned] + [n for n in unique if _tooling_version(n) is None]
