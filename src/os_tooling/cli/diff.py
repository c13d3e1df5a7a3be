from __future__ import annotations

import argparse

from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, emit, emit_error

HELP = ("binary changes between two os-tooling versions, one line each, ready for cluster "
        "release notes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from os_tooling.cli.describe import add_source_arguments

    parser.add_argument("old", metavar="FROM", help="os-tooling version, e.g. 1.31.0")
    parser.add_argument("new", metavar="TO", help="os-tooling version, e.g. 1.33.1")
    add_source_arguments(parser)


def run(args: argparse.Namespace) -> int:

    from os_tooling.cli.describe import Missing, load, open_source, parse_version
    from os_tooling.core.policy import PlanOptions, plan
    from os_tooling.report import release as report

    old = parse_version(args.old, args.tag_prefix)
    new = parse_version(args.new, args.tag_prefix)
    repo, label = open_source(args)
    try:
        before = load(repo, label, old)
        after = load(repo, label, new)
    except Missing as exc:
        emit_error("diff", exc)
        return EXIT_FINDING
    # downgrades are reported, not refused: going from a newer to an older version is a question
    result = plan(before, after, PlanOptions(allow_downgrade=True))
    if args.format == "json":
        from os_tooling.cli.common import emit_json

        emit_json(report.diff_json(old, new, str(result.changes_level), result.changes))
    elif args.format == "markdown":
        emit(report.diff_markdown(old, new, result.changes))
    else:
        from os_tooling.report.escape import lines

        emit(lines(report.diff_lines(old, new, result.changes)))
    return EXIT_OK
