"""Test data for the gate: a releases repository (real samples + written releases) and a
capi-image-builder repository whose tags hold the tooling manifests."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import ROOT, GitRepo

SAMPLES = ROOT / "tests" / "data" / "releases-sample"  # real Release CRs (public releases repo)
FIXTURES = ROOT / "tests" / "fixtures"
OVERLAY = FIXTURES / "releases" / "repo"  # written releases for scenarios the sample lacks
BROKEN = FIXTURES / "releases" / "broken"  # one mistake each
CATALOG = FIXTURES / "releases" / "catalog.yaml"  # every gateable release's image exists
TOOLING = FIXTURES / "tooling"  # <tag>.yaml: the os-tooling manifest at that tag

# tags of the image builder, oldest first; v1.15.0 predates the manifest file
TOOLING_TAGS = ["v1.15.0", "v1.26.4", "v1.28.0", "v1.31.0", "v1.33.1", "v1.34.0", "v2.0.0"]


def make_releases_repo(target: Path) -> Path:
    """The real sample tree with the written releases laid over it."""
    shutil.copytree(SAMPLES, target)
    shutil.copytree(OVERLAY, target, dirs_exist_ok=True)
    return target


def make_tooling_repo(target: Path) -> GitRepo:
    target.mkdir(parents=True)
    repo = GitRepo(target)
    repo.write("README.md", "capi-image-builder (test double)\n")
    for tag in TOOLING_TAGS:
        manifest = TOOLING / f"{tag}.yaml"
        if manifest.exists():
            repo.write("os-tooling.yaml", manifest.read_text())
        repo.commit(f"release {tag}")
        repo.tag(tag, f"os-tooling {tag}")
    repo.git("tag", "not-a-version")
    return repo


def release_files(root: Path) -> list[Path]:
    return sorted(root.rglob("release.yaml"))


def make_binaries_repo(target: Path, tags: dict[str, dict[str, tuple[str, list[str]]]]) -> GitRepo:
    """A capi-image-builder whose tags bake the binaries given: ``{tag: {tool: (version,
    providers)}}``, oldest tag first; an empty dict is a tag without a manifest."""
    from tests.helpers import manifest_text

    target.mkdir(parents=True)
    repo = GitRepo(target)
    repo.write("README.md", "capi-image-builder (test double)\n")
    for tag, tools in tags.items():
        manifest = repo.path / "os-tooling.yaml"
        if tools:
            repo.write("os-tooling.yaml", manifest_text(*[
                {"name": name, "version": version, "providers": providers}
                for name, (version, providers) in tools.items()]))
        elif manifest.exists():
            repo.git("rm", "-q", "os-tooling.yaml")
        repo.commit(f"release {tag}")
        repo.tag(tag, f"os-tooling {tag}")
    return repo
