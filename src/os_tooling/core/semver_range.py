"""Version ranges as the releases repository's Go code reads them: ``ParseRange`` and ``Parse``
of blang/semver v4, ported rule for rule (pure, no I/O).

The releases repository checks its ``requests.yaml`` with these two functions, so the gate must
read every range exactly as they do, quirks included; a range that blang accepts must not be an
error here, and the other way round. No Python library reads this grammar (python-semver matches
one comparison at a time, node-semver reads npm's grammar, which treats prereleases, ``x`` and
``!=`` differently), hence this port. The grammar, as blang implements it:

- a version is strict semver ``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]``: three numbers without
  leading zeros (at most 2^64-1), no ``v`` prefix, no ``1.2`` shorthand;
- a comparison is an operator and a version: ``>``, ``>=``, ``<``, ``<=``, ``=``/``==``/none,
  ``!=``/``!``; spaces after ``>``, ``<`` and ``=`` are allowed (``>= 1.2.3``), so is none;
- comparisons separated by spaces must all hold (and); ``||`` separates alternatives (or);
- ``x`` wildcards: ``1.2.x`` means ``>=1.2.0 <1.3.0``, ``>1.x`` means ``>=2.0.0``,
  ``<=1.2.x`` means ``<1.3.0``, ``!=1.x`` means ``<1.0.0`` or ``>=2.0.0`` ... (see
  ``_expand_wildcards``);
- versions are ordered as semver orders them: a prerelease is lower than its release, numeric
  prerelease parts are lower than alphanumeric ones, build metadata never counts. Unlike npm,
  ``>=1.0.0`` contains ``2.0.0-rc.1``.

Quirks kept on purpose (blang has them, so the releases repository has them): a part of one
character between spaces is ignored (``>=1.0.0 x`` is ``>=1.0.0``), and an unknown operator in
front of a wildcard version is dropped (``~1.2.x`` means ``=1.2.0``). Where blang would panic
while matching (an empty alternative, ``a || || b``), this is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_RANGE_LENGTH = 1000  # a real range is a few dozen characters
_UINT64_MAX = 2**64 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")
_ALPHANUM = re.compile(r"[0-9A-Za-z-]+")
_GO_ATOI = re.compile(r"[+-]?[0-9]+")
# what Go's strings.TrimSpace trims (unicode.IsSpace); str.strip() also trims \x1c-\x1f
_GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
             "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


class RangeError(ValueError):
    """The text is not a version or range blang would read."""


# -- versions (blang's Parse and Compare) --------------------------------------------------------
@dataclass(frozen=True)
class PreId:
    number: int | None  # numeric identifier
    text: str = ""  # alphanumeric identifier

    def compare(self, other: PreId) -> int:
        if self.number is not None and other.number is None:
            return -1
        if self.number is None and other.number is not None:
            return 1
        if self.number is not None and other.number is not None:
            return (self.number > other.number) - (self.number < other.number)
        return (self.text > other.text) - (self.text < other.text)

    def __str__(self) -> str:
        return str(self.number) if self.number is not None else self.text


@dataclass(frozen=True)
class SemVer:
    major: int
    minor: int
    patch: int
    pre: tuple[PreId, ...] = ()
    build: tuple[str, ...] = ()

    def compare(self, other: SemVer) -> int:
        for mine, theirs in ((self.major, other.major), (self.minor, other.minor),
                             (self.patch, other.patch)):
            if mine != theirs:
                return 1 if mine > theirs else -1
        if not self.pre and not other.pre:
            return 0
        if not self.pre:
            return 1
        if not other.pre:
            return -1
        for mine_id, their_id in zip(self.pre, other.pre, strict=False):
            result = mine_id.compare(their_id)
            if result:
                return result
        return (len(self.pre) > len(other.pre)) - (len(self.pre) < len(other.pre))

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + ".".join(str(p) for p in self.pre)
        if self.build:
            text += "+" + ".".join(self.build)
        return text


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _number(text: str, what: str) -> int:
    if not _DIGITS.fullmatch(text):
        if text == "":
            raise RangeError(f"empty {what} number")
        raise RangeError(f"invalid character(s) in {what} number {_short(text)!r}")
    if len(text) > 1 and text[0] == "0":
        raise RangeError(f"{what} number {_short(text)!r} must not have leading zeroes")
    if len(text) > 20 or int(text) > _UINT64_MAX:
        raise RangeError(f"{what} number {_short(text)!r} is too large")
    return int(text)


def parse_version(text: str) -> SemVer:
    """blang's ``Parse``: strict semver, no ``v`` prefix, all three numbers."""
    if not isinstance(text, str):
        raise RangeError(f"expected a version string, got {type(text).__name__}")
    if text == "":
        raise RangeError("empty version")
    if len(text) > MAX_RANGE_LENGTH:
        raise RangeError(f"version is {len(text)} characters long (at most {MAX_RANGE_LENGTH})")
    parts = text.split(".", 2)
    if len(parts) != 3:
        raise RangeError(f"{_short(text)!r} is not MAJOR.MINOR.PATCH")
    major = _number(parts[0], "major")
    minor = _number(parts[1], "minor")
    rest = parts[2]
    build: list[str] = []
    pre: list[str] = []
    if "+" in rest:
        rest, _, tail = rest.partition("+")
        build = tail.split(".")
    if "-" in rest:
        rest, _, tail = rest.partition("-")
        pre = tail.split(".")
    patch = _number(rest, "patch")
    pre_ids = tuple(_pre_id(p) for p in pre)
    for item in build:
        if item == "":
            raise RangeError(f"empty build metadata in {_short(text)!r}")
        if not _ALPHANUM.fullmatch(item):
            raise RangeError(f"invalid character(s) in build metadata {_short(item)!r}")
    return SemVer(major, minor, patch, pre_ids, tuple(build))


def _pre_id(text: str) -> PreId:
    if text == "":
        raise RangeError("empty prerelease identifier")
    if _DIGITS.fullmatch(text):
        if len(text) > 1 and text[0] == "0":
            raise RangeError(f"numeric prerelease {_short(text)!r} must not have leading zeroes")
        if len(text) > 20 or int(text) > _UINT64_MAX:
            raise RangeError(f"numeric prerelease {_short(text)!r} is too large")
        return PreId(int(text))
    if _ALPHANUM.fullmatch(text):
        return PreId(None, text)
    raise RangeError(f"invalid character(s) in prerelease {_short(text)!r}")


# -- ranges (blang's ParseRange) -------------------------------------------------------------------
_OPERATORS = {"": "=", "=": "=", "==": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<=",
              "!": "!=", "!=": "!="}


@dataclass(frozen=True)
class Comparison:
    op: str  # = != > >= < <=
    version: SemVer

    def holds(self, version: SemVer) -> bool:
        c = version.compare(self.version)
        return {"=": c == 0, "!=": c != 0, ">": c > 0, ">=": c >= 0, "<": c < 0,
                "<=": c <= 0}[self.op]

    def __str__(self) -> str:
        return f"{self.op}{self.version}"


@dataclass(frozen=True)
class Range:
    text: str  # as written
    alternatives: tuple[tuple[Comparison, ...], ...]  # or of ands

    def contains(self, version: SemVer) -> bool:
        return any(all(c.holds(version) for c in alt) for alt in self.alternatives)

    def __contains__(self, version: object) -> bool:
        return isinstance(version, SemVer) and self.contains(version)

    def __str__(self) -> str:
        return self.text


def parse_range(text: str) -> Range:
    """blang's ``ParseRange``; raises RangeError where it returns an error (or would panic)."""
    if not isinstance(text, str):
        raise RangeError(f"expected a range string, got {type(text).__name__}")
    if len(text) > MAX_RANGE_LENGTH:
        raise RangeError(f"range is {len(text)} characters long (at most {MAX_RANGE_LENGTH})")
    or_parts = _split_or_parts(_split_and_trim(text))
    alternatives = []
    for group in _expand_wildcards(or_parts):
        if not group:  # blang builds a nil function here and panics when matching reaches it
            raise RangeError("empty alternative between '||'")
        comparisons = []
        for part in group:
            op_text, version_text = _split_comparator_version(part)
            if op_text not in _OPERATORS:
                raise RangeError(f"unknown operator {_short(op_text)!r} in {_short(part)!r}")
            try:
                version = parse_version(version_text)
            except RangeError as exc:
                raise RangeError(f"cannot read version {_short(version_text)!r} in "
                                 f"{_short(part)!r}: {exc}") from None
            comparisons.append(Comparison(_OPERATORS[op_text], version))
        alternatives.append(tuple(comparisons))
    return Range(text, tuple(alternatives))


def _split_and_trim(text: str) -> list[str]:
    """Split at spaces, except spaces after ``>``, ``<`` or ``=``; then drop every space.

    Byte for byte as Go does it: a part must be longer than one byte to be kept."""
    data = text.encode("utf-8", "surrogatepass")
    result: list[bytes] = []
    last = 0
    last_char = 0
    for i, byte in enumerate(data):
        if byte == 0x20 and last_char not in b"><=":
            if last < i - 1:
                result.append(data[last:i])
            last = i + 1
        elif byte != 0x20:
            last_char = byte
    if last < len(data) - 1:
        result.append(data[last:])
    return [part.replace(b" ", b"").decode("utf-8", "surrogatepass") for part in result]


def _split_or_parts(parts: list[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    last = 0
    for i, part in enumerate(parts):
        if part == "||":
            if i == 0:
                raise RangeError("the range starts with '||'")
            groups.append(parts[last:i])
            last = i + 1
    if last == len(parts):
        raise RangeError("the range is empty" if not parts else "the range ends with '||'")
    groups.append(parts[last:])
    return groups


def _split_comparator_version(part: str) -> tuple[str, str]:
    """Operator = everything before the first decimal digit (Go's unicode.IsDigit)."""
    for i, char in enumerate(part):
        if char.isdecimal():
            return part[:i].strip(_GO_SPACE), part[i:]
    raise RangeError(f"no version in {_short(part)!r}")


def _go_atoi(text: str) -> int | None:
    """Go's strconv.Atoi: optional sign, ASCII digits, within int64; None on error."""
    if not _GO_ATOI.fullmatch(text) or len(text) > 25:
        return None
    value = int(text)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def _go_increment(value: int) -> int:
    """``i + 1`` on Go's 64-bit int (wraps around)."""
    return ((value + 1 - _INT64_MIN) % 2**64) + _INT64_MIN


def _increment(version: str, index: int) -> str:
    parts = version.split(".")
    if index >= len(parts):  # cannot happen for what reaches here; Go would panic
        raise RangeError(f"cannot read wildcard version {_short(version)!r}")
    number = _go_atoi(parts[index])
    if number is None:
        return ""
    parts[index] = str(_go_increment(number))
    return ".".join(parts)


def _wildcard_kind(version: str) -> int:
    """1, 2 or 3 for a wildcard major, minor or patch (``x``, ``1.x``, ``1.2.x``); else 0."""
    parts = version.split(".")
    return len(parts) if parts[-1] == "x" and len(parts) <= 3 else 0


def _flat_version(version: str) -> str:
    """``1.2.x`` -> ``1.2.0``; ``1.x`` and ``1.x.x`` -> ``1.0.0``."""
    flat = version.replace(".x.x", ".x", 1).replace(".x", ".0", 1)
    return flat + ".0" if len(flat.split(".")) == 2 else flat


def _expand_wildcards(groups: list[list[str]]) -> list[list[str]]:
    """blang's expandWildcardVersion, for every part that contains an ``x``:

    ``>=1.2.x`` -> ``>=1.2.0``; ``<=1.2.x`` -> ``<1.3.0``; ``>1.2.x`` -> ``>=1.3.0``;
    ``<1.2.x`` -> ``<1.2.0``; ``!=1.2.x`` -> ``<1.2.0 >=1.3.0``; ``1.2.x`` -> ``>=1.2.0 <1.3.0``;
    the same with ``1.x`` one level up (``>1.x`` -> ``>=2.0.0``). An operator it does not know
    is dropped (``~1.2.x`` -> ``1.2.0``); ``!=1.2.x`` keeps blang's meaning (both parts must
    hold, so it matches nothing)."""
    expanded: list[list[str]] = []
    for group in groups:
        parts: list[str] = []
        for part in group:
            if "x" in part:
                op, version = _split_comparator_version(part)
                kind = _wildcard_kind(version)
                flat = _flat_version(version)
                result_op, increment = "", False
                if op == ">":
                    result_op, increment = ">=", True
                elif op == ">=":
                    result_op = ">="
                elif op == "<":
                    result_op = "<"
                elif op == "<=":
                    result_op, increment = "<", True
                elif op in ("", "=", "=="):
                    parts.append(">=" + flat)
                    result_op, increment = "<", True
                elif op in ("!=", "!"):
                    parts.append("<" + flat)
                    result_op, increment = ">=", True
                if increment:
                    result_version = (_increment(flat, 1) if kind == 3 else
                                      _increment(flat, 0) if kind == 2 else "")
                else:
                    result_version = flat
                part = result_op + result_version
            parts.append(part)
        expanded.append(parts)
    return expanded
