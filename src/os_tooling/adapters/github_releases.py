"""GitHub as a release back end, through PyGithub (client built by adapters.github_client).

Requests of one release, in the common case (full clone, a previous annotated tag):
list version tags (1), peel the newest tag (1), merged pull requests for labels (1), create
the tag object (1), create the ref (1), create the release (1), upload ``os-tooling.json`` (1).

Idempotence: PyGithub's retry replays POSTs, and a concurrent run may do the same create at the
same moment. So every create treats "already exists" (422) as a question to answer by reading
the current state, and so does a create whose answer was lost (5xx, reset, timeout).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from os_tooling.adapters import github_client as ghc
from os_tooling.adapters.files import decode_text
from os_tooling.core.release_backend import BackendError, ReleaseInfo, TagExists, TagRef
from os_tooling.core.versions import version_from_tag

if TYPE_CHECKING:
    from github.Repository import Repository

T = TypeVar("T")
COMMIT_PULLS_LOOKUPS = 20  # commits asked one by one when the page misses them
PULLS_PAGE = 100  # merged pull requests looked at for labels (one request)
COMPARE_FILES_LIMIT = 300  # GitHub's compare lists at most this many changed files


class GitHubReleases:
    name = "github"

    def __init__(self, repo: Repository, settings: ghc.ClientSettings, full_name: str):
        self.repo = repo
        self.settings = settings
        self.location = full_name
        self._comparisons: dict[tuple[str, str], Any] = {}

    @contextmanager
    def _calling(self, doing: str) -> Iterator[None]:
        try:
            yield
        except BackendError:
            raise
        except Exception as exc:
            if ghc.is_github_error(exc):
                raise BackendError(ghc.explain(exc, f"{doing} ({self.location})"),
                                   usage=ghc.is_auth_problem(exc)) from None
            raise

    def _try(self, doing: str, call: Callable[[], T]) -> T:
        with self._calling(doing):
            return call()

    def _maybe(self, doing: str, call: Callable[[], T]) -> T | None:
        """Like ``_try``, but a 404 is an answer: None."""
        from github import UnknownObjectException

        with self._calling(doing):
            try:
                return call()
            except UnknownObjectException:
                return None

    # -- tags ------------------------------------------------------------------------------------
    def version_tags(self, prefix: str) -> list[TagRef]:
        def read() -> list[TagRef]:
            tags = []
            for ref in self.repo.get_git_matching_refs(f"tags/{prefix}"):
                name = ref.ref.removeprefix("refs/tags/")
                version = version_from_tag(name, prefix)
                if version is not None:
                    kind = ref.object.type
                    tags.append(TagRef(name, version, ref.object.sha, kind,
                                       ref.object.sha if kind == "commit" else None))
            return tags

        return self._try("listing tags", read)

    def find_tag(self, name: str) -> TagRef | None:
        ref = self._maybe(f"reading tag {name}", lambda: self.repo.get_git_ref(f"tags/{name}"))
        if ref is None:
            return None
        tag = TagRef(name, None, ref.object.sha, ref.object.type)
        return TagRef(name, None, tag.target, tag.target_type, self.commit_of(tag))

    def commit_of(self, tag: TagRef) -> str:
        if tag.commit:
            return tag.commit
        sha, kind = tag.target, tag.target_type
        for _ in range(5):  # a tag of a tag of a commit is legal; stop somewhere
            if kind == "commit":
                return sha
            obj = self._try(f"reading tag {tag.name}", lambda s=sha: self.repo.get_git_tag(s))
            sha, kind = obj.object.sha, obj.object.type
        raise BackendError(f"tag {tag.name} does not lead to a commit")

    def tag_message(self, tag: TagRef) -> str | None:
        if tag.target_type != "tag":
            return None
        obj = self._try(f"reading tag {tag.name}", lambda: self.repo.get_git_tag(tag.target))
        return obj.message or ""

    def create_tag(self, name: str, commit: str, message: str) -> TagRef:
        tag_object = self._try(f"creating tag object {name}",
                               lambda: self.repo.create_git_tag(name, message, commit, "commit"))
        try:
            self.repo.create_git_ref(f"refs/tags/{name}", tag_object.sha)
        except Exception as exc:
            if not ghc.is_github_error(exc):
                raise
            if not (ghc.is_validation(exc) or ghc.is_transient(exc)):
                raise BackendError(ghc.explain(exc, f"creating tag {name} ({self.location})"),
                                   usage=ghc.is_auth_problem(exc)) from None
            existing = self.find_tag(name)  # taken before us, by a replay of ours, or lost answer
            if existing is None:
                raise BackendError(ghc.explain(exc, f"creating tag {name} ({self.location})")
                                   ) from None
            if existing.commit == commit and existing.target == tag_object.sha:
                return existing  # our own create landed; its answer was lost
            raise TagExists(name, existing.commit) from None
        return TagRef(name, None, tag_object.sha, "tag", commit)

    # -- releases --------------------------------------------------------------------------------
    def _info(self, release: Any) -> ReleaseInfo:
        return ReleaseInfo(release.tag_name, release.html_url, release.body or "",
                           tuple(a.name for a in release.assets), release.id, release.upload_url)

    def find_release(self, tag: str) -> ReleaseInfo | None:
        release = self._maybe(f"reading the release of {tag}", lambda: self.repo.get_release(tag))
        return None if release is None else self._info(release)

    def create_release(self, tag: str, title: str, notes: str) -> tuple[ReleaseInfo, bool]:
        try:
            release = self.repo.create_git_release(tag, title, notes, draft=False, prerelease=False)
        except Exception as exc:
            if not ghc.is_github_error(exc):
                raise
            if not (ghc.is_validation(exc, "already_exists") or ghc.is_transient(exc)):
                raise BackendError(ghc.explain(exc, f"creating the release of {tag} "
                                                    f"({self.location})"),
                                   usage=ghc.is_auth_problem(exc)) from None
            found = self.find_release(tag)  # made by a concurrent run, or by a replay of ours
            if found is None:
                raise BackendError(ghc.explain(exc, f"creating the release of {tag} "
                                                    f"({self.location})")) from None
            return found, False
        return self._info(release), True

    def upload_asset(self, release: ReleaseInfo, name: str, data: bytes,
                     content_type: str) -> bool:
        if name in release.assets:
            return False
        if not release.upload_url:
            raise BackendError(f"the release of {release.tag} has no upload URL")
        doing = f"uploading {name} to the release of {release.tag} ({self.location})"
        try:
            status, body = ghc.upload_asset(self.settings, release.upload_url, name, data,
                                            content_type)
        except Exception as exc:
            if not ghc.is_github_error(exc):
                raise
            if not ghc.is_transient(exc):
                raise BackendError(ghc.explain(exc, doing), usage=ghc.is_auth_problem(exc)) from None
            current = self.find_release(release.tag)
            if current is not None and name in current.assets:
                return False  # the upload landed; its answer was lost
            raise BackendError(ghc.explain(exc, doing)) from None
        if status == 422:
            errors = body.get("errors") or []
            if any(isinstance(e, dict) and e.get("code") == "already_exists" for e in errors):
                return False
            raise BackendError(f"{doing}: GitHub answered 422: {body.get('message')}")
        return True

    # -- history ---------------------------------------------------------------------------------
    def file_at(self, commit: str, path: str) -> str | None:
        content = self._maybe(f"reading {path} at {commit[:12]}",
                              lambda: self.repo.get_contents(path, ref=commit))
        if content is None or isinstance(content, list) or content.type != "file":
            return None
        return decode_text(content.decoded_content, f"{commit[:12]}:{path}")

    def _compare(self, base: str, head: str) -> Any:
        key = (base, head)
        if key not in self._comparisons:  # relation() and commits_between() share one request
            self._comparisons[key] = self._try(f"comparing {base[:12]}...{head[:12]}",
                                               lambda: self.repo.compare(base, head))
        return self._comparisons[key]

    def commits_between(self, base: str, head: str) -> list[tuple[str, str]]:
        comparison = self._compare(base, head)
        return self._try(f"listing commits {base[:12]}...{head[:12]}",
                         lambda: [(c.sha, c.commit.message) for c in comparison.commits])

    def relation(self, base: str, head: str) -> str:
        return self._compare(base, head).status

    def changed_files(self, base: str, head: str) -> tuple[list[str], bool]:
        """From the same compare request as ``commits_between``. GitHub lists at most
        COMPARE_FILES_LIMIT files; a list that long may be cut short."""
        comparison = self._compare(base, head)

        def read() -> list[str]:
            paths = set()
            for f in comparison.files:
                paths.add(f.filename)
                if f.status == "renamed" and f.previous_filename:
                    paths.add(f.previous_filename)
            return sorted(p for p in paths if p)

        files = self._try(f"listing changed files {base[:12]}...{head[:12]}", read)
        return files, len(comparison.files) < COMPARE_FILES_LIMIT

    def pr_labels(self, commits: set[str]) -> list[tuple[str, int]]:
        """Labels of the merged pull requests whose merge commit is one of ``commits``.

        One request in the usual case: the most recently updated closed pull requests (a page of
        100). A merge commit, a squash commit and the last commit of a rebase merge are all the
        PR's ``merge_commit_sha``. When that page is full and holds none of them (a busy
        repository, a late rerun), each commit's own pull requests are asked for instead
        (``/commits/{sha}/pulls``, at most COMMIT_PULLS_LOOKUPS commits), so a label is not
        missed silently.
        """
        def read() -> list[tuple[str, int]]:
            found = []
            matched = False
            pulls = self.repo.get_pulls(state="closed", sort="updated", direction="desc")
            page = pulls.get_page(0)[:PULLS_PAGE]
            for pull in page:
                if pull.merged_at is not None and pull.merge_commit_sha in commits:
                    matched = True
                    found += [(label.name, pull.number) for label in pull.labels]
            if matched or len(page) < PULLS_PAGE:
                return found
            seen: set[int] = set()
            for sha in sorted(commits)[:COMMIT_PULLS_LOOKUPS]:
                for pull in self.repo.get_commit(sha).get_pulls():
                    if pull.merged_at is not None and pull.merge_commit_sha in commits \
                            and pull.number not in seen:
                        seen.add(pull.number)
                        found += [(label.name, pull.number) for label in pull.labels]
            return found

        return self._try("reading labels of merged pull requests", read)
