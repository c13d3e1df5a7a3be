"""Glob patterns for repository paths (``policy.imageInputs.paths``). Pure: no I/O.

Paths are relative to the repository root, with ``/`` between directories. In a pattern:

- ``*`` matches any characters except ``/`` (it never crosses a directory), ``?`` one such
  character, ``[abc]``/``[a-z]``/``[!abc]`` one character of (not of) a set, never ``/``;
- ``**`` as a whole segment matches zero or more directories: ``ansible/**`` is everything
  under ``ansible/``, ``**/*.json`` every JSON file, ``a/**/b`` ``a/b`` and ``a/x/y/b``;
- everything else is literal and case-sensitive; a leading dot is not special.

``fnmatch`` is not used: its ``*`` crosses ``/``, so ``packer/*.json`` would match
``packer/old/x.json``.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_PATTERN_LENGTH = 1024


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable repository path pattern, or None when it is."""
    if not pattern:
        return "an empty pattern matches nothing"
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"a pattern is at most {MAX_PATTERN_LENGTH} characters"
    if pattern.startswith("/"):
        return "patterns are relative to the repository root: leave out the leading '/'"
    if "\\" in pattern:
        return "use '/' between directories (a '\\' is not a path separator here)"
    if pattern.endswith("/"):
        return f"a pattern names files: write {pattern + '**'!r} for everything under a directory"
    for segment in pattern.split("/"):
        if segment in ("", ".", ".."):
            return "empty, '.' and '..' path segments are not allowed"
        if "**" in segment and segment != "**":
            return "'**' must be a whole path segment, e.g. 'ansible/**' or 'packer/**/*.json'"
    return None


def matches(pattern: str, path: str) -> bool:
    """Whether repository path ``path`` (``a/b/c.yml``) matches ``pattern``."""
    return _compile(pattern).fullmatch(path) is not None


def matching(patterns: tuple[str, ...] | list[str], paths: list[str]) -> list[str]:
    """The ``paths`` that match at least one of ``patterns``, in the order given."""
    compiled = [_compile(p) for p in patterns]
    return [path for path in paths if any(c.fullmatch(path) for c in compiled)]


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    segments = pattern.split("/")
    out = ""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            # zero or more whole directories (or, last, anything below: at least one segment)
            out += ".+" if last else "(?:[^/]+/)*"
            continue
        out += _segment(segment) + ("" if last else "/")
    return re.compile(out, re.DOTALL)


def _segment(segment: str) -> str:
    out = ""
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1  # unreachable for checked patterns; '**' inside a segment is one '*'
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end, body = _char_class(segment, i)
            if end is None:
                out += re.escape(c)  # no closing ']': a literal '['
            else:
                out += body
                i = end
        else:
            out += re.escape(c)
        i += 1
    return out


def _char_class(segment: str, start: int) -> tuple[int | None, str]:
    """``[...]`` starting at ``start``: (index of its ']', regex), or (None, "") when unclosed."""
    i = start + 1
    negate = i < len(segment) and segment[i] in "!^"
    if negate:
        i += 1
    first = i
    while i < len(segment) and (segment[i] != "]" or i == first):
        i += 1  # a ']' right after '[' or '[!' is a member, as in fnmatch
    if i >= len(segment):
        return None, ""
    members = segment[first:i].replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[") \
        .replace("]", "\\]")
    return i, f"(?!/)[{'^' if negate else ''}{members}]"  # a set never matches '/'
