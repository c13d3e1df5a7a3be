"""Action inputs, read the way ``@actions/core`` reads them.

``INPUT_<NAME>`` with spaces as underscores and upper case (hyphens stay: ``INPUT_BASE-REF``),
trimmed; an absent input is the empty string; booleans are the YAML 1.2 core spellings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from os_tooling.errors import UsageError

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


class Inputs:
    def __init__(self, environ: Mapping[str, str] | None = None):
        self._env = os.environ if environ is None else environ

    def raw(self, name: str) -> str:
        key = "INPUT_" + name.replace(" ", "_").upper()
        return self._env.get(key, "")

    def get(self, name: str, default: str = "") -> str:
        """The trimmed value; ``default`` when absent or blank."""
        value = self.raw(name).strip()
        return value if value else default

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if not value:
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise UsageError(f"input {name!r} must be true or false, got {value!r}")

    def lines(self, name: str) -> list[str]:
        """A multiline input: one item per line, trimmed, blank lines dropped."""
        return [line.strip() for line in self.raw(name).replace("\r\n", "\n").split("\n")
                if line.strip()]

    def items(self, name: str) -> list[str]:
        """Like ``lines`` but also splits on commas (``labels: a, b``)."""
        return [part.strip() for line in self.lines(name) for part in line.split(",")
                if part.strip()]

    def choice(self, name: str, choices: tuple[str, ...], default: str = "") -> str:
        value = self.get(name, default)
        if value and value not in choices:
            raise UsageError(f"input {name!r} must be one of {', '.join(choices)}; got {value!r}")
        return value
