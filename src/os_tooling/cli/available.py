from __future__ import annotations

import argparse

from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, emit_report
from os_tooling.core.providers import PROVIDERS

HELP = ("list the os-tooling versions whose node images exist for every requested provider, "
        "newest first (exit 1 when none is fully available)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flatcar", required=True, help="Flatcar version, e.g. 4593.2.4")
    parser.add_argument("--kubernetes", required=True, help="Kubernetes version, e.g. 1.34.10")
    parser.add_argument("--provider", action="append", choices=list(PROVIDERS), default=[],
                        help="provider to check (repeatable; default: every provider)")
    parser.add_argument("--config", metavar="FILE", help="gate config: image store per provider")
    parser.add_argument("--catalog", metavar="FILE", help="catalog of image names for every provider")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from os_tooling.discovery import discover
    from os_tooling.errors import UsageError
    from os_tooling.gate.config import resolve_config
    from os_tooling.report import availability as report

    config = resolve_config(args.config, args.catalog)
    providers = list(dict.fromkeys(args.provider)) or list(PROVIDERS)
    try:
        result = discover(args.flatcar, args.kubernetes, providers, config)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    emit_report(args.format, report, result)
    return EXIT_OK if result.newest is not None else EXIT_FINDING
