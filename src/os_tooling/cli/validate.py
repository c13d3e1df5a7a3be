from __future__ import annotations

import argparse
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters.files import read_text
from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, report_outcome
from os_tooling.cli.manifest_path import default_manifest
from os_tooling.core.manifest import check_against_repository, parse_manifest
from os_tooling.report import validate as report

HELP = "validate tooling manifests: schema and the rules of the manifest (exit 1 on findings)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="MANIFEST",
                        help="manifest files (default: os-tooling.yaml at the repository root)")
    parser.add_argument("--manifest", help="manifest path (same as the positional argument)")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings as errors (notes, such as the hint to add "
                             "policy.imageInputs, never fail)")
    add_format(parser)


def execute(args: argparse.Namespace):
    files = list(args.files) + ([args.manifest] if args.manifest else [])
    if not files:
        files = [default_manifest()]
    reports = [parse_manifest(read_text(f, "manifest"), f, strict=args.strict) for f in files]
    listed: dict[str, list[str]] = {}  # repository root -> its files
    for result in reports:
        repo_files = _repository_files(result.file, listed) if result.valid else None
        if repo_files is not None:
            check_against_repository(result, repo_files, strict=args.strict)
    return report_outcome(EXIT_OK if all(r.valid for r in reports) else EXIT_FINDING, report,
                          reports)


def _repository_files(manifest: str, listed: dict[str, list[str]]) -> list[str] | None:
    """The files git tracks in the repository around ``manifest``; None outside git."""

    root = git.toplevel(Path(manifest).resolve().parent)
    if root is None:
        return None
    if str(root) not in listed:
        listed[str(root)] = git.tracked_files(root)
    return listed[str(root)]
