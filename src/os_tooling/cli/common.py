"""Pieces every subcommand shares: the --format option, reading files, exit codes."""

from __future__ import annotations

import argparse
import json
import sys

from os_tooling.core.escape import json_text, one_line, terminal
from os_tooling.core.versions import check_tag_prefix
from os_tooling.errors import ExitCode
from os_tooling.report.reporter import FORMATS, Outcome, Reporter

EXIT_OK, EXIT_FINDING, EXIT_USAGE = ExitCode.OK, ExitCode.FINDING, ExitCode.USAGE


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="output format (default: text)")


def emit(text: str) -> None:
    """Print a report. The last guard: no raw control character of any input gets through
    (reports escape each untrusted value themselves, see os_tooling.core.escape)."""

    text = terminal(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: object) -> None:
    emit(json_text(json.dumps(data, indent=2, ensure_ascii=False)))


def emit_error(command: str, message: object) -> None:
    """One line on stderr, ``os-tooling COMMAND: MESSAGE``, whatever the message carries."""

    print(f"os-tooling {command}: {one_line(message)}", file=sys.stderr)


def print_outcome(args: argparse.Namespace, outcome) -> None:
    """The CLI's way of showing an Outcome: its error lines on stderr, its report in
    ``--format`` on stdout."""
    for message in outcome.errors:
        emit_error(args.command, message)
    text = outcome.render(args.format)
    if text is not None:
        emit(text)


def report_outcome(code: int, module: object, result: object):
    """An Outcome shown by a report module's ``text`` / ``markdown`` / ``to_json``."""

    return Outcome(code, result, Reporter.of(module))


def tag_prefix(value: str) -> str:
    """argparse type of ``--tag-prefix``: refused before it can reach git as an option."""

    try:
        return check_tag_prefix(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_tag_prefix(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tag-prefix", default="v", type=tag_prefix,
                        help="prefix of version tags (default: v)")


def add_image_builder_repo(group: argparse._ActionsContainer, help_text: str) -> None:
    """``--image-builder-repo OWNER/NAME``: capi-image-builder on GitHub, one name in every
    command. ``--github-repo`` (its name in describe, diff and build-vars before 0.2) stays a
    hidden alias for one minor version."""
    group.add_argument("--image-builder-repo", dest="github_repo", metavar="OWNER/NAME",
                       help=help_text)
    group.add_argument("--github-repo", dest="github_repo", metavar="OWNER/NAME",
                       help=argparse.SUPPRESS)


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """``--config`` and ``--catalog``: where images are looked up (gate, available, bump,
    build-matrix); in a pull request both are read from its base revision."""
    parser.add_argument("--config", metavar="FILE",
                        help="store config: image store and imageSuffix per provider, imageBuilderRepo")
    parser.add_argument("--catalog", metavar="FILE",
                        help="catalog of image names (JSON/YAML provider -> names) for every provider")


def add_level_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that raise or shape the release level; ``plan`` and ``release`` share them."""
    add_tag_prefix(parser)
    parser.add_argument("--declared-level", action="append", default=[],
                        choices=("patch", "minor", "major"),
                        help="raise the level at least to this (repeatable)")
    parser.add_argument("--label", action="append", default=[], metavar="NAME",
                        help="a PR label; <label-prefix><level> labels raise the level (repeatable)")
    parser.add_argument("--label-prefix", default="release/",
                        help="prefix of level labels (default: release/)")
    parser.add_argument("--allow-downgrade", action="store_true",
                        help="a tool version going down is allowed (level of the part that differs)")
    parser.add_argument("--major-on-zero", action="store_true",
                        help="below 1.0.0, release a major as 1.0.0 instead of a minor")
