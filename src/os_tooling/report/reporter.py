"""A command's outcome, rendered in every format from one result.

Each command's ``execute(args)`` returns an ``Outcome``: its exit code, the result object it
computed, and the ``Reporter`` that shows that kind of result (one renderer per format). The
CLI prints the one format it was asked for; the action renders the JSON (its outputs), the
Markdown (summary and PR comment) and the log's format from the very same result, so a command
runs, and asks the clouds, once per job, and the comment cannot disagree with the outputs.

``RENDERERS`` is the registry of formats: format name -> how a reporter's result becomes the
text that is printed. Every renderer ends with the escaping its format needs (``terminal`` for
text and Markdown, ``json_text`` for JSON), so whatever prints it prints nothing raw.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from os_tooling.core.escape import json_text, terminal

FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True)
class Reporter:
    """How one kind of result is shown. A renderer left out (None) prints nothing in that
    format (a command whose only report is a line on stderr)."""

    text: Callable[[Any], str] | None = None
    markdown: Callable[[Any], str] | None = None
    json: Callable[[Any], object] | None = None  # JSON-ready data (dicts, lists, strings, ...)

    @classmethod
    def of(cls, module: Any) -> Reporter:
        """A report module's ``text``, ``markdown`` and ``to_json``."""
        return cls(text=module.text, markdown=module.markdown, json=module.to_json)


def _text(reporter: Reporter, result: Any) -> str | None:
    return None if reporter.text is None else terminal(reporter.text(result))


def _markdown(reporter: Reporter, result: Any) -> str | None:
    return None if reporter.markdown is None else terminal(reporter.markdown(result))


def _json(reporter: Reporter, result: Any) -> str | None:
    if reporter.json is None:
        return None
    return json_text(json.dumps(reporter.json(result), indent=2, ensure_ascii=False))


# format -> renderer; the CLI's --format choices and the action's log formats
RENDERERS: dict[str, Callable[[Reporter, Any], str | None]] = {
    "text": _text, "json": _json, "markdown": _markdown}


@dataclass
class Outcome:
    """What one run of a command produced.

    ``errors`` are one-line messages for stderr, printed as ``os-tooling COMMAND: MESSAGE``
    (a finding told without a report, bad input, an internal error).
    """

    code: int
    result: Any = None
    reporter: Reporter | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def has_report(self) -> bool:
        return self.reporter is not None and self.reporter.json is not None

    def data(self) -> Any:
        """The JSON report as plain JSON values (what ``--format json`` prints, parsed)."""

        if not self.has_report:
            return None
        assert self.reporter is not None and self.reporter.json is not None
        return json.loads(json.dumps(self.reporter.json(self.result)))

    def render(self, fmt: str) -> str | None:
        """The report in ``fmt`` (a key of RENDERERS), escaped for printing; None: nothing."""
        if self.reporter is None:
            return None
        return RENDERERS[fmt](self.reporter, self.result)


def failed(code: int, message: object) -> Outcome:
    """No report, one line on stderr."""
    return Outcome(code, errors=[str(message)])
