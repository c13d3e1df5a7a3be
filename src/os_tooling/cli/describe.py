from __future__ import annotations

import argparse

from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.tooling_sources import open_tooling
from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, add_image_builder_repo, add_tag_prefix
from os_tooling.cli.github_options import add_github_arguments
from os_tooling.core.tooling_source import ToolingLookupError
from os_tooling.core.versions import Version, VersionError
from os_tooling.errors import UsageError
from os_tooling.report import release as report
from os_tooling.report.reporter import Outcome, failed

HELP = "list the binaries of an os-tooling version (from the manifest at its tag)"


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Where versions live: a local git tooling repo (default) or a GitHub repository."""

    source = parser.add_mutually_exclusive_group()
    source.add_argument("--tooling-repo", metavar="PATH",
                        help="local capi-image-builder checkout (default: the git repository "
                             "around the current directory)")
    add_image_builder_repo(source, "read tags and manifests from this GitHub repository instead")
    parser.add_argument("--from-asset", action="store_true",
                        help="with --image-builder-repo: read the release's os-tooling.json asset "
                             "instead of the manifest at the tag")
    parser.add_argument("--manifest", metavar="PATH",
                        help="manifest path in the tooling repository (default: os-tooling.yaml)")
    add_tag_prefix(parser)
    add_github_arguments(parser)
    add_format(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", metavar="VERSION", help="os-tooling version, e.g. 1.33.1")
    add_source_arguments(parser)


def open_source(args: argparse.Namespace):
    """The tooling source the options name: ``--image-builder-repo`` (the release asset with
    ``--from-asset``), else ``--tooling-repo``, else the git repository around the current
    directory."""

    if args.from_asset and not args.github_repo:
        raise UsageError("--from-asset needs --image-builder-repo")
    source = open_tooling(
        None if args.github_repo else (args.tooling_repo or "."), args.github_repo,
        manifest_path=args.manifest or "os-tooling.yaml", tag_prefix=args.tag_prefix,
        settings=lambda: ghc.ClientSettings.from_env(token=args.token, base_url=args.github_api_url),
        from_asset=args.from_asset)
    assert source is not None  # a local checkout is the default
    return source


def parse_version(text: str, prefix: str):
    try:
        return Version.parse(text.removeprefix(prefix) if prefix else text)
    except VersionError as exc:
        raise UsageError(f"version {text!r}: {exc}") from None


class Missing(Exception):
    """A version that is not a release, or whose binaries cannot be read: exit 1."""


def newest_hint(source) -> str:
    """" (newest: X.Y.Z)" after "that version is not a release": the newest release's version."""
    newest = next((v for v in source.versions() if v.prerelease is None), None)
    return f" (newest: {newest.core})" if newest else " (it has no version tags)"


def load(source, version):
    """The manifest of ``version``; raises Missing with a clear line (a setup problem, such as
    a bad token, stays a UsageError: exit 2)."""

    try:
        if not source.has_version(version):
            raise Missing(f"os-tooling {version.core} is not a release of {source.location}"
                          f"{newest_hint(source)}")
        answer = source.manifest(version)
    except ToolingLookupError as exc:
        raise Missing(str(exc)) from None
    if answer.manifest is None:
        raise Missing(f"cannot read the binaries of os-tooling {version.core}: {answer.reason}")
    return answer.manifest


def execute(args: argparse.Namespace):
    version = parse_version(args.version, args.tag_prefix)
    source = open_source(args)
    try:
        manifest = load(source, version)
    except Missing as exc:
        return failed(EXIT_FINDING, exc)
    described = report.Described(version, source.tag_of(version), manifest, source.location)
    return Outcome(EXIT_OK, described, report.DESCRIBE)
