"""Where the manifest is when no path is given: os-tooling.yaml at the repository root."""

from __future__ import annotations

from pathlib import Path

from os_tooling.adapters import git

DEFAULT_MANIFEST = "os-tooling.yaml"


def default_manifest() -> str:
    if Path(DEFAULT_MANIFEST).is_file():
        return DEFAULT_MANIFEST

    root = git.toplevel(".")
    return str(root / DEFAULT_MANIFEST) if root else DEFAULT_MANIFEST
