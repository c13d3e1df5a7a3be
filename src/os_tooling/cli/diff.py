from __future__ import annotations

import argparse

from os_tooling.cli.common import EXIT_FINDING, EXIT_OK
from os_tooling.cli.describe import Missing, add_source_arguments, load, open_source, parse_version
from os_tooling.core.policy import PlanOptions, plan
from os_tooling.report import release as report
from os_tooling.report.reporter import Outcome, failed

HELP = ("binary changes between two os-tooling versions, one line each, ready for cluster "
        "release notes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="FROM", help="os-tooling version, e.g. 1.31.0")
    parser.add_argument("new", metavar="TO", help="os-tooling version, e.g. 1.33.1")
    add_source_arguments(parser)


def execute(args: argparse.Namespace):
    old = parse_version(args.old, args.tag_prefix)
    new = parse_version(args.new, args.tag_prefix)
    source = open_source(args)
    try:
        before = load(source, old)
        after = load(source, new)
    except Missing as exc:
        return failed(EXIT_FINDING, exc)
    # downgrades are reported, not refused: going from a newer to an older version is a question
    result = plan(before, after, PlanOptions(allow_downgrade=True))
    return Outcome(EXIT_OK, report.Diffed(old, new, result), report.DIFF)
