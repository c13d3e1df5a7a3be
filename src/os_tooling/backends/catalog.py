"""The catalog image store: a JSON or YAML file mapping provider -> image names (docs/backends.md).

The embedded default for the demo and offline use: no cloud account, no network.

    capa: [flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs]
    capz: []

Config options: ``file`` (required; relative paths are resolved from the config's folder).
A catalog that cannot be read or has the wrong shape is a usage error (exit 2) naming file and
line: a typo in a provider key must not silently turn into "every image is missing".
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from os_tooling.adapters.files import read_text
from os_tooling.backends.base import MISSING, PRESENT, ImageAnswer, StoreConfig
from os_tooling.core import yamldoc
from os_tooling.core.naming import ImageRef, parse_image_name, similar_prefix
from os_tooling.core.providers import PROVIDERS
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError

# resolved path -> ((mtime_ns, size), provider -> names); one parse per file per run
_CACHE: dict[str, tuple[tuple[int, int], dict[str, tuple[str, ...]]]] = {}


class Store:
    def __init__(self, config: StoreConfig):
        file = config.options.get("file")
        if not isinstance(file, str) or not file.strip():
            raise UsageError(f"provider {config.provider!r}: the catalog backend needs "
                             "'file: <path to a catalog>'")
        path = Path(file)
        self.path = path if path.is_absolute() else Path(config.base_dir) / path
        self.label = config.label or file  # e.g. the path given, for a copy of the base's file
        self.provider = config.provider
        self._names: tuple[str, ...] | None = None
        self._set: frozenset[str] = frozenset()

    def names(self) -> tuple[str, ...]:
        if self._names is None:
            self._names = load_catalog(self.path, self.label).get(self.provider, ())
            self._set = frozenset(self._names)
        return self._names

    def lookup(self, refs: Sequence[ImageRef]) -> dict[str, ImageAnswer]:
        names = self.names()
        listed = self._set
        answers: dict[str, ImageAnswer] = {}
        for ref in refs:
            name = ref.name
            if name in listed:
                answers[name] = ImageAnswer(name, PRESENT, f"listed in catalog {self.label}",
                                            (f"catalog {self.label}",))
            elif not names:
                answers[name] = ImageAnswer(name, MISSING, f"catalog {self.label} lists no "
                                            f"images for {self.provider}")
            else:
                answers[name] = ImageAnswer(name, MISSING, f"not listed under {self.provider} in "
                                            f"catalog {self.label}")
        return answers

    def known(self, names: Sequence[str]) -> dict[str, ImageAnswer]:
        """A catalog knows every answer without asking anyone."""
        self.names()
        return {name: (ImageAnswer(name, PRESENT, f"listed in catalog {self.label}",
                                   (f"catalog {self.label}",)) if name in self._set
                       else ImageAnswer(name, MISSING)) for name in names}

    def similar(self, refs: Sequence[ImageRef]) -> dict[str, list[str]]:
        names = self.names()
        out: dict[str, list[str]] = {}
        for ref in refs:
            prefix = similar_prefix(ref.flatcar, ref.kubernetes)
            target = ref.name
            found = [n for n in names if n.startswith(prefix) and n != target]
            found.sort(key=_tooling_key, reverse=True)
            out[target] = found
        return out


def _tooling_key(name: str) -> tuple:
    ref = parse_image_name(name)
    version = Version.try_parse(ref.tooling) if ref else None
    return (version is not None, version or Version(0, 0, 0), name)


def load_catalog(path: Path, label: str | None = None) -> dict[str, tuple[str, ...]]:
    """provider -> image names; raises UsageError (file and line) when unreadable or invalid."""

    label = label or str(path)
    try:
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_size)
        key = str(Path(path).resolve())
    except OSError:
        stamp, key = (0, 0), ""
    if key and key in _CACHE and _CACHE[key][0] == stamp:
        return _CACHE[key][1]
    text = read_text(path, "catalog")
    catalog = parse_catalog(text, label, json_only=str(path).endswith(".json"))
    if key:
        _CACHE[key] = (stamp, catalog)
    return catalog


def parse_catalog(text: str, label: str, *, json_only: bool = False) -> dict[str, tuple[str, ...]]:
    marks: dict[tuple, tuple[int, int]] = {}
    key_marks: dict[tuple, tuple[int, int]] = {}
    if json_only:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"catalog {label}:{exc.lineno}:{exc.colno}: invalid JSON: "
                             f"{exc.msg}") from None
        except RecursionError:
            raise UsageError(f"catalog {label}: JSON nesting is too deep") from None
    else:
        try:
            doc = yamldoc.load(text, label)
        except yamldoc.YamlError as exc:
            raise UsageError(f"catalog {exc.finding.where()}: {exc.finding.message}") from None
        data, marks, key_marks = doc.data, doc.value_marks, doc.key_marks

    def where(path: tuple, *, key: bool = False) -> str:
        line, column = (key_marks if key else marks).get(path) or marks.get(path) or (None, None)
        return f"{label}:{line}:{column}" if line else label

    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"catalog {where(())}: expected a mapping of provider -> list of image "
                         "names")
    catalog: dict[str, tuple[str, ...]] = {}
    for provider, names in data.items():
        if provider not in PROVIDERS:
            raise UsageError(f"catalog {where((provider,), key=True)}: unknown provider {provider!r} "
                             f"(known: {', '.join(PROVIDERS)})")
        if names is None:
            names = []
        if not isinstance(names, list):
            raise UsageError(f"catalog {where((provider,))}: {provider} must be a list of image "
                             "names")
        for index, name in enumerate(names):
            if not isinstance(name, str) or not name.strip():
                raise UsageError(f"catalog {where((provider, index))}: {provider}[{index}] must "
                                 "be an image name (a string)")
        catalog[provider] = tuple(n.strip() for n in names)
    return catalog
