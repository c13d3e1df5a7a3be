"""Run the action's entrypoint the way a GitHub runner does, and read what it wrote back.

``run_action`` starts ``python -m os_tooling.action`` in a subprocess with the environment a
runner sets for a Docker action (INPUT_*, GITHUB_EVENT_NAME/PATH, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_API_URL, ...). Its stdout is parsed
into workflow commands with the runner's own rules (``parse_log``): ``::cmd props::data`` at the
start of a line (after leading blanks), the legacy ``##[cmd props]data`` *anywhere* in a line,
and ``::stop-commands::TOKEN`` .. ``::TOKEN::`` during which nothing is a command. The output
file is parsed like the runner parses it (``parse_file_commands``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

TOKEN = "ghs_0123456789abcdefSECRETtoken"


@dataclass
class Command:
    name: str
    properties: dict[str, str]
    data: str
    line: str


@dataclass
class Log:
    commands: list[Command] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # lines shown as plain text
    unclosed_stop: bool = False

    def named(self, name: str) -> list[Command]:
        return [c for c in self.commands if c.name == name]


def _unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(value: str) -> str:
    return (value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


def _parse_command(line: str) -> Command | None:
    stripped = line.lstrip()
    if stripped.startswith("::"):  # the current form
        end = stripped.find("::", 2)
        if end < 0:
            return None
        info, data = stripped[2:end], stripped[end + 2:]
    else:  # the legacy form, recognised anywhere in the line
        start = line.lower().find("##[")
        if start < 0:
            return None
        end = line.find("]", start)
        if end < 0:
            return None
        info, data = line[start + 3:end], line[end + 1:]
    name, _, props = info.partition(" ")
    if not name:
        return None
    properties: dict[str, str] = {}
    for part in props.strip().split(",") if props.strip() else []:
        key, _, value = part.partition("=")
        properties[key] = _unescape_property(value)
    return Command(name, properties, _unescape_data(data), line)


def parse_log(stdout: str) -> Log:
    log = Log()
    stop_token: str | None = None
    for line in stdout.split("\n"):
        command = _parse_command(line)
        if stop_token is not None:
            if command is not None and command.name == stop_token and not command.properties:
                stop_token = None
                log.commands.append(Command("resume-commands", {}, "", line))
            else:
                log.text.append(line)
            continue
        if command is None:
            log.text.append(line)
            continue
        log.commands.append(command)
        if command.name == "stop-commands":
            stop_token = command.data
    log.unclosed_stop = stop_token is not None
    return log


def parse_file_commands(text: str) -> dict[str, list[str]]:
    """``NAME=value`` and ``NAME<<DELIM`` records, as the runner reads $GITHUB_OUTPUT."""
    records: dict[str, list[str]] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            name, value = line.split("=", 1)
        elif heredoc >= 0:
            name, delimiter = line.split("<<", 1)
            assert name and delimiter, f"malformed record {line!r}"
            body = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            assert i < len(lines), f"record {name!r} has no closing delimiter"
            i += 1
            value = "\n".join(body)
        else:
            raise AssertionError(f"malformed line in the output file: {line!r}")
        records.setdefault(name, []).append(value)
    return records


@dataclass
class ActionRun:
    code: int
    stdout: str
    stderr: str
    output_text: str
    summary: str
    log: Log

    @property
    def outputs(self) -> dict[str, str]:
        """The last value of each output (later records win, as on the runner)."""
        return {name: values[-1] for name, values in parse_file_commands(self.output_text).items()}

    @property
    def report(self) -> dict:
        return json.loads(self.outputs["report"])

    def annotations(self, kind: str | None = None) -> list[Command]:
        kinds = (kind,) if kind else ("error", "warning", "notice")
        return [c for c in self.log.commands if c.name in kinds]


def runner_env(tmp: Path, inputs: dict[str, str], event_name: str | None = None,
               payload: dict | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_", "OS_TOOLING_"))}
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "output").touch()
    (tmp / "summary").touch()
    env.update({
        "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_ACTION": "os-tooling",
        "GITHUB_OUTPUT": str(tmp / "output"), "GITHUB_STEP_SUMMARY": str(tmp / "summary"),
        "GITHUB_REPOSITORY": "acme/capi-image-builder", "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242", "GITHUB_SHA": "0" * 40, "RUNNER_TEMP": str(tmp),
    })
    if event_name:
        env["GITHUB_EVENT_NAME"] = event_name
    if payload is not None:
        (tmp / "event.json").write_text(json.dumps(payload), encoding="utf-8")
        env["GITHUB_EVENT_PATH"] = str(tmp / "event.json")
    for name, value in inputs.items():
        env["INPUT_" + name.replace(" ", "_").upper()] = value
    env.update(extra or {})
    return env


def run_action(tmp: Path, cwd: Path, inputs: dict[str, str], event_name: str | None = None,
               payload: dict | None = None, extra: dict[str, str] | None = None) -> ActionRun:
    env = runner_env(tmp, inputs, event_name, payload, extra)
    proc = subprocess.run([sys.executable, "-m", "os_tooling.action"], cwd=cwd, env=env,
                          capture_output=True, timeout=120)
    stdout = proc.stdout.decode("utf-8")
    return ActionRun(proc.returncode, stdout, proc.stderr.decode("utf-8"),
                     (tmp / "output").read_text(encoding="utf-8"),
                     (tmp / "summary").read_text(encoding="utf-8"), parse_log(stdout))


# -- event payloads, shaped like GitHub's webhooks (the fields actions read, and more) -----------
def _repo(full_name: str, fork: bool = False) -> dict:
    owner, name = full_name.split("/")
    return {"id": abs(hash(full_name)) % 10**8, "name": name, "full_name": full_name,
            "private": False, "fork": fork, "owner": {"login": owner, "type": "Organization"},
            "html_url": f"https://github.com/{full_name}", "default_branch": "main"}


def pull_request_payload(number: int, base_sha: str, head_sha: str, *, title: str = "Update",
                         labels: list[str] = (), action: str = "synchronize",
                         repo: str = "acme/capi-image-builder", head_repo: str | None = None,
                         head_ref: str = "renovate/teleport") -> dict:
    head_repo = head_repo or repo
    return {
        "action": action, "number": number,
        "pull_request": {
            "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
            "id": 10**9 + number, "number": number, "state": "open", "locked": False,
            "title": title, "body": "Generated change.", "draft": False,
            "user": {"login": "renovate[bot]", "type": "Bot"},
            "labels": [{"id": i + 1, "name": name, "color": "ededed", "default": False}
                       for i, name in enumerate(labels)],
            "head": {"label": f"{head_repo.split('/')[0]}:{head_ref}", "ref": head_ref,
                     "sha": head_sha, "repo": _repo(head_repo, fork=head_repo != repo)},
            "base": {"label": f"{repo.split('/')[0]}:main", "ref": "main", "sha": base_sha,
                     "repo": _repo(repo)},
            "merged": False, "mergeable": None, "commits": 1, "changed_files": 1,
            "author_association": "CONTRIBUTOR",
        },
        "repository": _repo(repo),
        "sender": {"login": "renovate[bot]", "type": "Bot"},
    }


def push_payload(before: str, after: str, *, repo: str = "acme/capi-image-builder",
                 message: str = "Merge pull request #7") -> dict:
    return {
        "ref": "refs/heads/main", "before": before, "after": after, "created": False,
        "deleted": False, "forced": False, "base_ref": None,
        "compare": f"https://github.com/{repo}/compare/{before[:12]}...{after[:12]}",
        "commits": [{"id": after, "message": message, "distinct": True,
                     "author": {"name": "dev", "email": "dev@example.invalid"}}],
        "head_commit": {"id": after, "message": message},
        "repository": _repo(repo), "pusher": {"name": "dev"},
        "sender": {"login": "dev", "type": "User"},
    }


def workflow_dispatch_payload(inputs: dict[str, str] | None = None,
                              repo: str = "acme/capi-image-builder") -> dict:
    return {"inputs": inputs or {}, "ref": "refs/heads/main", "repository": _repo(repo),
            "sender": {"login": "dev", "type": "User"}, "workflow": ".github/workflows/x.yaml"}
