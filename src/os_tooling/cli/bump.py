from __future__ import annotations

import argparse
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters.files import read_text, replace_text, repository_root
from os_tooling.adapters.tooling_sources import NO_TOOLING_SOURCE, tooling_for
from os_tooling.backends import make_store
from os_tooling.backends.config import resolve_config
from os_tooling.backends.trusted_config import resolve_trusted_config
from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, add_store_arguments, report_outcome
from os_tooling.core.availability import rank
from os_tooling.core.cr_edit import EditError, set_component_version
from os_tooling.core.naming import ImageRef
from os_tooling.core.policy import PlanOptions, plan
from os_tooling.core.release_cr import GATEABLE, OS_TOOLING, parse_release
from os_tooling.core.statuses import ImageStatus
from os_tooling.core.versions import Version, VersionError
from os_tooling.errors import UsageError
from os_tooling.report import bump as report
from os_tooling.report.release import diff_lines
from os_tooling.report.reporter import Outcome, Reporter
from os_tooling.usecases.discover import discover
from os_tooling.usecases.gate_requests import RequestsLoader, binaries_of, binary_refusal
from os_tooling.usecases.release_pr import BumpRequest, bump_added_releases

HELP = ("set the os-tooling component of a Release CR (only the version string changes), "
        "refusing a version whose node image does not exist or whose binaries break a binary "
        "request of requests.yaml unless --force; with --base-ref, of every release file a "
        "release PR adds (never a published one)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="RELEASE_FILE", nargs="?",
                        help="<dir>/v<version>/release.yaml (or --base-ref)")
    parser.add_argument("--base-ref", metavar="REF",
                        help="bump the release files added between REF and HEAD (a release PR); "
                             "files that exist at REF are published and never touched")
    parser.add_argument("--repo-root", metavar="DIR",
                        help="with --base-ref: the releases repository (default: git top level)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--to-tooling", metavar="VERSION", help="the os-tooling version to set")
    target.add_argument("--latest", action="store_true",
                        help="the newest os-tooling version whose image exists for this provider "
                             "(with --base-ref: that the release may take, never lower)")
    parser.add_argument("--force", action="store_true",
                        help="set the version even if its image is missing or it breaks a rule "
                             "(os-tooling major, binary requests)")
    parser.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    add_store_arguments(parser)
    parser.add_argument("--tooling-repo", metavar="PATH",
                        help="local image builder checkout: the binaries of each version (binary "
                             "requests; default: imageBuilderRepo of the config on GitHub) and "
                             "the binary changes between the versions")
    add_format(parser)


def execute(args: argparse.Namespace):
    if args.base_ref is not None and args.file is not None:
        raise UsageError("give either RELEASE_FILE or --base-ref, not both")
    if args.base_ref is not None:
        return _run_release_pr(args)
    if args.file is None:
        raise UsageError("give a RELEASE_FILE, or --base-ref REF for the release files a PR adds")
    if args.repo_root is not None:
        raise UsageError("--repo-root goes with --base-ref")
    return _run_file(args)


def _run_release_pr(args: argparse.Namespace):
    if args.repo_root is not None:
        repo_root = Path(args.repo_root)
        if not repo_root.is_dir():
            raise UsageError(f"--repo-root {args.repo_root!r} is not a directory")
    else:
        repo_root = git.toplevel(".") or Path(".")
    if git.toplevel(repo_root) is None:
        raise UsageError(f"--base-ref needs a git repository, and {str(repo_root)!r} is not in one")
    target = None
    if args.to_tooling is not None:
        try:
            target = Version.parse(args.to_tooling.strip())
        except VersionError as exc:
            raise UsageError(f"--to-tooling: {exc}") from None
    # the image stores of a release PR come from its base revision, never from the PR itself
    config, notes = resolve_trusted_config(args.config, args.catalog, repo_root, args.base_ref)

    tooling = tooling_for(args.tooling_repo, config)
    request = BumpRequest(repo_root, args.base_ref, config, target, args.force, args.dry_run,
                          tooling)
    changes = ((lambda old, new: _binary_changes(tooling, old, new))
               if args.tooling_repo else None)
    result = bump_added_releases(request, changes)
    result.notes += notes
    return report_outcome(EXIT_OK if result.ok else EXIT_FINDING, report, result)


def _run_file(args: argparse.Namespace):
    text = read_text(args.file, "release file")
    release = parse_release(text, args.file)
    if release.kind != GATEABLE or release.image is None:
        why = release.reason or "; ".join(f.message for f in release.findings) or "not a gateable release"
        return _fail(args, f"{args.file}: cannot bump os-tooling: {why}")
    config = resolve_config(args.config, args.catalog)
    provider = release.provider
    assert provider is not None
    current = release.components[OS_TOOLING].version.strip()
    image = release.image

    tooling = tooling_for(args.tooling_repo, config)  # one source: requests and binary changes
    refuse = _requests_rule(release, args.file, tooling)
    if args.latest:
        rows = [row for row in rank(discover(image.flatcar, image.kubernetes, [provider],
                                             config).versions) if row.available]
        if not rows:
            return _fail(args, f"no os-tooling version has an image for {provider} with flatcar "
                               f"{image.flatcar} and kubernetes {image.kubernetes}")
        refusals = []
        for row in rows:
            why = refuse(row.version)
            if why is None:
                break
            refusals.append(f"{row.version}: {why}")
        else:
            return _fail(args, "no os-tooling version with an image for this release may be taken: "
                               + "; ".join(refusals[:3]))
        target = row.version
    else:
        try:
            target = Version.parse(args.to_tooling.strip())
        except VersionError as exc:
            raise UsageError(f"--to-tooling: {exc}") from None

    ref = ImageRef(image.flatcar, image.kubernetes, target.core, config.image_suffix(provider))
    answer = make_store(config.store_config(provider)).lookup([ref]).get(ref.name)
    exists = answer is not None and answer.status == ImageStatus.PRESENT
    if not exists and not args.force:
        detail = f" ({answer.detail})" if answer and answer.detail else ""
        return _fail(args, f"refusing to set os-tooling {target.core}: image {ref.name} is "
                           f"{answer.status if answer else 'unknown'} for {provider}{detail}; "
                           "use --force to set it anyway")
    why = refuse(target) if args.to_tooling is not None and not args.force else None
    if why:
        return _fail(args, f"refusing to set os-tooling {target.core}: {why}; use --force to set "
                           "it anyway")
    try:
        new_text, old = set_component_version(text, OS_TOOLING, target.core, args.file)
    except EditError as exc:
        return _fail(args, str(exc))
    changed = new_text != text
    if changed and not args.dry_run:
        replace_text(args.file, new_text, "release file")

    binaries = []  # the binary changes, when a tooling checkout can tell
    if args.tooling_repo:
        binaries = _binary_changes(tooling, current, target.core)
    result = {"file": args.file, "provider": provider, "from": old, "to": target.core,
              "image": ref.name, "image_exists": exists, "changed": changed,
              "written": changed and not args.dry_run, "binary_changes": binaries}

    return Outcome(EXIT_OK, result, report.FILE_REPORTER)


def _requests_rule(release, file: str, tooling):
    """Why the release at ``file`` may not take a version: a binary request of its
    ``requests.yaml`` (next to the release directories) that the version's binaries break."""

    path = Path(file).resolve()
    top = repository_root(path.parent)  # the git repository; else the folder of the layout
    if not (top / ".git").exists() and release.path is not None:
        top = path.parents[3 if release.path.archived else 2]
    sources = RequestsLoader(top).for_release(path, release)
    return lambda version: binary_refusal(release, sources,
                                          binaries_of(tooling, version, NO_TOOLING_SOURCE))


def _binary_changes(source, old: str, new: str) -> list[str]:
    """diff lines for the release notes: the binaries that changed between two versions."""

    before, after = Version.try_parse(old), Version.parse(new)
    if before is None:
        return [f"binary changes unknown: {old!r} is not a version"]
    a, b = source.manifest(before), source.manifest(after)
    if a.manifest is None or b.manifest is None:
        return [f"binary changes unknown: {a.reason or b.reason}"]
    changes = plan(a.manifest, b.manifest, PlanOptions(allow_downgrade=True)).changes
    return diff_lines(before, after, changes)


def _fail(args: argparse.Namespace, message: str):
    """A refused bump of one file: the JSON report says why; text and Markdown print nothing
    but the line on stderr."""

    return Outcome(EXIT_FINDING, {"file": args.file, "changed": False, "error": message},
                   Reporter(json=dict), [message])
