from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.github_releases import GitHubReleases
from os_tooling.adapters.local_git_releases import LocalGit
from os_tooling.cli.common import EXIT_OK, add_format, add_level_arguments, emit, print_outcome
from os_tooling.cli.github_options import add_github_arguments
from os_tooling.core.escape import terminal
from os_tooling.core.levels import Level
from os_tooling.core.release_notes import payload_bytes
from os_tooling.core.versions import Version, VersionError
from os_tooling.errors import UsageError
from os_tooling.report import release as report
from os_tooling.report.reporter import Outcome, Reporter, failed
from os_tooling.usecases import release_branch as branch
from os_tooling.usecases.release import ReleaseFailed, ReleaseOptions, release

HELP = ("on merge: tag the next os-tooling version at HEAD and publish its release notes "
        "(GitHub, or --local)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--local", action="store_true",
                        help="release in the local git repository only: an annotated tag whose "
                             "message is the notes; notes to --notes-file or stdout")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would be released; tag nothing, publish nothing")
    parser.add_argument("--notes-file", metavar="FILE",
                        help="also write the release notes here (outside the working tree)")
    parser.add_argument("--payload-file", metavar="FILE",
                        help="also write the os-tooling.json payload here (outside the working tree)")
    parser.add_argument("--initial-version", default="0.1.0", metavar="X.Y.Z",
                        help="the first version when no version tag exists yet (default: 0.1.0)")
    parser.add_argument("--manifest", metavar="PATH",
                        help="manifest path in the repository (default: os-tooling.yaml)")
    parser.add_argument("--repo-root", metavar="DIR",
                        help="the git repository to release (default: the one around the "
                             "current directory)")
    parser.add_argument("--release-branch", metavar="NAME",
                        help="the branch releases are made from; HEAD must be on it (default: "
                             "the repository's default branch from the GitHub event, else "
                             "origin/HEAD, else main or master when only one exists)")
    parser.add_argument("--include-prereleases", action="store_true",
                        help="a prerelease tag (v1.2.0-rc.1) can be the current version")
    parser.add_argument("--no-pr-labels", action="store_true",
                        help="do not look up the labels of the merged pull requests on GitHub")
    parser.add_argument("--github-repo", metavar="OWNER/NAME",
                        help="the GitHub repository (default: $GITHUB_REPOSITORY)")
    add_level_arguments(parser)
    add_github_arguments(parser)
    add_format(parser)


def execute(args: argparse.Namespace):
    root = git.toplevel(args.repo_root or ".")
    if root is None:
        raise UsageError(f"{args.repo_root or 'the current directory'!r} is not in a git repository")
    if args.tag_prefix:
        git.check_ref(args.tag_prefix)
    try:
        initial = Version.parse(args.initial_version.removeprefix(args.tag_prefix)
                                if args.tag_prefix else args.initial_version)
    except VersionError as exc:
        raise UsageError(f"--initial-version: {exc}") from None
    outputs = {name: _outside(root, value, name) for name, value in
               (("--notes-file", args.notes_file), ("--payload-file", args.payload_file)) if value}
    workspace = LocalGit(root)
    if args.local:
        backend = workspace
        repository_url = None
    else:
        backend, repository_url = _github_backend(args)
    options = ReleaseOptions(
        manifest_path=_manifest_path(root, args.manifest),
        tag_prefix=args.tag_prefix, initial_version=Version(initial.major, initial.minor,
                                                            initial.patch, initial.prerelease),
        include_prereleases=args.include_prereleases, labels=tuple(args.label),
        label_prefix=args.label_prefix, pr_labels=not args.no_pr_labels,
        declared=tuple(Level.parse(x) for x in args.declared_level),
        allow_downgrade=args.allow_downgrade, major_on_zero=args.major_on_zero,
        dry_run=args.dry_run, repository_url=repository_url,
        branch=branch.resolve(root, args.release_branch, os.environ))
    try:
        result = release(workspace, backend, options)
    except ReleaseFailed as exc:
        return failed(exc.exit_code, f"error: {exc}")

    if result.release_notes and "--notes-file" in outputs:
        _write(outputs["--notes-file"], result.release_notes.encode("utf-8"))
    if result.payload is not None and "--payload-file" in outputs:
        _write(outputs["--payload-file"], payload_bytes(result.payload))
    notes_file = str(outputs["--notes-file"]) if "--notes-file" in outputs else None
    return Outcome(EXIT_OK, result, _reporter(notes_file))


def _reporter(notes_file: str | None):
    def to_json(result) -> dict:
        return {**result.to_dict(), "notes_file": notes_file}

    def text(result) -> str:
        dry_run_notes = f"\n\n{result.release_notes}" if result.dry_run and result.release_notes else ""
        return report.release_text(result) + dry_run_notes

    return Reporter(text=text, markdown=report.release_markdown, json=to_json)


def present(args: argparse.Namespace, outcome) -> None:
    """``--local`` without ``--notes-file``: stdout carries the notes (for a pipe), the summary
    goes to stderr. Otherwise as every command."""

    result = outcome.result
    if (args.format == "text" and args.local and not args.notes_file and result is not None
            and result.release_notes):
        print(terminal(report.release_text(result)), file=sys.stderr)
        emit(result.release_notes)
        return
    print_outcome(args, outcome)


def _github_backend(args: argparse.Namespace):
    full_name = args.github_repo or os.environ.get("GITHUB_REPOSITORY")
    if not full_name:
        raise UsageError("which GitHub repository? pass --github-repo OWNER/NAME (or set "
                         "GITHUB_REPOSITORY), or --local to release in the local git repository")
    ghc.check_repo_name(full_name)
    settings = ghc.ClientSettings.from_env(token=args.token, base_url=args.github_api_url)
    if not settings.token and not args.dry_run:
        raise UsageError("no GitHub token: set GITHUB_TOKEN (or INPUT_TOKEN, or pass --token)")
    client = ghc.build_client(settings)
    server = os.environ.get("GITHUB_SERVER_URL") or _server_from_api(settings.base_url)
    return (GitHubReleases(ghc.open_repo(client, full_name), settings, full_name),
            f"{server.rstrip('/')}/{full_name}")


def _server_from_api(api_url: str) -> str:
    if api_url.rstrip("/") == "https://api.github.com":
        return "https://github.com"
    return api_url.rstrip("/").removesuffix("/api/v3")


def _manifest_path(root, manifest: str | None) -> str:
    if not manifest:
        return "os-tooling.yaml"
    path = Path(manifest)
    if path.is_absolute() or path.exists():
        return git.relative_to_root(root, path)
    return path.as_posix()


def _outside(root, value: str, option: str):
    """An output path, refused when inside the working tree (it would dirty what we tag)."""

    path = Path(value).expanduser().resolve()
    if path == root.resolve() or root.resolve() in path.parents:
        raise UsageError(f"{option} {value!r} is inside the working tree {str(root)!r}; write it "
                         "elsewhere (e.g. $RUNNER_TEMP)")
    if path.is_dir():
        raise UsageError(f"{option} {value!r} is a directory")
    return path


def _write(path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
