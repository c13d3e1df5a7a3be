"""A finding: something wrong (or worth a warning) at a place in a file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    message: str
    file: str = ""
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    location: str = ""  # where in the document, e.g. tools[0].version
    severity: str = "error"  # error | warning | note (a hint that never fails)

    def to_dict(self) -> dict:
        return {
            "path": self.file,
            "line": self.line,
            "column": self.column,
            "location": self.location,
            "message": self.message,
            "severity": self.severity,
        }

    def where(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


def format_location(path: tuple) -> str:
    """("tools", 0, "version") -> "tools[0].version"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"
