"""What the action does per command: one entry of COMMANDS each.

An entry turns the inputs and the event into CLI arguments (the action runs the very same
``os-tooling`` commands in-process, once: every report format comes from that one run), and
turns the command's JSON report into step outputs and annotations. Options are always passed
as ``--name=value`` so that an input starting with ``-`` stays a value; nothing ever goes
through a shell.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from os_tooling.action.commit import check_inputs, commit_bump
from os_tooling.action.inputs import Inputs
from os_tooling.action.runner import Annotation, Runner
from os_tooling.adapters.github_event import Event
from os_tooling.core.escape import json_text
from os_tooling.errors import UsageError

LEVELS = ("patch", "minor", "major")

# Every output of action.yml; each run sets all of them (empty when they do not apply).
OUTPUTS = ("ok", "exit-code", "level", "current-version", "next-version", "released", "tag",
           "changed", "commit", "report", "matrix", "vars")


@dataclass(frozen=True)
class ActionCommand:
    argv: Callable[[Inputs, Event], list[str]]  # CLI arguments, without --format
    outputs: Callable[[dict], dict[str, str]] = lambda data: {}
    annotations: Callable[[dict], list[Annotation]] = lambda data: []
    comment: bool = False  # can post the sticky PR comment
    # after a successful run: act on the report (e.g. commit), return more outputs
    after: Callable[[Runner, Inputs, Event, dict], dict[str, str]] | None = None


def _opt(name: str, value: str | None) -> list[str]:
    return [f"--{name}={value}"] if value else []


def _flag(inputs: Inputs, name: str) -> list[str]:
    return [f"--{name}"] if inputs.flag(name) else []


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _finding_annotations(findings: list, level: str) -> list[Annotation]:
    out = []
    for f in findings:
        if not isinstance(f, dict):
            continue
        out.append(Annotation(f.get("severity") if f.get("severity") in ("error", "warning")
                              else level, _text(f.get("message")), _text(f.get("path")) or None,
                              f.get("line"), f.get("column"), title="os-tooling"))
    return out


# -- validate ---------------------------------------------------------------------------------
def validate_argv(inputs: Inputs, event: Event) -> list[str]:
    files = inputs.lines("manifest")  # one path per line; none: os-tooling.yaml at the root
    return ["validate", *_flag(inputs, "strict"), *(["--", *files] if files else [])]


def validate_annotations(data: dict) -> list[Annotation]:
    return (_finding_annotations(data.get("errors") or [], "error")
            + _finding_annotations(data.get("warnings") or [], "warning")
            + _finding_annotations(data.get("notes") or [], "notice"))


# -- plan -------------------------------------------------------------------------------------
def plan_argv(inputs: Inputs, event: Event) -> list[str]:
    base_file = inputs.get("base")
    base_ref = inputs.get("base-ref") or (None if base_file else event.base_sha)
    if not base_file and not base_ref:
        raise UsageError("plan needs a base: the input 'base-ref' (or 'base', a file); on "
                         "pull_request and push events it defaults to the event's base commit")
    labels = inputs.items("labels") + event.labels
    declared = _levels(inputs.items("declared-level"))
    return ["plan", *(_opt("base", base_file) if base_file else _opt("base-ref", base_ref)),
            *_opt("manifest", inputs.get("manifest")),
            *_opt("current-version", inputs.get("current-version")),
            *_opt("tag-prefix", inputs.get("tag-prefix")),
            *_opt("label-prefix", inputs.get("label-prefix")),
            *[f"--label={label}" for label in labels],
            *[f"--declared-level={level}" for level in declared],
            *_flag(inputs, "allow-downgrade"), *_flag(inputs, "major-on-zero")]


def plan_outputs(data: dict) -> dict[str, str]:
    return {"level": _text(data.get("level")), "current-version": _text(data.get("current_version")),
            "next-version": _text(data.get("next_version"))}


def plan_annotations(data: dict) -> list[Annotation]:
    if not data.get("valid", True):
        return _finding_annotations(data.get("errors") or [], "error")
    out = [Annotation("error", _text(e.get("message") if isinstance(e, dict) else e),
                      title="os-tooling plan") for e in data.get("errors") or []]
    level, current, nxt = data.get("level"), data.get("current_version"), data.get("next_version")
    if level and level != "none" and current:
        out.append(Annotation("notice", f"this change releases os-tooling {nxt} ({level}, from "
                              f"{current})", title="os-tooling plan"))
    elif level:
        out.append(Annotation("notice", f"release level: {level}", title="os-tooling plan"))
    return out


# -- gate -------------------------------------------------------------------------------------
def gate_argv(inputs: Inputs, event: Event) -> list[str]:
    files = inputs.lines("files")
    base_ref = inputs.get("base-ref") or (None if files else event.base_sha)
    if not files and not base_ref:
        raise UsageError("gate needs release files (the input 'files') or a base to compare with "
                         "(the input 'base-ref'; on pull_request and push events it defaults to "
                         "the event's base commit)")
    return ["gate", *_opt("catalog", inputs.get("catalog")), *_opt("config", inputs.get("config")),
            *_opt("repo-root", inputs.get("repo-root")), *_opt("base-ref", base_ref),
            *_opt("tooling-repo", inputs.get("tooling-repo")),
            *_opt("image-builder-repo", inputs.get("image-builder-repo")),
            *([] if inputs.flag("tooling-checks", default=True) else ["--no-tooling-checks"]),
            *(["--", *files] if files else [])]


def gate_annotations(data: dict) -> list[Annotation]:
    out = []
    for a in data.get("annotations") or []:
        if isinstance(a, dict):
            level = a.get("level") if a.get("level") in ("error", "warning", "notice") else "error"
            out.append(Annotation(level, _text(a.get("message")), _text(a.get("file")) or None,
                                  a.get("line"), a.get("column"),
                                  title=_text(a.get("title")) or "os-tooling gate"))
    return out


# -- release ----------------------------------------------------------------------------------
def release_argv(inputs: Inputs, event: Event) -> list[str]:
    declared = inputs.items("declared-level")
    return ["release", *_opt("manifest", inputs.get("manifest")),
            *_opt("tag-prefix", inputs.get("tag-prefix")),
            *_opt("label-prefix", inputs.get("label-prefix")),
            *_opt("initial-version", inputs.get("initial-version")),
            *_opt("github-repo", inputs.get("github-repo")),
            *_opt("release-branch", inputs.get("release-branch") or event.default_branch),
            *[f"--label={label}" for label in inputs.items("labels")],
            *[f"--declared-level={level}" for level in _levels(declared)],
            *_flag(inputs, "allow-downgrade"), *_flag(inputs, "major-on-zero"),
            *_flag(inputs, "dry-run")]


def release_outputs(data: dict) -> dict[str, str]:
    released = data.get("released") is True
    return {"released": "true" if released else "false",
            "tag": _text(data.get("tag")) if released else "",
            "level": _text(data.get("level")),
            "current-version": _text(data.get("previous_version")),
            "next-version": _text(data.get("version") or data.get("previous_version"))}


def release_annotations(data: dict) -> list[Annotation]:
    if data.get("released") is True and data.get("tag"):
        verb = "released" if data.get("outcome") == "released" else str(data.get("outcome"))
        return [Annotation("notice", f"{verb}: os-tooling {_text(data.get('version'))} "
                           f"({_text(data.get('level'))}), tag {_text(data.get('tag'))}",
                           title="os-tooling release")]
    return [Annotation("notice", f"no release ({_text(data.get('outcome'))})",
                       title="os-tooling release")]


# -- describe and diff ----------------------------------------------------------------------------
def _source(inputs: Inputs) -> list[str]:
    # capi-image-builder on GitHub: image-builder-repo, as in gate; github-repo is the older name
    return [*_opt("tooling-repo", inputs.get("tooling-repo")),
            *_opt("image-builder-repo", inputs.get("image-builder-repo") or inputs.get("github-repo")),
            *_opt("manifest", inputs.get("manifest")),
            *_opt("tag-prefix", inputs.get("tag-prefix"))]


def _required(inputs: Inputs, name: str, command: str) -> str:
    value = inputs.get(name)
    if not value:
        raise UsageError(f"{command} needs the input {name!r}")
    return value


def describe_argv(inputs: Inputs, event: Event) -> list[str]:
    return ["describe", *_source(inputs), "--", _required(inputs, "version", "describe")]


def diff_argv(inputs: Inputs, event: Event) -> list[str]:
    return ["diff", *_source(inputs), "--", _required(inputs, "from", "diff"),
            _required(inputs, "to", "diff")]


def _levels(values: list[str]) -> list[str]:
    for level in values:
        if level not in LEVELS:
            raise UsageError(f"input 'declared-level' must be one of {', '.join(LEVELS)}; "
                             f"got {level!r}")
    return values


# -- available ----------------------------------------------------------------------------------
def available_argv(inputs: Inputs, event: Event) -> list[str]:
    flatcar, kubernetes = inputs.get("flatcar"), inputs.get("kubernetes")
    stores = [*_opt("config", inputs.get("config")), *_opt("catalog", inputs.get("catalog"))]
    if not flatcar and not kubernetes:  # a release PR: the releases it adds say what to look for
        base_ref = inputs.get("base-ref") or event.base_sha
        if base_ref:
            return ["available", *_opt("base-ref", base_ref),
                    *_opt("repo-root", inputs.get("repo-root")), *stores,
                    *_opt("tooling-repo", inputs.get("tooling-repo"))]
    if not flatcar or not kubernetes:
        raise UsageError("available needs the inputs 'flatcar' and 'kubernetes', or (for the "
                         "releases a release PR adds) a base: the input 'base-ref', by default "
                         "the pull request's base commit")
    return ["available", *_opt("flatcar", flatcar), *_opt("kubernetes", kubernetes),
            *[f"--provider={p}" for p in inputs.items("providers")], *stores]


# -- bump (release PRs) -----------------------------------------------------------------------
def bump_argv(inputs: Inputs, event: Event) -> list[str]:
    check_inputs(inputs)  # before anything is written
    base_ref = inputs.get("base-ref") or event.base_sha
    if not base_ref:
        raise UsageError("bump needs a base: the input 'base-ref' (the release PR's base, e.g. "
                         "origin/main); on pull_request events it defaults to the PR's base commit")
    target = inputs.get("to-tooling")
    return ["bump", *_opt("base-ref", base_ref),
            *(_opt("to-tooling", target) if target else ["--latest"]),
            *_opt("repo-root", inputs.get("repo-root")), *_opt("config", inputs.get("config")),
            *_opt("catalog", inputs.get("catalog")),
            *_opt("tooling-repo", inputs.get("tooling-repo")), *_flag(inputs, "dry-run")]


def bump_outputs(data: dict) -> dict[str, str]:
    changed = bool(data.get("files")) and data.get("written") is True
    return {"changed": "true" if changed else "false"}


def bump_annotations(data: dict) -> list[Annotation]:
    out = []
    for release in data.get("releases") or []:
        if isinstance(release, dict) and release.get("status") == "refused":
            out.append(Annotation("error", f"os-tooling not bumped: {_text(release.get('reason'))}",
                                  _text(release.get("file")) or None, title="os-tooling bump"))
    return out


def bump_commit(runner: Runner, inputs: Inputs, event: Event, data: dict) -> dict[str, str]:
    return commit_bump(runner, inputs, event, data)


# -- build-vars and build-matrix: the image build ------------------------------------------------
def build_vars_argv(inputs: Inputs, event: Event) -> list[str]:
    return ["build-vars", *_opt("provider", inputs.get("provider")),
            *_opt("version", inputs.get("version")), *_source(inputs)]


def build_vars_outputs(data: dict) -> dict[str, str]:
    """``vars``: the Packer var-file (flat JSON object), ready to be written to a file."""

    packer = data.get("vars")
    return {"vars": json_text(json.dumps(packer, ensure_ascii=False))
            if isinstance(packer, dict) else ""}


def build_matrix_argv(inputs: Inputs, event: Event) -> list[str]:
    return ["build-matrix", *_opt("releases", inputs.get("releases")),
            *_opt("releases-github", inputs.get("releases-github")),
            *_opt("ref", inputs.get("ref")), *_opt("tooling", inputs.get("tooling")),
            *_opt("tooling-repo", inputs.get("tooling-repo")),
            *_opt("image-builder-repo", inputs.get("image-builder-repo")),
            *_opt("config", inputs.get("config")), *_opt("catalog", inputs.get("catalog")),
            *[f"--provider={p}" for p in inputs.items("providers")],
            *_flag(inputs, "include-existing")]


def build_matrix_outputs(data: dict) -> dict[str, str]:
    """``matrix``: ``{"include": [...]}`` for ``strategy.matrix: ${{ fromJSON(...) }}``."""

    include = data.get("include")
    return {"matrix": json_text(json.dumps({"include": include if isinstance(include, list)
                                            else []}, ensure_ascii=False))}


def build_matrix_annotations(data: dict) -> list[Annotation]:
    out = []
    for release in data.get("releases") or []:
        if isinstance(release, dict) and release.get("status") == "invalid":
            out.append(Annotation("error", f"cannot use this release file: "
                                  f"{_text(release.get('reason'))}",
                                  _text(release.get("file")) or None, title="os-tooling build-matrix"))
    for entry in data.get("unchecked") or []:
        if isinstance(entry, dict):
            out.append(Annotation("warning", f"could not check whether {_text(entry.get('image'))} "
                                  f"exists for {_text(entry.get('provider'))} (kept in the build): "
                                  f"{_text(entry.get('detail'))}", title="os-tooling build-matrix"))
    count = len(data.get("include") or [])
    out.append(Annotation("notice", f"os-tooling {_text(data.get('tooling'))}: {count} image(s) "
                          "to build", title="os-tooling build-matrix"))
    return out


COMMANDS: dict[str, ActionCommand] = {
    "validate": ActionCommand(validate_argv, annotations=validate_annotations, comment=True),
    "plan": ActionCommand(plan_argv, plan_outputs, plan_annotations, comment=True),
    "gate": ActionCommand(gate_argv, annotations=gate_annotations, comment=True),
    "release": ActionCommand(release_argv, release_outputs, release_annotations),
    "describe": ActionCommand(describe_argv),
    "diff": ActionCommand(diff_argv),
    "available": ActionCommand(available_argv, comment=True),
    "bump": ActionCommand(bump_argv, bump_outputs, bump_annotations, comment=True,
                          after=bump_commit),
    "build-vars": ActionCommand(build_vars_argv, build_vars_outputs),
    "build-matrix": ActionCommand(build_matrix_argv, build_matrix_outputs,
                                  build_matrix_annotations),
}
