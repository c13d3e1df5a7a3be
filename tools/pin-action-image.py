#!/usr/bin/env python3
"""Point action.yml at a published image by digest: ``runs.image: docker://NAME@sha256:...``.

main's action.yml builds the image from the Dockerfile (``image: Dockerfile``); a release
commit names the image the release workflow pushed, by its digest, so a job pulls exactly
that image instead of building one (docs/action.md, "Releases of the action"). The release
workflow and the local registry round trip of ``make image-test`` both use this script.

    tools/pin-action-image.py action.yml ghcr.io/giantswarm/os-tooling@sha256:<64 hex>
    tools/pin-action-image.py --output pinned.yml action.yml 127.0.0.1:5000/os-tooling@sha256:...
    tools/pin-action-image.py --show pinned.yml     # prints the image reference it names

Only the ``image:`` line of the ``runs:`` block changes (comments and everything else stay
byte for byte). The reference must be a registry image by sha256 digest, nothing else: no
tag alone, no shell or YAML syntax. Standard library only (a runner's python3 runs it).
Exit 0; 2 with one line on stderr for bad input.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# registry host[:port]/path...@sha256:<64 hex>, as docker and GitHub's runner accept it
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?"
REFERENCE = re.compile(rf"^(?:docker://)?(?P<name>{_HOST}/{_COMPONENT}(?:/{_COMPONENT})*)"
                       r"@(?P<digest>sha256:[0-9a-f]{64})$")
_KEY = re.compile(r"^(?P<indent>[ ]+)(?P<key>[A-Za-z_-]+):[ ]*(?P<value>[^#\n]*?)[ ]*(?:#.*)?$")


class Refused(Exception):
    """Bad input: one line for stderr."""


def parse_reference(text: str) -> tuple[str, str]:
    """``(name, digest)`` of ``[docker://]host/path@sha256:...``."""
    match = REFERENCE.match(text)
    if match is None:
        raise Refused(f"not an image reference by digest (HOST/NAME@sha256:<64 hex>): {text!r}")
    return match["name"], match["digest"]


def _runs_block(lines: list[str]) -> tuple[int, int]:
    """Line indexes [start, end) of the top-level ``runs:`` mapping's body."""
    starts = [i for i, line in enumerate(lines) if re.match(r"^runs:[ ]*(?:#.*)?$", line)]
    if len(starts) != 1:
        raise Refused("action.yml has no single top-level 'runs:' block")
    end = starts[0] + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "#"))):
        end += 1
    return starts[0] + 1, end


def _runs_keys(lines: list[str]) -> dict[str, tuple[int, str]]:
    """The ``runs:`` block's own keys (first indentation level): key -> (line index, value)."""
    start, end = _runs_block(lines)
    keys: dict[str, tuple[int, str]] = {}
    indent = None
    for i in range(start, end):
        match = _KEY.match(lines[i])
        if match is None:
            continue
        if indent is None:
            indent = match["indent"]
        if match["indent"] == indent:
            if match["key"] in keys:
                raise Refused(f"runs.{match['key']} appears twice")
            keys[match["key"]] = (i, match["value"].strip().strip("'\""))
    return keys


def show(text: str) -> str:
    """The image reference a pinned action.yml names (without docker://)."""
    keys = _runs_keys(text.split("\n"))
    if "image" not in keys:
        raise Refused("action.yml has no runs.image")
    image = keys["image"][1]
    name, digest = parse_reference(image)
    return f"{name}@{digest}"


def pin(text: str, reference: str) -> str:
    """action.yml's text with runs.image set to ``docker://<reference>``."""
    name, digest = parse_reference(reference)
    lines = text.split("\n")
    keys = _runs_keys(lines)
    if keys.get("using", (0, ""))[1] != "docker":
        raise Refused("runs.using is not 'docker': not a Docker container action")
    if "image" not in keys:
        raise Refused("action.yml has no runs.image")
    index = keys["image"][0]
    indent = _KEY.match(lines[index])["indent"]  # type: ignore[index]
    lines[index] = f"{indent}image: docker://{name}@{digest}"
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pin-action-image.py", description=__doc__.split("\n")[0])
    parser.add_argument("action_yml", metavar="ACTION_YML")
    parser.add_argument("reference", metavar="IMAGE@sha256:DIGEST", nargs="?")
    parser.add_argument("--output", metavar="FILE", help="write here instead of ACTION_YML")
    parser.add_argument("--show", action="store_true",
                        help="print the image reference ACTION_YML names, change nothing")
    args = parser.parse_args(argv)
    try:
        text = Path(args.action_yml).read_text(encoding="utf-8")
        if args.show:
            print(show(text))
            return 0
        if not args.reference:
            raise Refused("give the image reference (HOST/NAME@sha256:<64 hex>)")
        pinned = pin(text, args.reference)
        Path(args.output or args.action_yml).write_text(pinned, encoding="utf-8")
    except Refused as exc:
        print(f"pin-action-image: {exc}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"pin-action-image: cannot use {args.action_yml!r}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
