"""The gate config of a pull request comes from its base revision, never from the PR.

The gate config says where images are looked up (stores, endpoints, catalogs) and where
os-tooling versions live (``imageBuilderRepo``). A pull request that could edit them could make
the gate look in a catalog it wrote itself, or send the Azure token to a host it names. So when a
base revision is known, every config and catalog file that lies inside the repository is read
as it is at the base revision (copied into a private folder for this run); a PR that changes
one of them is gated under the base's version, and the report says so. Files outside the
repository are the operator's own and are read as they are.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters.files import read_text
from os_tooling.backends.config import GateConfig, default_config, load_config, parse_config, resolve_config
from os_tooling.errors import UsageError


class _BaseSnapshot:
    """Files of the base revision, written under a private temporary folder."""

    def __init__(self, top: Path, base: str):
        self.top = top
        self.base = base
        self.folder = Path(tempfile.mkdtemp(prefix="os-tooling-base-"))
        atexit.register(shutil.rmtree, self.folder, True)
        self.notes: list[str] = []
        self._taken: dict[str, Path] = {}
        self.texts: dict[Path, str] = {}  # each copy's text, parsed without reading it back

    def relative(self, path: str | Path, start: Path | None = None) -> str | None:
        """``path`` relative to the repository top, or None when it lies outside it."""
        return _relative_to(self.top, path, start)

    def take(self, relative: str, what: str) -> Path:
        """Copy ``relative`` as it is at the base revision; note when the PR changed it."""
        if relative in self._taken:
            return self._taken[relative]

        text = git.show_file(self.top, self.base, relative)
        if text is None and git.show_file(self.top, "HEAD", relative) is None:
            # not in the repository's history at all: the operator's own file (e.g. generated
            # by an earlier step), not something the pull request brings
            return self.top / relative
        if text is None:
            raise UsageError(f"{what} {relative!r} does not exist at the base revision "
                             f"{self.base[:12]}: a pull request cannot bring its own {what} "
                             "(add it in a pull request of its own first)")
        try:
            current: str | None = read_text(self.top / relative, what, root=self.top)
        except UsageError:
            current = None
        if current != text:
            self.notes.append(f"{what} {relative} is changed by this pull request: gated under "
                              "the base revision's version")
        target = self.folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        self._taken[relative] = target
        self.texts[target] = text
        return target


def _relative_to(top: Path, path: str | Path, start: Path | None = None) -> str | None:
    """``path`` (relative to ``start``, default the current directory) relative to ``top``, or
    None when it lies outside it; its folder's links are followed, not the file's own."""
    absolute = Path(os.path.abspath((start or Path.cwd()) / path))
    absolute = Path(os.path.realpath(absolute.parent)) / absolute.name  # the file itself may be a link
    try:
        return absolute.relative_to(top).as_posix()
    except ValueError:
        return None


def in_repository(paths: list[str | None], repo_root: Path) -> bool:
    """Does any of ``paths`` (config or catalog files as given) lie in the git repository at
    ``repo_root``, where a pull request could have changed it?"""
    top = git.toplevel(repo_root)
    if top is None:
        return False
    real_top = Path(os.path.realpath(top))
    return any(path and _relative_to(real_top, path) is not None for path in paths)


def resolve_trusted_config(config_file: str | None, catalog: str | None, repo_root: Path,
                           base: str | None) -> tuple[GateConfig, list[str]]:
    """``--config``/``--catalog`` as ``resolve_config`` reads them, but taken from the base
    revision ``base`` when there is one and the files lie in the git repository at
    ``repo_root``. Returns the config and the notes for the report."""

    top = git.toplevel(repo_root) if base else None
    if top is None or not (config_file or catalog):
        return resolve_config(config_file, catalog), []
    snapshot = _BaseSnapshot(Path(os.path.realpath(top)), git.resolve_commit(top, base))
    config = default_config()
    if config_file:
        relative = snapshot.relative(config_file)
        if relative is None:
            config = load_config(config_file)
        else:
            copy = snapshot.take(relative, "gate config")
            if copy in snapshot.texts:
                config = parse_config(snapshot.texts[copy], config_file, copy.parent)
                config = _catalogs_from_base(config, snapshot, Path(config_file).parent)
            else:  # untracked: the operator's own, with its catalogs beside it

                config = load_config(config_file)
    if catalog:
        relative = snapshot.relative(catalog)
        # a copy of the base's file, named in reports as the user named it
        config = (config.with_catalog(str(snapshot.take(relative, "catalog")), label=catalog)
                  if relative else config.with_catalog(catalog))
    return config, snapshot.notes


def _catalogs_from_base(config: GateConfig, snapshot: _BaseSnapshot, config_dir: Path) -> GateConfig:
    """Catalog files named by the config's providers, from the base revision too."""
    providers = dict(config.providers)
    for name, store in config.providers.items():
        file = store.options.get("file")
        if store.backend != "catalog" or not isinstance(file, str) or not file.strip():
            continue
        relative = snapshot.relative(file, config_dir) if not Path(file).is_absolute() else \
            snapshot.relative(file)
        options = dict(store.options)
        if relative is None:  # the operator's own file outside the repository
            options["file"] = os.path.abspath(config_dir / file)
        else:
            options["file"] = str(snapshot.take(relative, "catalog"))
            store = replace(store, label=file)  # reports name the file as the config does
        providers[name] = replace(store, options=options)
    return replace(config, providers=providers)
