from __future__ import annotations

import argparse

from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, add_image_builder_repo, add_tag_prefix

HELP = "list the binaries of an os-tooling version (from the manifest at its tag)"


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Where versions live: a local git tooling repo (default) or a GitHub repository."""
    from os_tooling.cli.github_options import add_github_arguments

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
    """``(repo, label)``: a LocalToolingRepo or GitHubToolingRepo (same methods)."""
    from os_tooling.errors import UsageError

    manifest = args.manifest or "os-tooling.yaml"
    if args.github_repo:
        from os_tooling.adapters import github_client as ghc
        from os_tooling.adapters.tooling_github import GitHubToolingRepo

        ghc.check_repo_name(args.github_repo)
        settings = ghc.ClientSettings.from_env(token=args.token, base_url=args.github_api_url)
        source = "asset" if args.from_asset else "contents"
        repo = GitHubToolingRepo.from_settings(settings, args.github_repo, manifest_path=manifest,
                                               tag_prefix=args.tag_prefix, source=source)
        label = f"{args.github_repo} ({'os-tooling.json asset' if args.from_asset else 'GitHub'})"
        return repo, label
    if args.from_asset:
        raise UsageError("--from-asset needs --github-repo")
    from os_tooling.adapters.tooling_repo import LocalToolingRepo

    repo = LocalToolingRepo(args.tooling_repo or ".", manifest_path=manifest,
                            tag_prefix=args.tag_prefix)
    return repo, str(repo.root)


def parse_version(text: str, prefix: str):
    from os_tooling.core.versions import Version, VersionError
    from os_tooling.errors import UsageError

    try:
        return Version.parse(text.removeprefix(prefix) if prefix else text)
    except VersionError as exc:
        raise UsageError(f"version {text!r}: {exc}") from None


class Missing(Exception):
    """A version that is not a release, or whose binaries cannot be read: exit 1."""


def load(repo, label: str, version):
    """The manifest of ``version``; raises Missing with a clear line."""
    from os_tooling.adapters.tooling_github import ToolingRepoError
    from os_tooling.errors import UsageError

    try:
        if not repo.has_version(version):
            newest = repo.versions()[:1]
            hint = f" (newest: {newest[0].core})" if newest else " (it has no version tags)"
            raise Missing(f"os-tooling {version.core} is not a release of {label}{hint}")
        answer = repo.manifest(version)
    except ToolingRepoError as exc:
        if exc.usage:
            raise UsageError(str(exc)) from None
        raise Missing(str(exc)) from None
    if answer.manifest is None:
        raise Missing(f"cannot read the binaries of os-tooling {version.core}: {answer.reason}")
    return answer.manifest


def execute(args: argparse.Namespace):
    from os_tooling.report import release as report
    from os_tooling.report.reporter import Outcome, failed

    version = parse_version(args.version, args.tag_prefix)
    repo, label = open_source(args)
    try:
        manifest = load(repo, label, version)
    except Missing as exc:
        return failed(EXIT_FINDING, exc)
    described = report.Described(version, repo.tags()[version], manifest, label)
    return Outcome(EXIT_OK, described, report.DESCRIBE)
