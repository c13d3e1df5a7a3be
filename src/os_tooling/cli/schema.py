from __future__ import annotations

import argparse

from os_tooling.cli.common import EXIT_OK, add_format, emit

HELP = "print the JSON Schema of the tooling manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from os_tooling.schema import manifest_schema_text

    text = manifest_schema_text()
    emit(f"```json\n{text.rstrip()}\n```" if args.format == "markdown" else text)
    return EXIT_OK
