from __future__ import annotations

import argparse

from os_tooling.backends.config import load_config
from os_tooling.cli.common import EXIT_OK, add_format
from os_tooling.core.escape import md_code, plain
from os_tooling.core.naming import ImageNameError, image_name
from os_tooling.core.providers import PROVIDERS
from os_tooling.errors import UsageError
from os_tooling.report.reporter import Outcome, Reporter

HELP = "print the node image name for flatcar, kubernetes and os-tooling versions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flatcar", required=True, help="Flatcar version, e.g. 4593.2.4")
    parser.add_argument("--kubernetes", required=True, help="Kubernetes version, e.g. 1.34.10")
    parser.add_argument("--tooling", required=True, help="os-tooling version, e.g. 1.33.1")
    parser.add_argument("--provider", choices=sorted(PROVIDERS),
                        help="add the provider-specific parts configured for it (imageSuffix in --config)")
    parser.add_argument("--config", metavar="FILE",
                        help="gate config: providers.<provider>.imageSuffix is appended after -gs")
    parser.add_argument("--suffix", default=None,
                        help="provider-specific tail appended after -gs, overriding the config")
    add_format(parser)


def execute(args: argparse.Namespace):
    suffix = args.suffix
    if suffix is None:
        suffix = ""
        if args.config:
            if not args.provider:
                raise UsageError("--config needs --provider: the suffix is configured per provider")
            suffix = load_config(args.config).image_suffix(args.provider)
    try:
        name = image_name(args.flatcar, args.kubernetes, args.tooling, suffix=suffix)
    except ImageNameError as exc:
        raise UsageError(str(exc)) from None

    data = {"image": name, "flatcar": args.flatcar, "kubernetes": args.kubernetes,
            "tooling": args.tooling, "provider": args.provider}
    reporter = Reporter(text=lambda d: plain(d["image"]), markdown=lambda d: md_code(d["image"]),
                        json=dict)
    return Outcome(EXIT_OK, data, reporter)
