"""Release levels, ordered so that "the highest level wins" is just ``max()``."""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        """``"minor"`` -> ``Level.MINOR``; raises ValueError with the allowed names."""
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            allowed = ", ".join(str(level) for level in cls)
            raise ValueError(f"unknown release level {text!r} (expected one of: {allowed})") from None


LEVEL_NAMES = tuple(str(level) for level in Level)
