from __future__ import annotations

import argparse

from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, emit, emit_json

HELP = ("gate Release CRs: their node images must exist, os-tooling must be a release, and a "
        "patch or minor release must not raise a major (exit 1 on findings)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="RELEASE_FILE",
                        help="Release CR files (<dir>/v<version>/release.yaml)")
    parser.add_argument("--catalog", metavar="FILE",
                        help="catalog of image names (JSON/YAML provider -> names) for every provider")
    parser.add_argument("--config", metavar="FILE",
                        help="gate config: image store per provider, imageBuilderRepo")
    parser.add_argument("--repo-root", metavar="DIR",
                        help="releases repository root, where previous releases are found "
                             "(default: git top level, else the current directory)")
    parser.add_argument("--base-ref", metavar="REF",
                        help="also gate the release files changed between REF and HEAD")
    parser.add_argument("--tooling-repo", metavar="PATH",
                        help="local checkout of the image builder repository: os-tooling versions "
                             "are its tags, their binaries the manifest at each tag")
    parser.add_argument("--tooling-manifest", metavar="PATH",
                        help="manifest path inside the tooling repository (default: os-tooling.yaml)")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from os_tooling.adapters import git
    from os_tooling.errors import UsageError
    from os_tooling.gate.changed_files import changed_release_files
    from os_tooling.gate.config import default_config, load_config
    from os_tooling.gate.runner import GateInput, GateOptions, run_gate
    from os_tooling.report import gate as report

    if not args.files and not args.base_ref:
        raise UsageError("nothing to gate: give release files, or --base-ref REF for the release "
                         "files changed since REF")
    if args.repo_root is not None:
        repo_root = Path(args.repo_root)
        if not repo_root.is_dir():
            raise UsageError(f"--repo-root {args.repo_root!r} is not a directory")
    else:
        repo_root = git.toplevel(".") or Path(".")

    config = load_config(args.config) if args.config else default_config()
    if args.catalog:
        config = config.with_catalog(args.catalog)

    options = GateOptions(config, repo_root=repo_root)
    manifest_path = args.tooling_manifest or config.tooling_manifest
    if args.tooling_repo:
        from os_tooling.gate.tooling import LocalTooling

        options.tooling = LocalTooling(args.tooling_repo, manifest_path, config.tooling_tag_prefix)
    elif config.image_builder_repo:
        options.tooling_missing_reason = (
            f"imageBuilderRepo {config.image_builder_repo} is configured, but looking up its tags "
            "on GitHub is not available yet: give --tooling-repo PATH (a local checkout)")

    inputs = [GateInput(f, Path(f)) for f in args.files]
    if args.base_ref:
        if git.toplevel(repo_root) is None:
            raise UsageError(f"--base-ref needs a git repository, and {str(repo_root)!r} is not in one")
        given = {Path(f).resolve() for f in args.files}
        changed = changed_release_files(repo_root, args.base_ref)
        inputs += [GateInput(rel, repo_root / rel) for rel in changed
                   if (repo_root / rel).resolve() not in given]
        if not changed:
            options.notes.append(f"no release file changed since {args.base_ref}")

    result = run_gate(inputs, options)
    if args.format == "json":
        emit_json(report.to_json(result))
    elif args.format == "markdown":
        emit(report.markdown(result))
    else:
        emit(report.text(result))
    return EXIT_OK if result.ok else EXIT_FINDING
