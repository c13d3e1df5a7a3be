"""Run an ``os-tooling`` command once, in this process, and keep its Outcome.

The action renders every format it needs (the JSON for its outputs, the Markdown for the
summary and the comment, the log's format) from this one Outcome: the command, and every
look-up it makes in the image stores and on GitHub, runs once per job.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from os_tooling.cli.main import run
from os_tooling.core.escape import one_line
from os_tooling.report.reporter import Outcome


@dataclass(frozen=True)
class CliRun:
    outcome: Outcome
    err: str  # what went to stderr: warnings while running, the outcome's error lines

    @property
    def code(self) -> int:
        return self.outcome.code


def run_once(argv: list[str]) -> CliRun:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        _args, outcome = run(argv)
    command = argv[0] if argv else "?"
    lines = [out.getvalue(), err.getvalue()]  # a command prints no report itself: keep anything
    lines += [f"os-tooling {command}: {one_line(message)}\n" for message in outcome.errors]
    return CliRun(outcome, "".join(lines))
