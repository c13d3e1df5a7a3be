from __future__ import annotations

import argparse
import json

from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.github_output import write_outputs
from os_tooling.adapters.releases_reader import ReleasesReadError, github_release_files, local_release_files
from os_tooling.adapters.tooling_sources import open_tooling
from os_tooling.backends.config import resolve_config
from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_store_arguments, emit, print_outcome
from os_tooling.cli.github_options import add_github_arguments
from os_tooling.core.escape import json_text
from os_tooling.core.providers import PROVIDERS
from os_tooling.core.tooling_source import ToolingLookupError
from os_tooling.core.versions import Version, VersionError
from os_tooling.errors import UsageError
from os_tooling.report import build as report
from os_tooling.report.reporter import Outcome, failed
from os_tooling.usecases.build_matrix import build_matrix, directories_for

HELP = ("the node images an os-tooling version needs: one per distinct provider, flatcar and "
        "kubernetes of the live cluster releases, less those that already exist")
FORMATS = ("text", "json", "markdown", "github")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    releases = parser.add_mutually_exclusive_group(required=True)
    releases.add_argument("--releases", metavar="DIR",
                          help="a checkout of the releases repository (its root)")
    releases.add_argument("--releases-github", metavar="OWNER/NAME",
                          help="read the releases repository through the GitHub API (one tree "
                               "call, one blob per release file outside archived/)")
    parser.add_argument("--ref", metavar="REF",
                        help="with --releases-github: branch, tag or commit (default: HEAD, the "
                             "default branch)")
    tooling = parser.add_mutually_exclusive_group()
    tooling.add_argument("--tooling", metavar="VERSION",
                         help="the os-tooling version to build (default: the newest vX.Y.Z tag "
                              "of the tooling source)")
    tooling.add_argument("--tooling-repo", metavar="PATH",
                         help="local capi-image-builder checkout whose newest tag is the version "
                              "(default: the git repository around the current directory)")
    tooling.add_argument("--image-builder-repo", metavar="OWNER/NAME",
                         help="GitHub repository whose newest tag is the version (default: "
                              "imageBuilderRepo of --config)")
    add_store_arguments(parser)
    parser.add_argument("--provider", action="append", choices=list(PROVIDERS), default=[],
                        help="only this provider (repeatable; default: every provider)")
    parser.add_argument("--include-existing", action="store_true",
                        help="also build images that already exist")
    add_github_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text, json, markdown, or github (matrix={\"include\": [...]} to "
                             "$GITHUB_OUTPUT, for strategy.matrix: ${{ fromJSON(...) }})")


def execute(args: argparse.Namespace):
    if args.ref and not args.releases_github:
        raise UsageError("--ref needs --releases-github (a local --releases folder is read as "
                         "it is checked out)")
    config = resolve_config(args.config, args.catalog)
    providers = list(dict.fromkeys(args.provider))
    try:
        tooling, tooling_label = _tooling_version(args, config)
        listing = _listing(args, directories_for(providers))
    except (ReleasesReadError, ToolingLookupError) as exc:  # GitHub kept failing: a finding
        return failed(EXIT_FINDING, exc)
    result = build_matrix(listing, tooling, tooling_label, config, providers,
                          args.include_existing)
    return Outcome(EXIT_OK if result.ok else EXIT_FINDING, result, report.MATRIX)


def present(args: argparse.Namespace, outcome) -> None:
    """The report formats as every command; github writes the matrix to $GITHUB_OUTPUT."""

    if args.format != "github" or outcome.result is None:
        print_outcome(args, outcome)
        return

    result = outcome.result
    matrix = json_text(json.dumps({"include": result.to_json()["include"]}, ensure_ascii=False))
    write_outputs({"matrix": matrix, "tooling": result.tooling})
    emit(f"matrix={matrix}\ntooling={result.tooling}")


def _listing(args: argparse.Namespace, directories: list[str]):
    if args.releases is not None:
        return local_release_files(args.releases, directories)

    ghc.check_repo_name(args.releases_github)
    settings = ghc.ClientSettings.from_env(token=args.token, base_url=args.github_api_url)
    repo = ghc.open_repo(ghc.build_client(settings), args.releases_github)
    return github_release_files(repo, args.releases_github, args.ref or "HEAD", directories)


def _tooling_version(args: argparse.Namespace, config):
    """``(version, where it came from)``: --tooling, else the newest vX.Y.Z tag of the tooling
    source (--tooling-repo, --image-builder-repo or the config's imageBuilderRepo, else the git
    repository around the current directory)."""

    if args.tooling:
        try:
            version = Version.parse(args.tooling.strip())
        except VersionError as exc:
            raise UsageError(f"--tooling: {exc}") from None
        return version, "given with --tooling"
    prefix = config.tooling_tag_prefix
    github_repo = args.image_builder_repo or config.image_builder_repo
    local = args.tooling_repo or (None if github_repo else ".")
    try:
        source = open_tooling(local, github_repo, manifest_path=config.tooling_manifest,
                              tag_prefix=prefix, settings=lambda: ghc.ClientSettings.from_env(
                                  token=args.token, base_url=args.github_api_url))
    except UsageError as exc:
        if local != ".":  # the checkout or repository named is wrong: that message says so
            raise
        raise UsageError("which os-tooling version? give --tooling VERSION, --tooling-repo "
                         "PATH or --image-builder-repo OWNER/NAME (the current directory is "
                         "not a git repository)") from exc
    assert source is not None  # a local checkout is the default
    label = source.label
    releases = [v for v in source.versions() if v.prerelease is None]
    if not releases:
        raise UsageError(f"{label} has no {prefix}X.Y.Z tag: give the version with --tooling")
    newest = releases[0]
    return newest, f"newest tag {source.tag_of(newest)} of {label}"
