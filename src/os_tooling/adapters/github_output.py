"""``--format github``: step outputs appended to ``$GITHUB_OUTPUT`` the way the action writes
them (``@actions/core``'s record form, as in github-action-utils): ``name<<DELIMITER``, the
value, ``DELIMITER``, with a fresh random delimiter that occurs in neither name nor value, so
no value can end its record early or add one. Standard library only: the CLI does not need the
action's extra to write them.
"""

from __future__ import annotations

import os
import re
import uuid

from os_tooling.errors import UsageError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")


def record(name: str, value: str) -> str:
    if not _NAME.fullmatch(name):
        raise UsageError(f"output name {name!r} is not a valid GitHub output name")
    delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
    while delimiter in value:  # never in practice; never trusted either
        delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def write_outputs(outputs: dict[str, str], environ: dict[str, str] | None = None) -> str:
    """Append every output to ``$GITHUB_OUTPUT``; returns the file's path."""
    env = os.environ if environ is None else environ
    path = env.get("GITHUB_OUTPUT", "")
    if not path:
        raise UsageError("--format github writes step outputs to $GITHUB_OUTPUT, which is not "
                         "set (run it in a GitHub Actions step, or use --format json)")
    text = "".join(record(name, value) for name, value in outputs.items())  # all or nothing
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write $GITHUB_OUTPUT {path!r}: {exc.strerror or exc}") from None
    return path
