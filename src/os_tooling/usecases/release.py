"""``release``: what happens on merge, back-end independent.

0. HEAD must be on the release branch (``branch.py``): a tag on a feature branch would take a
   version away from the release branch. A dry run only says so.
1. The current version is the highest ``<prefix>X.Y.Z`` tag (prereleases only when asked;
   non-semver tags ignored). No tag yet: the first release is ``initial_version``.
2. When that tag is on HEAD already, this is a rerun: make sure its release (and the
   ``os-tooling.json`` asset) exist, repairing what an earlier run left half done.
   When HEAD is an ancestor of that tag, HEAD is released already: nothing to do.
   When HEAD descends from that tag but the tag has no complete release (a run that failed
   after tagging), that release is finished first; if it cannot be, the run fails naming
   the tag and tags nothing.
3. Otherwise plan: the manifest at the tag vs HEAD (``planning.plan_texts``) and the files
   changed since the tag (those under ``policy.imageInputs``), raised by declared levels
   (``Release-Level:`` trailers of the commits since the tag, labels of their merged pull
   requests, ``--label``/``--declared-level``). Level none: no release (released=false).
4. Tag ``<prefix><next>`` at HEAD (annotated, the notes as message), then the release, then the
   asset. If the tag name is taken on another commit (a concurrent merge released first),
   nothing is overwritten: recompute once from the new tags, else fail with a clear message.
   A successful run never leaves a tag without its release.

The history (HEAD, manifests, commit messages, changed files, ancestry) is read from the local
clone when it has the objects, else from the back end (a shallow CI checkout).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from os_tooling.adapters.local_git_releases import LocalGit
from os_tooling.core import release_notes as notes_mod
from os_tooling.core.levels import Level
from os_tooling.core.manifest import Manifest
from os_tooling.core.policy import DeclaredLevel, PlanOptions, levels_from_commits, levels_from_labels
from os_tooling.core.release_backend import ASSET_NAME, BackendError, ReleaseBackend, TagExists, TagRef
from os_tooling.core.statuses import ReleaseOutcome
from os_tooling.core.versions import Version
from os_tooling.errors import ServiceError
from os_tooling.usecases.plan import plan_texts
from os_tooling.usecases.release_branch import ReleaseBranch

_RELEASED = frozenset(o for o in ReleaseOutcome if o.released)


class ReleaseFailed(ServiceError):
    """The release cannot be made; nothing half-made is left (see the module doc)."""


@dataclass(frozen=True)
class ReleaseOptions:
    manifest_path: str = "os-tooling.yaml"  # relative to the repository root
    tag_prefix: str = "v"
    initial_version: Version = Version(0, 1, 0)
    include_prereleases: bool = False
    labels: tuple[str, ...] = ()  # labels given by hand (e.g. from the event payload)
    label_prefix: str = "release/"
    pr_labels: bool = True  # look up the labels of the merged pull requests
    declared: tuple[Level, ...] = ()
    allow_downgrade: bool = False
    major_on_zero: bool = False
    dry_run: bool = False
    repository_url: str | None = None  # for the compare link in the notes
    branch: ReleaseBranch | None = None  # the release branch HEAD must be on; None: not checked


@dataclass
class ReleaseResult:
    outcome: ReleaseOutcome
    commit: str
    version: Version | None = None
    tag: str | None = None
    previous_version: Version | None = None
    previous_tag: str | None = None
    level: Level = Level.NONE
    release_url: str | None = None
    release_notes: str = ""  # the Markdown of the GitHub release (and the tag message)
    payload: dict | None = None
    changes: list = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    created_tag: bool = False
    created_release: bool = False
    uploaded_asset: bool = False
    backend: str = ""

    @property
    def released(self) -> bool:
        return self.outcome in _RELEASED

    @property
    def dry_run(self) -> bool:
        return self.outcome == ReleaseOutcome.DRY_RUN

    def to_dict(self) -> dict:
        return {
            "released": self.released,
            "outcome": self.outcome,
            "dry_run": self.dry_run,
            "tag": self.tag,
            "version": self.version.core if self.version else None,
            "previous_version": self.previous_version.core if self.previous_version else None,
            "previous_tag": self.previous_tag,
            "level": str(self.level),
            "commit": self.commit,
            "release_url": self.release_url,
            "created_tag": self.created_tag,
            "created_release": self.created_release,
            "uploaded_asset": self.uploaded_asset,
            "backend": self.backend,
            "changes": [c.to_dict() for c in self.changes],
            "messages": list(self.messages),
            "release_notes": self.release_notes,
            "notes": self.release_notes,  # deprecated spelling of release_notes, until 0.3
            "asset": self.payload,
        }


@dataclass
class _Draft:
    """What a release of HEAD would be: version, notes and payload."""

    version: Version
    tag: str
    previous: TagRef | None
    level: Level
    changes: list
    release_notes: str
    payload: dict


class Releaser:
    def __init__(self, workspace: LocalGit, backend: ReleaseBackend, options: ReleaseOptions):
        self.workspace = workspace
        self.backend = backend
        self.options = options
        self.messages: list[str] = []
        self._peeled: dict[str, str] = {}  # tag target -> commit

    # -- entry point -------------------------------------------------------------------------------
    def run(self) -> ReleaseResult:
        try:
            return self._run()
        except BackendError as exc:
            raise ReleaseFailed(str(exc), usage=exc.usage) from None

    def _run(self) -> ReleaseResult:
        head = self.workspace.head()
        head_text = self.workspace.file_at(head, self.options.manifest_path)
        if head_text is None:
            raise ReleaseFailed(f"{self.options.manifest_path} does not exist at HEAD "
                                f"({head[:12]}): nothing to release", usage=True)
        self._check_branch(head)
        for attempt in (1, 2):
            tags = self._tags()
            top = tags[0] if tags else None
            if top is not None:
                top_commit = self._commit_of(top)
                if top_commit == head:
                    return self._finish_existing(top, tags[1] if len(tags) > 1 else None, head,
                                                 head_text)
                relation = self._relation(top_commit, head)
                if relation == "behind":
                    return self._result(ReleaseOutcome.CONTAINED, head, messages=[
                        f"commit {head[:12]} is already part of {top.name}: nothing to release"],
                        version=top.version, tag=top.name)
                if relation == "diverged":
                    raise ReleaseFailed(f"HEAD ({head[:12]}) does not descend from the newest "
                                        f"release tag {top.name} ({top_commit[:12]}): refusing to "
                                        "release from a side branch (if that tag was made on "
                                        "one by mistake, delete it)")
                self._finish_unreleased(top, tags[1] if len(tags) > 1 else None, top_commit)
            draft = self._draft(top, head, head_text, None)
            if draft is None:
                assert top is not None and top.version is not None
                return self._result(ReleaseOutcome.NOTHING_TO_RELEASE, head, version=top.version, tag=top.name,
                                    previous=top, messages=[
                                        f"nothing changed the images since {top.name} (level "
                                        f"none): os-tooling stays {top.version.core}"])
            if self.options.dry_run:
                return self._draft_result(ReleaseOutcome.DRY_RUN, draft, head, messages=[
                    f"dry run: would tag {draft.tag} at {head[:12]} and publish its release "
                    f"with {ASSET_NAME}; nothing was changed"])
            try:
                self.backend.create_tag(draft.tag, head, draft.release_notes)
                created_tag = True
            except TagExists as exc:
                if exc.commit == head:
                    created_tag = False  # a concurrent run on this commit tagged first
                    self.messages.append(f"tag {draft.tag} was just created on this commit by "
                                         "another run; finishing its release")
                elif attempt == 1:
                    self.messages.append(f"tag {draft.tag} appeared on commit "
                                         f"{(exc.commit or '?')[:12]} meanwhile (a concurrent "
                                         "release); recomputing from the new tags")
                    continue
                else:
                    raise ReleaseFailed(
                        f"tag {draft.tag} already exists on commit {(exc.commit or '?')[:12]}, "
                        f"not on HEAD ({head[:12]}): another release ran at the same time. Nothing "
                        "was overwritten; rerun the release to release this commit after it") from None
            return self._publish(draft, head, created_tag, ReleaseOutcome.RELEASED)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- guards --------------------------------------------------------------------------------
    def _check_branch(self, head: str) -> None:
        branch = self.options.branch
        problem = branch.problem(self.workspace.root, head) if branch is not None else None
        if problem is None:
            return
        if self.options.dry_run:
            self.messages.append(f"a real run would refuse: {problem}")
            return
        raise ReleaseFailed(f"{problem}; nothing was tagged", usage=branch.name is None)

    def _finish_unreleased(self, top: TagRef, previous: TagRef | None, commit: str) -> None:
        """The newest tag must have its release before the next one is made (GitHub: a run
        that failed after tagging left it without one). Finish it, or fail naming the tag."""
        if self.backend.name == "local":
            return  # the annotated tag is the release
        existing = self.backend.find_release(top.name)
        if existing is not None and ASSET_NAME in existing.assets:
            return
        if not self._made_by_os_tooling(top):  # a tag from before os-tooling: not ours to finish
            self.messages.append(f"tag {top.name} has no os-tooling release; it was not made by "
                                 "os-tooling and is left as it is")
            return
        if self.options.dry_run:
            self.messages.append(f"tag {top.name} has no complete release: a real run finishes "
                                 "it first")
            return
        assert top.version is not None
        messages = list(self.messages)  # the old release's plan notes are not this run's
        try:
            text = self._file_at(commit)
            if text is None:
                raise ReleaseFailed(f"no {self.options.manifest_path} at {commit[:12]}")
            draft = self._draft(previous, commit, text, top.version)
            assert draft is not None
            release = existing or self.backend.create_release(top.name, top.name, draft.release_notes)[0]
            self.backend.upload_asset(release, ASSET_NAME, notes_mod.payload_bytes(draft.payload),
                                      "application/json")
        except (BackendError, ReleaseFailed) as exc:
            raise ReleaseFailed(
                f"tag {top.name} ({commit[:12]}) has no complete release and finishing it "
                f"failed: {exc}. Nothing new was tagged: rerun to finish it, or publish its "
                "release by hand", usage=getattr(exc, "usage", False)) from None
        self.messages = messages + [f"finished the release of {top.name}: an earlier run tagged "
                                    "it but did not publish its release"]

    def _made_by_os_tooling(self, tag: TagRef) -> bool:
        """Our tags are annotated, their message the release notes (``# os-tooling X.Y.Z``)."""
        if tag.target_type != "tag" or tag.version is None:
            return False
        local = self.workspace.has_object(tag.target)
        message = (self.workspace if local else self.backend).tag_message(tag) or ""
        return message.startswith(f"# os-tooling {tag.version.core}\n")

    # -- reading state -------------------------------------------------------------------------
    def _tags(self) -> list[TagRef]:
        tags = [t for t in self.backend.version_tags(self.options.tag_prefix)
                if t.version is not None
                and (self.options.include_prereleases or t.version.prerelease is None)]
        return sorted(tags, key=lambda t: t.version, reverse=True)  # type: ignore[arg-type,return-value]

    def _commit_of(self, tag: TagRef) -> str:
        if tag.commit:
            return tag.commit
        if tag.target not in self._peeled:  # asked twice per run: once is enough
            if self.workspace.has_object(tag.target):  # same object id: same content and commit
                self._peeled[tag.target] = self.workspace.peel(tag.target)
            else:
                self._peeled[tag.target] = self.backend.commit_of(tag)
        return self._peeled[tag.target]

    def _local(self, *shas: str) -> bool:
        return all(self.workspace.has_object(s) for s in shas)

    def _relation(self, base: str, head: str) -> str:
        if self._local(base, head):
            return self.workspace.relation(base, head)
        return self.backend.relation(base, head)

    def _file_at(self, commit: str) -> str | None:
        if self._local(commit):
            return self.workspace.file_at(commit, self.options.manifest_path)
        return self.backend.file_at(commit, self.options.manifest_path)

    def _commits_between(self, base: str, head: str) -> list[tuple[str, str]]:
        if self._local(base, head):
            return self.workspace.commits_between(base, head)
        return self.backend.commits_between(base, head)

    def _changed_files(self, base: str, head: str) -> tuple[list[str], bool]:
        if self._local(base, head):
            return self.workspace.changed_files(base, head)
        return self.backend.changed_files(base, head)

    # -- planning ------------------------------------------------------------------------------
    def _declared(self, previous_commit: str | None, head: str) -> tuple[list[DeclaredLevel],
                                                                          list[str]]:
        declared = [DeclaredLevel(level, "--declared-level") for level in self.options.declared]
        labels = [(label, "--label") for label in self.options.labels]
        problems: list[str] = []
        if previous_commit is not None:
            commits = self._commits_between(previous_commit, head)
            trailer_levels, trailer_problems = levels_from_commits(commits)
            declared += trailer_levels
            problems += trailer_problems
            if self.options.pr_labels and commits:
                labels += [(label, f"#{number}")
                           for label, number in self.backend.pr_labels({sha for sha, _ in commits})]
        for label, source in labels:
            levels, label_problems = levels_from_labels([label], self.options.label_prefix)
            declared += [DeclaredLevel(d.level, f"{d.source} ({source})" if source != "--label"
                                       else d.source) for d in levels]
            problems += label_problems
        return _unique(declared), problems

    def _draft(self, previous: TagRef | None, head: str, head_text: str,
               fixed_version: Version | None) -> _Draft | None:
        """The release of HEAD after ``previous``; None when there is nothing to release.

        ``fixed_version``: the version is known (a rerun), only notes and payload are wanted.
        """
        path = self.options.manifest_path
        previous_commit = self._commit_of(previous) if previous is not None else None
        base_text = self._file_at(previous_commit) if previous_commit else None
        declared, problems = self._declared(previous_commit, head)
        current = previous.version if previous is not None else None
        outcome = plan_texts(base_text, f"{previous.name}:{path}" if previous else "(none)",
                             head_text, f"HEAD:{path}",
                             PlanOptions(current, tuple(declared), self.options.allow_downgrade,
                                         self.options.major_on_zero, manifest_path=path),
                             # files changed since the tag: those under policy.imageInputs count
                             partial(self._changed_files, previous_commit, head)
                             if previous_commit else None)
        if outcome.plan is None:
            raise ReleaseFailed("the manifest is invalid: " + "; ".join(
                f"{f.where()}: {f.message}" for f in outcome.findings[:5]))
        plan = outcome.plan
        errors = plan.errors + problems
        if errors:
            raise ReleaseFailed("cannot release: " + "; ".join(errors))
        if fixed_version is not None:
            version = fixed_version
        elif previous is None:
            version = self.options.initial_version
            self.messages.append(f"no {self.options.tag_prefix}X.Y.Z tag yet: first release "
                                 f"{version.core}")
        elif plan.level is Level.NONE:
            return None
        else:
            assert plan.next_version is not None
            version = plan.next_version
        self.messages += plan.notes
        tag = f"{self.options.tag_prefix}{version.core}"
        assert outcome.head is not None
        facts = notes_mod.ReleaseFacts(
            version=version, tag=tag, commit=head,
            previous_version=previous.version if previous else None,
            previous_tag=previous.name if previous else None, level=plan.level,
            changes=tuple(plan.changes), remarks=tuple(plan.notes),
            repository_url=self.options.repository_url)
        manifest: Manifest = outcome.head
        return _Draft(version, tag, previous, plan.level, list(plan.changes),
                      notes_mod.render_notes(facts, manifest), notes_mod.payload(facts, manifest))

    # -- publishing ----------------------------------------------------------------------------
    def _finish_existing(self, top: TagRef, previous: TagRef | None, head: str,
                         head_text: str) -> ReleaseResult:
        """HEAD is tagged already: a rerun. Make sure the release and its asset exist."""
        assert top.version is not None
        draft = self._draft(previous, head, head_text, top.version)
        assert draft is not None
        draft.tag = top.name
        existing = self.backend.find_release(top.name)
        if self.options.dry_run:
            missing = "nothing is missing" if existing and ASSET_NAME in existing.assets or \
                (existing and self.backend.name == "local") else "would create what is missing"
            return self._draft_result(ReleaseOutcome.DRY_RUN, draft, head, release=existing, messages=[
                f"dry run: HEAD is {top.name} already; {missing}"])
        if existing is not None and (ASSET_NAME in existing.assets or self.backend.name == "local"):
            draft.release_notes = existing.body or draft.release_notes
            return self._draft_result(ReleaseOutcome.ALREADY_RELEASED, draft, head, release=existing, messages=[
                f"commit {head[:12]} is released already as {top.name}; nothing to do"])
        return self._publish(draft, head, False, ReleaseOutcome.REPAIRED, existing)

    def _publish(self, draft: _Draft, head: str, created_tag: bool, outcome: ReleaseOutcome,
                 release=None) -> ReleaseResult:
        created_release = False
        try:
            if release is None:
                release, created_release = self.backend.create_release(draft.tag, draft.tag,
                                                                        draft.release_notes)
            uploaded = self.backend.upload_asset(release, ASSET_NAME,
                                                 notes_mod.payload_bytes(draft.payload),
                                                 "application/json")
        except BackendError as exc:
            raise ReleaseFailed(
                f"tag {draft.tag} is on {head[:12]}, but publishing its release failed: {exc}. "
                "Rerun the release on this commit to finish it (it will not tag again)",
                usage=exc.usage) from None
        if release.body and release.body != draft.release_notes and not created_release:
            draft.release_notes = release.body  # what is published is what we report
        if created_release or uploaded:
            what = [w for w, done in (("release", created_release), (ASSET_NAME, uploaded)) if done]
            if outcome == ReleaseOutcome.REPAIRED:
                self.messages.append(f"{draft.tag} was tagged earlier; created the missing "
                                     f"{' and '.join(what)}")
        result = self._draft_result(outcome, draft, head, release=release)
        result.created_tag = created_tag
        result.created_release = created_release
        result.uploaded_asset = uploaded
        return result

    # -- results -------------------------------------------------------------------------------
    def _result(self, outcome: ReleaseOutcome, head: str, *, messages: list[str], version: Version | None,
                tag: str | None, previous: TagRef | None = None) -> ReleaseResult:
        return ReleaseResult(outcome, head, version=version, tag=tag,
                             previous_version=previous.version if previous else None,
                             previous_tag=previous.name if previous else None,
                             messages=_dedupe(self.messages + messages), backend=self.backend.name)

    def _draft_result(self, outcome: ReleaseOutcome, draft: _Draft, head: str, *, release=None,
                      messages: list[str] | None = None) -> ReleaseResult:
        return ReleaseResult(
            outcome, head, version=draft.version, tag=draft.tag,
            previous_version=draft.previous.version if draft.previous else None,
            previous_tag=draft.previous.name if draft.previous else None, level=draft.level,
            release_url=release.url if release is not None else None, release_notes=draft.release_notes,
            payload=draft.payload, changes=draft.changes,
            messages=_dedupe(self.messages + (messages or [])), backend=self.backend.name)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _unique(declared: list[DeclaredLevel]) -> list[DeclaredLevel]:
    seen: set[tuple[Level, str]] = set()
    out = []
    for d in declared:
        if (d.level, d.source) not in seen:
            seen.add((d.level, d.source))
            out.append(d)
    return out


def release(workspace: LocalGit, backend: ReleaseBackend, options: ReleaseOptions) -> ReleaseResult:
    return Releaser(workspace, backend, options).run()
