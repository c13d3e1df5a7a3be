from __future__ import annotations

import argparse
import json

from os_tooling.cli.common import EXIT_OK, add_format
from os_tooling.report.reporter import Outcome, Reporter
from os_tooling.schema import manifest_schema_text

HELP = "print the JSON Schema of the tooling manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_format(parser)


def execute(args: argparse.Namespace):
    # text and json print the schema as it ships (its file is indented as --format json
    # indents); markdown puts it in a code block
    reporter = Reporter(text=str, markdown=lambda text: f"```json\n{text.rstrip()}\n```",
                        json=json.loads)
    return Outcome(EXIT_OK, manifest_schema_text(), reporter)
