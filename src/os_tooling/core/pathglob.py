"""Glob patterns for repository paths (``policy.imageInputs.paths``). Pure: no I/O.

Paths are relative to the repository root, with ``/`` between directories. In a pattern:

- ``*`` matches any characters except ``/`` (it never crosses a directory), ``?`` one such
  character, ``[abc]``/``[a-z]``/``[!abc]`` one character of (not of) a set, never ``/``;
- ``**`` as a whole segment matches zero or more directories: ``ansible/**`` is everything
  under ``ansible/``, ``**/*.json`` every JSON file, ``a/**/b`` ``a/b`` and ``a/x/y/b``;
- everything else is literal and case-sensitive; a leading dot is not special.

``fnmatch`` is not used: its ``*`` crosses ``/``, so ``packer/*.json`` would match
``packer/old/x.json``; nor is a regex translation (see the matcher below).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

MAX_PATTERN_LENGTH = 256
MAX_PATTERNS = 100  # per manifest: matching costs patterns x files x pattern length


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
    return _compile(pattern).matches(path)


def matching(patterns: tuple[str, ...] | list[str], paths: list[str]) -> list[str]:
    """The ``paths`` that match at least one of ``patterns``, in the order given."""
    compiled = [_compile(p) for p in patterns]
    return [path for path in paths if any(c.matches(path) for c in compiled)]


# -- matching without backtracking ----------------------------------------------------------------
# A pattern comes from a pull request: a regex translation backtracks exponentially on
# '**/**/**/...' or '*a*a*a*...b'. The matcher below walks the tokens once per path position
# (time: tokens x path length), so any pattern of at most MAX_PATTERN_LENGTH is harmless.
_LITERAL, _ONE, _STAR, _DIRS, _REST = range(5)


@dataclass(frozen=True)
class _Token:
    kind: int
    char: str = ""  # _LITERAL
    ranges: tuple[tuple[str, str], ...] = ()  # _ONE with a set; empty: any character but '/'
    negate: bool = False

    def accepts(self, c: str) -> bool:
        if c == "/":
            return False
        if not self.ranges:
            return True
        return any(lo <= c <= hi for lo, hi in self.ranges) != self.negate


@dataclass(frozen=True)
class _Glob:
    tokens: tuple[_Token, ...]
    prefix: str  # literal start: a quick "no" for most paths

    def matches(self, path: str) -> bool:
        if not path.startswith(self.prefix):
            return False
        n = len(path)
        after = [False] * n + [True]  # tokens[i+1:] match path[j:]; no tokens: only the end
        for token in reversed(self.tokens):
            here = [False] * (n + 1)
            if token.kind == _LITERAL:
                for j in range(n):
                    here[j] = after[j + 1] and path[j] == token.char
            elif token.kind == _ONE:
                for j in range(n):
                    here[j] = after[j + 1] and token.accepts(path[j])
            elif token.kind == _STAR:  # zero or more characters, not '/'
                here[n] = after[n]
                for j in range(n - 1, -1, -1):
                    here[j] = after[j] or (path[j] != "/" and here[j + 1])
            elif token.kind == _DIRS:  # zero or more whole directories: ("name/")*
                here[n] = after[n]
                inside = False  # path[j+1:] finishes a directory name, then its '/', then more
                for j in range(n - 1, -1, -1):
                    starts = path[j] != "/" and inside
                    inside = here[j + 1] if path[j] == "/" else inside
                    here[j] = after[j] or starts
            else:  # _REST: one or more characters of anything (a trailing '**')
                later = False
                for j in range(n - 1, -1, -1):
                    later = later or after[j + 1]
                    here[j] = later
            after = here
        return after[0]


@lru_cache(maxsize=256)
def _compile(pattern: str) -> _Glob:
    raw = pattern.split("/")
    segments = [s for k, s in enumerate(raw) if not (s == "**" and k and raw[k - 1] == "**")]
    tokens: list[_Token] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            tokens.append(_Token(_REST if last else _DIRS))
            continue
        tokens += _segment(segment)
        if not last:
            tokens.append(_Token(_LITERAL, "/"))
    prefix = ""
    for token in tokens:
        if token.kind != _LITERAL:
            break
        prefix += token.char
    return _Glob(tuple(tokens), prefix)


def _segment(segment: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            if not tokens or tokens[-1].kind != _STAR:  # '**' inside a segment is one '*'
                tokens.append(_Token(_STAR))
        elif c == "?":
            tokens.append(_Token(_ONE))
        elif c == "[" and (parsed := _char_class(segment, i)) is not None:
            end, token = parsed
            tokens.append(token)
            i = end
        else:
            tokens.append(_Token(_LITERAL, c))
        i += 1
    return tokens


def _char_class(segment: str, start: int) -> tuple[int, _Token] | None:
    """``[...]`` starting at ``start``: (index of its ']', token), or None when unclosed."""
    i = start + 1
    negate = i < len(segment) and segment[i] in "!^"
    if negate:
        i += 1
    first = i
    while i < len(segment) and (segment[i] != "]" or i == first):
        i += 1  # a ']' right after '[' or '[!' is a member, as in fnmatch
    if i >= len(segment):
        return None
    body = segment[first:i]
    ranges: list[tuple[str, str]] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            ranges.append((body[k], body[k + 2]))
            k += 3
        else:
            ranges.append((body[k], body[k]))
            k += 1
    return i, _Token(_ONE, ranges=tuple(ranges), negate=negate)
