"""The runner protocol in one place, on top of ``github-action-utils``.

Outputs go to ``$GITHUB_OUTPUT`` (random heredoc delimiters, names validated), the report to
``$GITHUB_STEP_SUMMARY``, annotations are workflow commands with escaped data and properties,
secrets are masked with ``::add-mask::``. Untrusted text printed to the log is wrapped in
``::stop-commands::<random token>`` so that nothing in it is read as a workflow command, not
even the legacy ``##[command]`` form that the runner still parses anywhere in a line.

Nothing reaches the runner with a raw control or format character (ANSI escapes colour and
rewrite the log; a bidi override reorders what a reviewer reads): annotations and outputs are
shown with ``escape.plain``, the log and the summary with ``escape.terminal``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import github_action_utils as gha

from os_tooling.core.escape import one_line, plain, terminal

ANNOTATION_KINDS = ("error", "warning", "notice")


@dataclass(frozen=True)
class Annotation:
    level: str  # error | warning | notice
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    title: str | None = None


class Runner:
    """Talks to the Actions runner. Without a runner (a local run) file commands are skipped."""

    def __init__(self) -> None:
        self.outputs_written: dict[str, str] = {}

    # -- secrets ------------------------------------------------------------------------------
    def mask(self, secret: str) -> None:
        if secret:
            gha.add_mask(secret)

    # -- outputs and summary -------------------------------------------------------------------
    def set_outputs(self, outputs: dict[str, str]) -> None:
        for name, value in outputs.items():
            value = plain(value)  # one line each; the JSON report comes escaped (json_text)
            self.outputs_written[name] = value
            if os.environ.get("GITHUB_OUTPUT"):
                gha.set_output(name, value)

    def summary(self, markdown: str) -> None:
        if os.environ.get("GITHUB_STEP_SUMMARY"):
            gha.append_job_summary(terminal(markdown))

    # -- log ----------------------------------------------------------------------------------
    def annotate(self, annotation: Annotation) -> None:
        emit = {"error": gha.error, "warning": gha.warning, "notice": gha.notice}[annotation.level]
        line = annotation.line if isinstance(annotation.line, int) and annotation.line > 0 else None
        col = annotation.column if isinstance(annotation.column, int) and annotation.column > 0 else None
        emit(plain(annotation.message), title=plain(annotation.title) or None,
             file=plain(annotation.file) or None,
             line=line if annotation.file else None, col=col if annotation.file and line else None)

    def log(self, message: str) -> None:
        """One line of our own wording (no untrusted text in it)."""
        sys.stdout.write(one_line(message) + "\n")
        sys.stdout.flush()

    def log_untrusted(self, text: str) -> None:
        """Report text that may hold anything: workflow commands are off while it prints."""
        sys.stdout.flush()
        text = terminal(text)
        with gha.stop_commands():
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()

    def group(self, title: str):
        return gha.group(title)
