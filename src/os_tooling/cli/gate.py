from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.base_files import (
    has_commit,
    published_from_git,
    published_from_pull,
    relative_in_repo,
    top_prefix,
)
from os_tooling.adapters.changed_files import pull_base_sha, pull_release_files, read_pull_file, release_changes
from os_tooling.adapters.tooling_sources import tooling_for
from os_tooling.backends.trusted_config import in_repository, resolve_trusted_config
from os_tooling.cli.common import EXIT_FINDING, EXIT_OK, add_format, add_store_arguments, report_outcome
from os_tooling.cli.github_options import add_github_arguments
from os_tooling.errors import UsageError
from os_tooling.report import gate as report
from os_tooling.usecases.gate import GateInput, GateOptions, run_gate
from os_tooling.usecases.gate_requests import GitHubRevision, GitRevision, RequestsLoader

HELP = ("gate Release CRs: their node images must exist, os-tooling must be a release, a "
        "patch or minor release must not raise a major, an active release meets the requests "
        "of its directory's requests.yaml (components, apps and baked binaries), and a "
        "published release (one that exists at --base-ref or the PR's base) keeps its node "
        "image (exit 1 on findings)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="RELEASE_FILE",
                        help="Release CR files (<dir>/v<version>/release.yaml)")
    add_store_arguments(parser)
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
    parser.add_argument("--image-builder-repo", metavar="OWNER/NAME",
                        help="read os-tooling tags and manifests from this GitHub repository "
                             "(default: imageBuilderRepo of the config; --tooling-repo wins)")
    parser.add_argument("--pr", type=int, metavar="NUMBER",
                        help="also gate the release files of this pull request (GitHub API)")
    parser.add_argument("--pr-repo", metavar="OWNER/NAME",
                        help="repository of --pr (default: $GITHUB_REPOSITORY)")

    add_github_arguments(parser)
    parser.add_argument("--no-tooling-checks", action="store_true",
                        help="accept that the os-tooling release, binary-major and binary "
                             "request checks cannot run (no --tooling-repo and no "
                             "imageBuilderRepo): they are reported as not-run instead of failing "
                             "the release")
    add_format(parser)


def execute(args: argparse.Namespace):
    if not args.files and not args.base_ref and args.pr is None:
        raise UsageError("nothing to gate: give release files, --base-ref REF for the release "
                         "files changed since REF, or --pr NUMBER")
    if args.repo_root is not None:
        repo_root = Path(args.repo_root)
        if not repo_root.is_dir():
            raise UsageError(f"--repo-root {args.repo_root!r} is not a directory")
    else:
        repo_root = git.toplevel(".") or Path(".")

    # a pull request is gated under the config of its base revision, never its own
    pull = _pull_repo(args) if args.pr is not None else None  # (repository, OWNER/NAME)
    base_for_config = args.base_ref
    if pull is not None and not args.base_ref and in_repository([args.config, args.catalog],
                                                                repo_root):
        base_for_config = _pull_base(args, repo_root, *pull)
    config, config_notes = resolve_trusted_config(args.config, args.catalog, repo_root,
                                                  base_for_config)

    options = GateOptions(config, repo_root=repo_root, allow_unchecked=args.no_tooling_checks)

    options.tooling = tooling_for(args.tooling_repo, config,
                                  image_builder_repo=args.image_builder_repo,
                                  manifest_path=args.tooling_manifest,
                                  settings=lambda: _github_settings(args))

    inputs: list[GateInput] = []
    given: set[Path] = set()
    for f in args.files:  # each file once, however it is spelled
        if Path(f).resolve() not in given:
            given.add(Path(f).resolve())
            inputs.append(GateInput(f, Path(f)))
    if args.base_ref:
        if git.toplevel(repo_root) is None:
            raise UsageError(f"--base-ref needs a git repository, and {str(repo_root)!r} is not in one")
        changes = release_changes(repo_root, args.base_ref)
        inputs += [GateInput(rel, repo_root / rel) for rel in changes.files
                   if (repo_root / rel).resolve() not in given]
        options.moved_to_archived += changes.archived
        if not changes.files and not changes.archived:
            options.notes.append(f"no release file changed since {args.base_ref}")
        base_commit = git.resolve_commit(repo_root, args.base_ref)
        inputs = _with_published(inputs, repo_root, base_commit)
        options.requests = _requests_loader(repo_root, base_commit, args.base_ref)

    if pull is not None:
        inputs += _pull_inputs(args, repo_root, {i.path.resolve() for i in inputs}, options, *pull)

    options.notes.extend(config_notes)
    result = run_gate(inputs, options)
    return report_outcome(EXIT_OK if result.ok else EXIT_FINDING, report, result)


def _github_settings(args: argparse.Namespace):
    return ghc.ClientSettings.from_env(token=args.token, base_url=args.github_api_url)


def _pull_repo(args: argparse.Namespace):
    """``(repository, OWNER/NAME)`` of ``--pr``."""
    full_name = args.pr_repo or os.environ.get("GITHUB_REPOSITORY", "")
    if not full_name:
        raise UsageError("--pr needs --pr-repo OWNER/NAME (or $GITHUB_REPOSITORY)")
    if args.pr <= 0:
        raise UsageError(f"--pr {args.pr}: a pull request number is positive")
    ghc.check_repo_name(full_name)
    return ghc.open_repo(ghc.build_client(_github_settings(args)), full_name), full_name


def _pull_base(args: argparse.Namespace, repo_root: Path, repo, full_name: str) -> str:
    """The base commit of ``--pr``, whose gate config and catalogs are the ones that count;
    it must be in the local clone (the pull request's own may not be trusted)."""
    base = pull_base_sha(repo, full_name, args.pr)
    if not has_commit(repo_root, base):
        raise UsageError(f"the gate config of pull request #{args.pr} must be read as it is at "
                         f"its base commit {base[:12]}, which this clone does not have: fetch it "
                         f"(git fetch origin {base}) or give --base-ref")
    return base


def _pull_inputs(args: argparse.Namespace, repo_root, already: set, options, repo,
                 full_name: str) -> list:
    """The release files of ``--pr``: names from the GitHub API, text from the local checkout
    when it holds the PR's version of the file, else from the API at the PR's head commit."""
    files, archived = pull_release_files(repo, full_name, args.pr)
    options.moved_to_archived += [a for a in archived if a not in options.moved_to_archived]
    if not files and not archived:
        options.notes.append(f"pull request #{args.pr} of {full_name} changes no release file")
    elif files and options.requests is None:  # --base-ref, when given, says where the base is
        options.requests = _pull_requests_loader(repo, full_name, args.pr, files[0], repo_root)

    inputs = []
    local_base: dict[str, bool] = {}
    for file in files:
        local = repo_root / file.path
        if local.resolve() in already:
            continue
        if file.base_sha not in local_base:
            local_base[file.base_sha] = has_commit(repo_root, file.base_sha)
        base = (published_from_pull(repo, full_name, file.base_sha, file.path, repo_root,
                                    local_base[file.base_sha]) if file.base_sha else None)
        inputs.append(GateInput(file.path, local,
                                read_pull_file(repo, full_name, file, local, repo_root), base))
    return inputs


def _with_published(inputs: list, repo_root, base_commit: str) -> list:
    """Each input inside the repository that exists at the base commit is published."""

    prefix = top_prefix(repo_root)
    out = []
    for item in inputs:
        relative = relative_in_repo(repo_root, item.path)
        found = published_from_git(repo_root, base_commit, relative, prefix) if relative else None
        out.append(replace(item, published=found) if found is not None else item)
    return out


def _requests_loader(repo_root, base_commit: str, base_ref: str):
    """requests.yaml of the working tree (the change) and of the base revision: both apply."""

    return RequestsLoader(repo_root, base=GitRevision(repo_root, base_commit, base_ref))


def _pull_requests_loader(repo, full_name: str, number: int, file, repo_root):
    """requests.yaml of the pull request's head and of its base, each from the local repository
    when it has that commit, else through the API: both apply."""

    def revision(sha: str, label: str):
        if not sha:
            return None
        if has_commit(repo_root, sha):
            return GitRevision(repo_root, sha, label)
        return GitHubRevision(repo, full_name, sha, label)

    return RequestsLoader(repo_root, base=revision(file.base_sha, f"the base of #{number}"),
                          head=revision(file.head_sha, f"#{number}"))
