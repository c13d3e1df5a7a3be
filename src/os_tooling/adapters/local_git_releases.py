"""The local git repository as a release back end (``release --local``) and as the history
source for every release (HEAD, manifests at tags, commit messages).

A "release" here is the annotated tag itself: its message is the release notes, kept verbatim
(``git tag --cleanup=verbatim``: with the default cleanup, the ``#`` headings of the notes
would be taken for comments and vanish). Nothing is written into the working tree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from os_tooling.adapters import git
from os_tooling.core.release_backend import BackendError, ReleaseInfo, TagExists, TagRef

FALLBACK_NAME = "os-tooling"
FALLBACK_EMAIL = "os-tooling@users.noreply.github.com"


class LocalGit:
    name = "local"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.location = str(self.root)

    # -- history ---------------------------------------------------------------------------------
    def head(self) -> str:
        return git.resolve_commit(self.root, "HEAD")

    def has_object(self, sha: str) -> bool:
        if not sha or not all(c in "0123456789abcdef" for c in sha):
            return False
        return self._ok(["cat-file", "-e", sha])

    def _ok(self, args: list[str]) -> bool:
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True,
                              timeout=git.GIT_TIMEOUT).returncode == 0

    def peel(self, sha: str) -> str:
        return git.resolve_commit(self.root, sha)

    def file_at(self, commit: str, path: str) -> str | None:
        return git.show_file(self.root, commit, path)

    def commits_between(self, base: str, head: str) -> list[tuple[str, str]]:
        return git.commit_messages(self.root, f"{base}..{head}")

    def changed_files(self, base: str, head: str) -> tuple[list[str], bool]:
        return git.changed_files(self.root, base, head), True

    def relation(self, base: str, head: str) -> str:
        if base == head:
            return "identical"
        if self._ok(["merge-base", "--is-ancestor", base, head]):
            return "ahead"
        if self._ok(["merge-base", "--is-ancestor", head, base]):
            return "behind"
        return "diverged"

    def pr_labels(self, commits: set[str]) -> list[tuple[str, int]]:
        return []  # a local repository has no pull requests

    # -- tags ------------------------------------------------------------------------------------
    def version_tags(self, prefix: str) -> list[TagRef]:
        names = dict(git.version_tags(self.root, prefix))
        if not names:
            return []
        out = git.run(["for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00%(objecttype)"
                       "%00%(*objectname)", f"refs/tags/{prefix}*"], self.root)
        tags = []
        for line in out.splitlines():
            name, target, kind, peeled = (line.split("\x00") + ["", "", ""])[:4]
            if name in names:
                tags.append(TagRef(name, names[name], target, kind,
                                   peeled if kind == "tag" and peeled else target if kind == "commit"
                                   else None))
        return tags

    def find_tag(self, name: str) -> TagRef | None:
        out = git.run(["for-each-ref", "--format=%(objectname)%00%(objecttype)",
                       f"refs/tags/{name}"], self.root).strip()
        if not out:
            return None
        target, kind = out.split("\x00")
        return TagRef(name, None, target, kind, self.peel(target))

    def commit_of(self, tag: TagRef) -> str:
        return tag.commit or self.peel(tag.target)

    def tag_message(self, tag: TagRef) -> str | None:
        if tag.target_type != "tag" or not self.has_object(tag.target):
            return None
        raw = git.run(["cat-file", "tag", tag.target], self.root)
        return raw.split("\n\n", 1)[1] if "\n\n" in raw else ""

    def create_tag(self, name: str, commit: str, message: str) -> TagRef:
        git.check_ref(name)
        identity: list[str] = []
        if not self._ok(["var", "GIT_COMMITTER_IDENT"]):  # CI runners often have no identity
            identity = ["-c", f"user.name={FALLBACK_NAME}", "-c", f"user.email={FALLBACK_EMAIL}"]
        try:
            git.run([*identity, "tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit],
                    self.root, input_text=message)
        except git.GitError as exc:
            existing = self.find_tag(name)  # lost a race, or the tag was there already
            if existing is not None:
                raise TagExists(name, existing.commit) from None
            raise BackendError(f"cannot create tag {name}: {exc}") from None
        tag = self.find_tag(name)
        assert tag is not None
        return tag

    # -- releases: the annotated tag is the release ----------------------------------------------
    def find_release(self, tag: str) -> ReleaseInfo | None:
        out = git.run(["for-each-ref", "--format=%(objecttype)", f"refs/tags/{tag}"], self.root)
        if out.strip() != "tag":
            return None  # a lightweight tag carries no notes
        raw = git.run(["cat-file", "tag", f"refs/tags/{tag}"], self.root)
        return ReleaseInfo(tag, None, raw.split("\n\n", 1)[1] if "\n\n" in raw else "")

    def create_release(self, tag: str, title: str, notes: str) -> tuple[ReleaseInfo, bool]:
        found = self.find_release(tag)
        if found is None:
            raise BackendError(f"tag {tag} is not an annotated tag: it has no release notes "
                               "(delete it and rerun, or release with the GitHub back end)")
        return found, False

    def upload_asset(self, release: ReleaseInfo, name: str, data: bytes,
                     content_type: str) -> bool:
        return False  # no place for assets; `release --payload-file` writes os-tooling.json
