"""The action's entrypoint: inputs and event -> an ``os-tooling`` command -> runner files."""

from __future__ import annotations

import json
import os

from os_tooling.action.cli_run import run_once
from os_tooling.action.commands import COMMANDS, OUTPUTS
from os_tooling.action.comment import post_comment
from os_tooling.action.inputs import Inputs
from os_tooling.action.runner import Annotation, Runner
from os_tooling.adapters.github_event import read_event
from os_tooling.core.escape import json_text, md
from os_tooling.errors import ExitCode, UsageError

EXIT_OK, EXIT_FINDING, EXIT_USAGE, EXIT_INTERNAL = (ExitCode.OK, ExitCode.FINDING, ExitCode.USAGE,
                                                  ExitCode.INTERNAL)
LOG_FORMATS = ("text", "json", "markdown")


def main() -> int:
    runner = Runner()
    inputs = Inputs()
    token = inputs.get("token")
    runner.mask(token)  # first thing: nothing after this can show it
    try:
        return run(runner, inputs, token)
    except UsageError as exc:
        runner.annotate(Annotation("error", f"os-tooling action: {exc}", title="os-tooling"))
        _finish_outputs(runner, EXIT_USAGE)
        return EXIT_USAGE
    except Exception as exc:  # one annotation, never a traceback (unless debugging)
        if os.environ.get("OS_TOOLING_DEBUG"):
            raise
        runner.annotate(Annotation("error", f"os-tooling action: internal error: "
                                   f"{type(exc).__name__}: {exc}", title="os-tooling"))
        _finish_outputs(runner, EXIT_INTERNAL)
        return EXIT_INTERNAL


def run(runner: Runner, inputs: Inputs, token: str) -> int:
    name = inputs.get("command")
    if not name:
        raise UsageError(f"the input 'command' is required (one of: {', '.join(COMMANDS)})")
    spec = COMMANDS.get(name)
    if spec is None:
        raise UsageError(f"unknown command {name!r} (one of: {', '.join(COMMANDS)})")
    log_format = inputs.choice("format", LOG_FORMATS, "markdown")
    workdir = inputs.get("working-directory")
    if workdir:
        try:
            os.chdir(workdir)
        except OSError as exc:
            raise UsageError(f"cannot use working-directory {workdir!r}: "
                             f"{exc.strerror or exc}") from None
    event = read_event()
    argv = spec.argv(inputs, event)  # the GitHub client reads the token from INPUT_TOKEN

    with runner.group(f"os-tooling {name}"):
        result = run_once(argv)  # once: every format below is rendered from this outcome
        if result.err.strip():
            runner.log_untrusted(result.err)
        outcome = result.outcome
        data = outcome.data() if result.code in (EXIT_OK, EXIT_FINDING) else None
        if not isinstance(data, dict):
            return _failed(runner, name, result.code, result.err)
        markdown = (outcome.render("markdown") or "").rstrip("\n")
        runner.log_untrusted(outcome.render(log_format) or "")

    for annotation in spec.annotations(data):
        runner.annotate(annotation)
    outputs = {key: "" for key in OUTPUTS}
    outputs.update(spec.outputs(data))
    if spec.after is not None and result.code == EXIT_OK:
        outputs.update(spec.after(runner, inputs, event, data))
    outputs.update(ok=_bool(result.code == EXIT_OK),
                   report=json_text(json.dumps(data, ensure_ascii=False)),
                   **{"exit-code": str(result.code)})
    runner.set_outputs(outputs)
    runner.summary(markdown)
    if spec.comment and inputs.flag("comment"):
        post_comment(runner, event, name, markdown, token)
    elif inputs.flag("comment"):
        runner.log(f"note: {name} does not post PR comments; the report is in the step summary")
    return result.code


def _failed(runner: Runner, name: str, code: int, err: str) -> int:
    """No JSON report: bad input, unreadable file, a finding told on stderr, internal error."""

    code = EXIT_INTERNAL if code == EXIT_OK else code  # 0 without a report is a bug
    lines = [line for line in err.splitlines() if line.strip()] or [
        f"os-tooling {name} printed no report (exit {code})"]
    for line in lines[-5:]:
        runner.annotate(Annotation("error", line, title=f"os-tooling {name}"))
    heading = "failed" if code == EXIT_FINDING else "could not run"
    runner.summary(f"### os-tooling {name}: {heading} :x:\n\n" +
                   "\n".join(f"> {md(line)}" for line in lines[-5:]))
    _finish_outputs(runner, code)
    return code


def _finish_outputs(runner: Runner, code: int) -> None:
    """Every declared output is set, also when the command could not run."""
    if "ok" in runner.outputs_written:
        return
    outputs = {key: "" for key in OUTPUTS}
    outputs.update(ok="false", **{"exit-code": str(code)})
    try:
        runner.set_outputs(outputs)
    except OSError:
        pass


def _bool(value: bool) -> str:
    return "true" if value else "false"
