"""The local git repository, through the git command line (no library needed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from os_tooling.adapters.files import MAX_INPUT_BYTES, decode_text
from os_tooling.core.versions import Version, check_tag_prefix, version_from_tag
from os_tooling.errors import UsageError

GIT_TIMEOUT = 120


class GitError(UsageError):
    pass


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env["LC_ALL"] = "C"
    return env


def run(args: list[str], cwd: str | Path, *, check: bool = True, input_text: str | None = None) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT,
                              env=_env(), input=input_text.encode() if input_text is not None else None)
    except FileNotFoundError:
        raise GitError("git is not installed (needed to read the repository)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} timed out after {GIT_TIMEOUT}s") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else 'exit ' + str(proc.returncode)}")
    return proc.stdout.decode("utf-8", "replace")


def check_ref(ref: str) -> str:
    if not ref or ref.startswith("-") or any(c in ref for c in "\x00\n\r"):
        raise UsageError(f"invalid git ref {ref!r}")
    return ref


def toplevel(cwd: str | Path = ".") -> Path | None:
    try:
        proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True,
                              timeout=GIT_TIMEOUT, env=_env())
    except (FileNotFoundError, NotADirectoryError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode().strip())


def resolve_commit(repo: Path, ref: str) -> str:
    check_ref(ref)
    out = run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo, check=False).strip()
    if not out:
        raise GitError(f"unknown git ref {ref!r} in {repo}")
    return out


def show_file(repo: Path, ref: str, path: str) -> str | None:
    """Text of ``path`` (relative to the repo root) at ``ref``; None when absent there.

    Read as the bounded reader reads a file: a symlink (git stores its target as the blob)
    or a submodule is refused, and the size is checked before the blob is read."""

    commit = resolve_commit(repo, ref)
    entry = run(["ls-tree", "-z", "--full-tree", commit, "--", path], repo, check=False)
    record = entry.split("\0", 1)[0]
    if not record or "\t" not in record:
        return None
    mode, kind, sha = record.split("\t", 1)[0].split(" ")
    if mode == "120000":
        raise UsageError(f"refusing to read {path!r} at {ref}: it is a symlink")
    if kind != "blob":
        return None
    size = run(["cat-file", "-s", sha], repo, check=False).strip()
    if not size.isdigit():
        return None
    if int(size) > MAX_INPUT_BYTES:
        raise UsageError(f"file {ref}:{path} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    data = subprocess.run(["git", "cat-file", "blob", sha], cwd=repo, capture_output=True,
                          timeout=GIT_TIMEOUT, env=_env()).stdout
    return decode_text(data, f"{ref}:{path}", "file")


def version_tags(repo: Path, prefix: str = "v") -> list[tuple[str, Version]]:
    """Tags ``<prefix>X.Y.Z`` that parse as versions (others are ignored)."""

    try:
        check_tag_prefix(prefix)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = run(["tag", "--list", "--", f"{prefix}*"], repo)
    tags = []
    for name in out.splitlines():
        version = version_from_tag(name.strip(), prefix)
        if version is not None:
            tags.append((name.strip(), version))
    return tags


def highest_version_tag(repo: Path, prefix: str = "v", *, include_prereleases: bool = False
                        ) -> tuple[str, Version] | None:
    tags = [t for t in version_tags(repo, prefix) if include_prereleases or t[1].prerelease is None]
    return max(tags, key=lambda t: t[1]) if tags else None


def commit_messages(repo: Path, rev_range: str) -> list[tuple[str, str]]:
    """``(sha, full message)`` for each commit in ``rev_range`` (e.g. ``v1.2.0..HEAD``)."""
    out = run(["log", "--format=%H%x00%B%x1e", rev_range, "--"], repo)
    pairs = []
    for record in out.split("\x1e"):
        record = record.strip("\n")
        if "\x00" in record:
            sha, message = record.split("\x00", 1)
            pairs.append((sha.strip(), message))
    return pairs


def changed_files(repo: Path, base: str, head: str = "HEAD") -> list[str]:
    """Paths (relative to the root) that ``head`` changes since its common ancestor with
    ``base``, like a pull request's diff. Renames count as both paths (a file moved out of an
    image input directory changes the image too)."""
    base_commit, head_commit = resolve_commit(repo, base), resolve_commit(repo, head)
    out = run(["diff", "--name-only", "--no-renames", "-z",
               f"{base_commit}...{head_commit}", "--"], repo)
    return sorted({p for p in out.split("\0") if p})


def tracked_files(repo: Path) -> list[str]:
    """Every file in the index, relative to the root."""
    out = run(["ls-files", "-z", "--full-name"], repo)
    return [p for p in out.split("\0") if p]


def relative_to_root(repo: Path, path: str | Path) -> str:
    p = Path(path).resolve()
    try:
        return p.relative_to(repo.resolve()).as_posix()
    except ValueError:
        raise UsageError(f"{str(path)!r} is not inside the git repository {str(repo)!r}") from None
