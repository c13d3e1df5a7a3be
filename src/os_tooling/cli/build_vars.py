from __future__ import annotations

import argparse
import shlex

from os_tooling.adapters.files import read_text
from os_tooling.adapters.github_output import write_outputs
from os_tooling.cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    add_image_builder_repo,
    add_tag_prefix,
    emit,
    emit_error,
    emit_json,
    print_outcome,
)
from os_tooling.cli.describe import Missing, load, newest_hint, open_source, parse_version
from os_tooling.cli.github_options import add_github_arguments
from os_tooling.cli.manifest_path import default_manifest
from os_tooling.core.build_inputs import BuildInputsError, build_vars
from os_tooling.core.manifest import parse_manifest
from os_tooling.core.providers import PROVIDERS
from os_tooling.core.tooling_source import ToolingLookupError
from os_tooling.errors import UsageError
from os_tooling.report import build as report
from os_tooling.report.reporter import Outcome, failed

HELP = ("the build inputs of one provider from the tooling manifest (working tree, or the "
        "release at tag v<VERSION>): Packer var-file, environment lines or step outputs")
FORMATS = ("text", "json", "markdown", "packer", "env", "github")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", required=True, choices=list(PROVIDERS),
                        help="the provider whose image is built")
    parser.add_argument("--version", metavar="VERSION",
                        help="an os-tooling release: the manifest at its tag (default: the "
                             "working-tree manifest)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--tooling-repo", metavar="PATH",
                        help="with --version: local capi-image-builder checkout (default: the git "
                             "repository around the current directory)")
    add_image_builder_repo(source, "with --version: read the tag's manifest from this GitHub "
                                   "repository")
    parser.add_argument("--from-asset", action="store_true",
                        help="with --image-builder-repo: read the release's os-tooling.json asset instead")
    parser.add_argument("--manifest", metavar="PATH",
                        help="the manifest: a file (working tree; default os-tooling.yaml at the "
                             "repository root), or its path inside the tooling repository")
    add_tag_prefix(parser)
    add_github_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text, json, markdown, packer (a Packer var-file), env (shell-safe "
                             "NAME=value lines) or github (step outputs to $GITHUB_OUTPUT)")


def execute(args: argparse.Namespace):
    try:
        manifest, version, tag, label = _load(args)
    except Missing as exc:
        return failed(EXIT_FINDING, exc)
    try:
        result = build_vars(manifest, args.provider, version)
    except BuildInputsError as exc:
        return failed(EXIT_FINDING, f"{label}: {exc}")
    data = {**result.to_json(), "env": dict(result.env()), "tag": tag, "source": label}
    return Outcome(EXIT_OK, report.BuiltVars(data, result), report.VARS)


def present(args: argparse.Namespace, outcome) -> None:
    """The report formats as every command; packer, env and github from the same result."""

    if args.format in ("text", "json", "markdown") or outcome.result is None:
        print_outcome(args, outcome)
        return
    result = outcome.result.inputs
    if args.format == "packer":
        emit_json(result.packer())
    elif args.format == "env":
        emit(env_lines(result.env()))
    else:  # github

        pairs = result.env()
        write_outputs(dict(pairs))
        emit(env_lines(pairs))
    if not result.tools:
        emit_error("build-vars", f"note: no tool of the manifest is for {args.provider}")


def env_lines(pairs: list[tuple[str, str]]) -> str:
    """``NAME=value`` lines a shell can ``source`` or ``eval``: every value quoted as needed."""

    return "\n".join(f"{name}={shlex.quote(value)}" for name, value in pairs)


def _load(args: argparse.Namespace):
    """``(manifest, os-tooling version or None, tag or None, where it came from)``."""

    if args.version is None:
        for option, value in (("--tooling-repo", args.tooling_repo),
                              ("--image-builder-repo", args.github_repo),
                              ("--from-asset", args.from_asset)):
            if value:
                raise UsageError(f"{option} needs --version (without it the working-tree "
                                 "manifest is read)")

        file = args.manifest or default_manifest()
        return _working_tree(file), None, None, file
    return _at_tag(args)


def _working_tree(file: str):
    report = parse_manifest(read_text(file, "manifest"), file)
    if report.manifest is None:
        first = report.errors[0]
        more = f" (and {len(report.errors) - 1} more; see os-tooling validate)" \
            if len(report.errors) > 1 else ""
        raise Missing(f"the manifest is invalid: {first.where()}: {first.message}{more}")
    return report.manifest


def _at_tag(args: argparse.Namespace):
    version = parse_version(args.version, args.tag_prefix)
    source = open_source(args)
    try:
        if not source.has_version(version):
            raise UsageError(f"os-tooling {version.core} has no tag {args.tag_prefix}"
                             f"{version.core} in {source.location}{newest_hint(source)}")
    except ToolingLookupError as exc:
        raise Missing(str(exc)) from None
    manifest = load(source, version)
    return manifest, version.core, source.tag_of(version), source.location
