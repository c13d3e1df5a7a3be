"""Hostile text never becomes a workflow command, never breaks the output file, never injects
Markdown/HTML into the summary or the PR comment, and the token never shows; no input ever
goes through a shell (Dockerfile, action.yml, entrypoint).

Every log is read with the runner's own rules (tests/action_helpers.parse_log), on stdout and
stderr alike: the runner reads workflow commands from both.
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml

from os_tooling.core.escape import plain
from tests.action_helpers import (
    TOKEN,
    parse_file_commands,
    parse_log,
    pull_request_payload,
    run_action,
)
from tests.gate_helpers import CATALOG, make_releases_repo
from tests.helpers import EXAMPLE_MANIFEST, ROOT, GitRepo

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

ACTION_YML = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
REPO = "acme/capi-image-builder"
ALLOWED_COMMANDS = {"add-mask", "group", "endgroup", "stop-commands", "resume-commands",
                    "error", "warning", "notice", "debug"}
ANNOTATION_PROPERTIES = {"file", "line", "col", "title", "endLine", "endColumn"}

PWNED = "PWNED_BY_SHELL"
HOSTILE = [
    "x%0A::set-env name=PATH::/tmp/evil",
    "x\n::set-env name=NODE_OPTIONS::--require=/tmp/evil.js",
    "::error file=a,line=1::injected",
    "a\r\n::add-mask::hidden",
    "##[set-env name=PATH;]/tmp/evil",
    f"`touch {PWNED}` $(touch {PWNED}) ${{{{ secrets.TOKEN }}}} ; touch {PWNED}",
    "<img src=x onerror=alert(1)> <!-- hidden --> </sub> [click](javascript:alert(1)) @acme/admins",
    "| col | injection |\n|---|---|\n# heading",
]


def check_log(result, *, token: str | None = TOKEN) -> None:
    """Only our own commands, well formed, every stop-commands block closed, token masked."""
    for stream in (result.stdout, result.stderr):
        log = parse_log(stream)
        assert not log.unclosed_stop
        for command in log.commands:
            assert command.name in ALLOWED_COMMANDS or command.name == "resume-commands", command.line
            if command.name in ("error", "warning", "notice"):
                assert set(command.properties) <= ANNOTATION_PROPERTIES, command.line
                for key in ("line", "col"):
                    assert command.properties.get(key, "1").isdigit(), command.line
        stray = [c for c in log.commands if c.name not in ALLOWED_COMMANDS]
        assert not stray
    masks = parse_log(result.stdout).named("add-mask")
    if token:
        assert [m.data for m in masks] == [token]
        everything = result.stdout.replace(masks[0].line, "") + result.stderr
        assert token not in everything + result.output_text + result.summary


def check_outputs(result) -> None:
    records = parse_file_commands(result.output_text)  # raises on a broken record
    assert set(records) == set(ACTION_YML["outputs"])
    assert all(len(values) == 1 for values in records.values())
    json.loads(records["report"][0])


def check_markdown(text: str) -> None:
    """Our own markup only: hostile text is shown, never interpreted."""
    ours = re.sub(r"<!-- os-tooling:[a-z-]+ -->|</?sub>|<br>", "", text)
    assert "<" not in ours, ours
    outside_code = re.sub(r"`[^`\n]*`", "", ours)
    assert "@acme" not in outside_code
    assert not re.search(r"(?<!\\)\]\(javascript", outside_code)  # only escaped \[..\](..)
    assert not re.search(r"^\s*(#|\|---)", "\n".join(
        line for line in outside_code.split("\n") if "hostile" in line or "injection" in line), re.M)


def assert_no_shell_ran(*places: Path) -> None:
    for place in places:
        assert not list(place.rglob(PWNED)), f"a shell ran hostile input in {place}"


@pytest.fixture
def capi(tmp_path):
    git = GitRepo(tmp_path / "capi")
    git.write("os-tooling.yaml", EXAMPLE_MANIFEST.read_text())
    base = git.commit("base")
    git.tag("v1.4.0", "os-tooling 1.4.0")
    return git, base


def hostile_manifest(*texts: str) -> str:
    """One tool per hostile text, the text as its name, version and a provider."""
    lines = ["tools:"]
    for text in texts:
        quoted = json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar
        lines += [f"  - name: {quoted}", "    # renovate: datasource=github-releases depName=a/b",
                  f"    version: {quoted}", f"    providers: [capa, {quoted}]"]
    return "\n".join(lines) + "\n"


def test_hostile_manifest_values(tmp_path, capi):
    """Every hostile text at once (one subprocess per command keeps the suite fast)."""
    git, base = capi
    git.write("os-tooling.yaml", hostile_manifest(*HOSTILE))
    head = git.commit("hostile")
    payload = pull_request_payload(3, base, head, title=HOSTILE[0],
                                   labels=[f"release/{h}" for h in HOSTILE])
    for command in ("validate", "plan"):
        result = run_action(tmp_path / command, git.path,
                            {"command": command, "token": TOKEN, "format": "text"},
                            "pull_request", payload)
        assert result.code == 1, result.stdout + result.stderr
        check_log(result)
        check_outputs(result)
        check_markdown(result.summary)
        errors = result.annotations("error")
        assert len(errors) >= 3 * len(HOSTILE)  # name, version and provider of each tool
        assert all(e.properties.get("file") == "os-tooling.yaml" for e in errors)
        for hostile in HOSTILE:  # each one is shown, as data (repr-quoted, cut when long)
            assert any(repr(hostile)[1:12] in e.data for e in errors), hostile
    assert_no_shell_ran(tmp_path, git.path)


def test_hostile_labels_and_title_reach_the_comment_escaped(tmp_path, capi, github_fake):
    git, base = capi
    git.write("os-tooling.yaml", EXAMPLE_MANIFEST.read_text().replace("17.4.2", "17.5.0"))
    head = git.commit("bump")
    repo = github_fake.import_git(git.path, REPO)
    pull = repo.add_pull(title=HOSTILE[-1], head_sha=head)
    payload = pull_request_payload(pull.number, base, head, title="\n".join(HOSTILE),
                                   labels=[*(f"release/{h}" for h in HOSTILE), *HOSTILE])
    result = run_action(tmp_path / "run", git.path,
                        {"command": "plan", "token": TOKEN, "comment": "true"},
                        "pull_request", payload, github_fake.env(token=None))
    assert result.code == 1  # an unknown release level in a label is a finding
    check_log(result)
    check_outputs(result)
    [comment] = repo.comments.values()
    check_markdown(comment.body)
    check_markdown(result.summary)
    assert comment.body.count("<!-- os-tooling:plan -->") == 1
    assert comment.body.count("unknown release level") == len(HOSTILE)
    assert_no_shell_ran(tmp_path, git.path)


def test_hostile_file_paths(tmp_path, capi):
    git, _ = capi
    hostile_dir = "a%0A::set-env name=X::y,line=9:b ##[error]c `touch " + PWNED + "` $(touch " + PWNED + ")"
    target = git.path / hostile_dir / "os-tooling.yaml"
    target.parent.mkdir()
    target.write_text(hostile_manifest("bad name"))  # one finding, at the hostile path
    result = run_action(tmp_path / "run", git.path, {
        "command": "validate", "token": TOKEN,
        "manifest": f"{hostile_dir}/os-tooling.yaml\n{hostile_dir}/missing.yaml"})
    assert result.code == 2  # the second file cannot be read
    check_log(result)
    [error] = result.annotations("error")
    assert hostile_dir in error.data and "no such file" in error.data
    first = run_action(tmp_path / "first", git.path, {
        "command": "validate", "token": TOKEN, "manifest": f"{hostile_dir}/os-tooling.yaml"})
    assert first.code == 1
    check_log(first)
    check_outputs(first)
    check_markdown(first.summary)
    assert {e.properties["file"] for e in first.annotations("error")} == {
        f"{hostile_dir}/os-tooling.yaml"}
    assert_no_shell_ran(tmp_path, git.path)


@pytest.mark.parametrize("name, value", [
    ("base-ref", f"$(touch {PWNED})"),
    ("base-ref", f"--output={PWNED}"),
    ("manifest", "--help"),
    ("manifest", f"`touch {PWNED}`"),
    ("current-version", f"1.0.0;touch {PWNED}"),
    ("labels", f"release/$(touch {PWNED})"),
    ("tag-prefix", f"v$(touch {PWNED})"),
])
def test_hostile_inputs_are_values_never_shell_or_options(tmp_path, capi, name, value):
    git, _ = capi
    inputs = {"command": "plan", "token": TOKEN, "base-ref": "v1.4.0", name: value}
    result = run_action(tmp_path / "run", git.path, inputs)
    assert result.code in (0, 1, 2), result.stdout + result.stderr  # 3 would be a crash
    check_log(result)
    assert "usage:" not in result.stdout + result.stderr  # never parsed as an option
    assert_no_shell_ran(tmp_path, git.path, Path.cwd())


def test_hostile_release_cr_through_the_gate_comment(tmp_path, github_fake):
    root = make_releases_repo(tmp_path / "releases")
    git = GitRepo(root)
    base = git.commit("releases")
    path = root / "capa/v34.5.0/release.yaml"
    hostile = "aws-34.5.0\\n::set-env name=X::y <img src=x> `touch x` @acme/admins"
    path.write_text(path.read_text().replace("name: aws-34.5.0", f'name: "{hostile}"'))
    head = git.commit("hostile")
    repo = github_fake.import_git(root, "acme/releases")
    pull = repo.add_pull(title="x", head_sha=head)
    result = run_action(tmp_path / "run", root,
                        {"command": "gate", "token": TOKEN, "catalog": str(CATALOG),
                         "comment": "true"},
                        "pull_request", pull_request_payload(pull.number, base, head,
                                                             repo="acme/releases"),
                        {**github_fake.env(token=None), "GITHUB_REPOSITORY": "acme/releases"})
    assert result.code == 1
    check_log(result)
    check_outputs(result)
    check_markdown(result.summary)
    [comment] = repo.comments.values()
    check_markdown(comment.body)
    assert any("::set-env" in e.data for e in result.annotations("error"))  # shown as data


@pytest.mark.parametrize("hostile", HOSTILE)
def test_annotation_properties_and_data_are_escaped(hostile, monkeypatch):
    from os_tooling.action.runner import Annotation, Runner

    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        Runner().annotate(Annotation("error", hostile, file=hostile, line=3, column=4,
                                     title=hostile))
        Runner().log_untrusted(hostile + "\n" + hostile)
    log = parse_log(buffer.getvalue())
    [error] = log.named("error")
    # one line each, control characters shown as escapes (\n, \r, \x1b): nothing to forge with
    shown = plain(hostile)
    assert error.data == shown and error.properties["file"] == shown
    assert error.properties["title"] == shown and error.properties["line"] == "3"
    assert {c.name for c in log.commands} == {"error", "stop-commands", "resume-commands"}
    assert not log.unclosed_stop


def test_output_values_cannot_forge_records(tmp_path, monkeypatch):
    from os_tooling.action.runner import Runner

    output = tmp_path / "output"
    output.touch()
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    value = "x\nok<<EOF\ntrue\nEOF\nreport=forged\nghadelimiter_0\n"
    Runner().set_outputs({"report": value, "ok": "false"})
    records = parse_file_commands(output.read_text())
    assert records == {"report": [plain(value)], "ok": ["false"]}  # one line, \n shown
    with pytest.raises(ValueError):
        Runner().set_outputs({"bad\nname": "x"})


def test_token_is_masked_before_anything_else_even_on_failure(tmp_path, capi):
    git, _ = capi
    result = run_action(tmp_path / "run", git.path, {"command": "nope", "token": f"  {TOKEN}\n"})
    assert result.code == 2
    assert result.stdout.split("\n", 1)[0] == f"::add-mask ::{TOKEN}"
    check_log(result)


# -- no shell anywhere between the runner and the code ----------------------------------------
def test_dockerfile_entrypoint_is_exec_form_and_has_no_shell_cmd():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    instructions = re.findall(r"^(ENTRYPOINT|CMD|SHELL)\s+(.*)$", text, re.M)
    assert [i[0] for i in instructions] == ["ENTRYPOINT"]
    entrypoint = json.loads(instructions[0][1])
    assert entrypoint == ["/opt/os-tooling/bin/python", "-m", "os_tooling.action"]


def test_action_yml_passes_inputs_only_as_environment():
    runs = ACTION_YML["runs"]
    assert runs == {"using": "docker", "image": "Dockerfile"}  # no args, entrypoint or env
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert text.count("${{") == 1 and "default: ${{ github.token }}" in text


def test_no_shell_in_the_code_the_entrypoint_runs():
    offenders = []
    for path in (ROOT / "src" / "os_tooling").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for pattern in (r"shell\s*=\s*True", r"\bos\.system\(", r"\bos\.popen\(",
                        r"\bsubprocess\.getoutput\(", r"\bsubprocess\.getstatusoutput\("):
            if re.search(pattern, source):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert not offenders
