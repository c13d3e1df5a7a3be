from __future__ import annotations

import argparse
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters.tooling_sources import tooling_for
from os_tooling.backends.config import resolve_config
from os_tooling.backends.trusted_config import resolve_trusted_config
from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, add_store_arguments, report_outcome
from os_tooling.core.providers import PROVIDERS
from os_tooling.errors import UsageError
from os_tooling.report import availability as availability_report
from os_tooling.report import release_pr as release_pr_report
from os_tooling.usecases.discover import discover
from os_tooling.usecases.release_pr import release_pr_availability

HELP = ("list the os-tooling versions whose node images exist for every requested provider, "
        "newest first (exit 1 when none is fully available); with --base-ref, for the releases "
        "a release PR adds, next to the os-tooling they use, marking versions they may not "
        "take (os-tooling major, binary requests)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flatcar", help="Flatcar version, e.g. 4593.2.4")
    parser.add_argument("--kubernetes", help="Kubernetes version, e.g. 1.34.10")
    parser.add_argument("--base-ref", metavar="REF",
                        help="instead of --flatcar/--kubernetes: the release files added between "
                             "REF and HEAD (a release PR), each release with its providers")
    parser.add_argument("--repo-root", metavar="DIR",
                        help="with --base-ref: the releases repository (default: git top level)")
    parser.add_argument("--provider", action="append", choices=list(PROVIDERS), default=[],
                        help="provider to check (repeatable; default: every provider)")
    add_store_arguments(parser)
    parser.add_argument("--tooling-repo", metavar="PATH",
                        help="with --base-ref: local image builder checkout, for the binaries of "
                             "each version (binary requests; default: imageBuilderRepo of the "
                             "config on GitHub)")
    add_format(parser)


def execute(args: argparse.Namespace):
    if args.base_ref is not None:
        if args.flatcar or args.kubernetes or args.provider:
            raise UsageError("--base-ref takes flatcar, kubernetes and providers from the release "
                             "files: leave out --flatcar, --kubernetes and --provider")
        return _run_release_pr(args)
    if not args.flatcar or not args.kubernetes:
        raise UsageError("give --flatcar and --kubernetes, or --base-ref REF for a release PR")
    if args.repo_root is not None or args.tooling_repo is not None:
        raise UsageError("--repo-root and --tooling-repo go with --base-ref")
    config = resolve_config(args.config, args.catalog)
    providers = list(dict.fromkeys(args.provider)) or list(PROVIDERS)
    try:
        result = discover(args.flatcar, args.kubernetes, providers, config)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return report_outcome(EXIT_OK if result.newest is not None else EXIT_FINDING, availability_report,
                          result)


def _run_release_pr(args: argparse.Namespace):
    repo_root = Path(args.repo_root) if args.repo_root else (git.toplevel(".") or Path("."))
    if not repo_root.is_dir() or git.toplevel(repo_root) is None:
        raise UsageError(f"--base-ref needs a git repository, and {str(repo_root)!r} is not one")
    # the image stores of a release PR come from its base revision, never from the PR itself
    config, notes = resolve_trusted_config(args.config, args.catalog, repo_root, args.base_ref)

    result = release_pr_availability(repo_root, args.base_ref, config,
                                     tooling_for(args.tooling_repo, config))
    result.notes += notes
    return report_outcome(EXIT_OK if result.ok else EXIT_FINDING, release_pr_report, result)
