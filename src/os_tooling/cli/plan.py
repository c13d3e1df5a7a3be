from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters.files import read_text
from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, add_level_arguments, report_outcome
from os_tooling.cli.manifest_path import default_manifest
from os_tooling.core.levels import Level
from os_tooling.core.policy import DeclaredLevel, PlanOptions, levels_from_commits, levels_from_labels
from os_tooling.core.versions import Version, VersionError
from os_tooling.errors import UsageError
from os_tooling.report import plan as report
from os_tooling.usecases.plan import ChangedFiles, plan_texts

HELP = "say which semver level a manifest change is and which os-tooling version it releases"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    base = parser.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", metavar="FILE", help="the manifest before the change")
    base.add_argument("--base-ref", metavar="REF",
                      help="read the manifest before the change at this git ref of the repository; "
                           "Release-Level trailers of the commits REF..HEAD count as declared levels, "
                           "and files changed since REF under policy.imageInputs count")
    parser.add_argument("--head", metavar="FILE",
                        help="the manifest after the change (default: --manifest)")
    parser.add_argument("--manifest", metavar="FILE",
                        help="manifest path (default: os-tooling.yaml at the repository root)")
    parser.add_argument("--current-version", metavar="X.Y.Z",
                        help="current os-tooling version (default: highest vX.Y.Z tag of the repository)")
    add_level_arguments(parser)
    add_format(parser)


def execute(args: argparse.Namespace):
    head_path = args.head or args.manifest or default_manifest()
    head_text = read_text(head_path, "manifest")
    repo = git.toplevel(Path(head_path).resolve().parent)
    declared = [DeclaredLevel(Level.parse(x), "--declared-level") for x in args.declared_level]
    label_levels, problems = levels_from_labels(args.label, args.label_prefix)
    declared += label_levels
    notes: list[str] = []
    changed: ChangedFiles | None = None
    relative: str | None = None

    if args.base is not None:
        base_text: str | None = read_text(args.base, "manifest")
        base_label = args.base
    else:
        if repo is None:
            raise UsageError(f"--base-ref needs a git repository, and {head_path!r} is not in one")
        relative = git.relative_to_root(repo, head_path)
        base_text = git.show_file(repo, args.base_ref, relative)
        base_label = f"{args.base_ref}:{relative}"
        if base_text is None:
            notes.append(f"{relative} does not exist at {args.base_ref}: every tool counts as added")
        commit_levels, commit_problems = levels_from_commits(
            git.commit_messages(repo, f"{git.resolve_commit(repo, args.base_ref)}..HEAD"))
        declared += commit_levels
        problems += commit_problems
        changed = partial(_changed_since, repo, args.base_ref)

    if args.current_version:
        try:
            current: Version | None = Version.parse(args.current_version.removeprefix(args.tag_prefix)
                                                    if args.tag_prefix else args.current_version)
        except VersionError as exc:
            raise UsageError(f"--current-version: {exc}") from None
    else:
        found = git.highest_version_tag(repo, args.tag_prefix) if repo else None
        current = found[1] if found else None
        if current is None:
            notes.append("no current version (no vX.Y.Z tag and no --current-version): "
                         "current_version and next_version are null")

    options = PlanOptions(current, tuple(declared), args.allow_downgrade, args.major_on_zero,
                          manifest_path=relative)
    outcome = plan_texts(base_text, base_label, head_text, head_path, options, changed)
    if changed is None and _has_image_inputs(outcome):
        notes.append("policy.imageInputs is not applied: --base FILE gives no list of changed "
                     "files (--base-ref REF does)")
    if outcome.plan is not None:
        outcome.plan.errors.extend(problems)
        outcome.plan.notes[:0] = notes
    return report_outcome(EXIT_OK if outcome.ok else EXIT_FINDING, report, outcome)


def _changed_since(repo, base_ref: str) -> tuple[list[str], bool]:
    """The files the change brings since ``base_ref`` (like the PR's diff); asked only when
    a manifest has policy.imageInputs."""

    return git.changed_files(repo, base_ref), True


def _has_image_inputs(outcome) -> bool:
    return any(m is not None and m.policy.image_inputs is not None
               for m in (outcome.base, outcome.head))
