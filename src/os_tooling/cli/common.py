"""Pieces every subcommand shares: the --format option, reading files, exit codes."""

from __future__ import annotations

import argparse
import sys

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_USAGE = 2
FORMATS = ("text", "json", "markdown")


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="output format (default: text)")


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: object) -> None:
    import json

    emit(json.dumps(data, indent=2, ensure_ascii=False))
