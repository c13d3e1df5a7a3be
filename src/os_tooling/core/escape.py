"""Escaping untrusted text (tool names, versions, messages, file paths, labels) for every report.

Everything a pull request brings can reach a report, and every report must show it inertly:

- Markdown (the sticky PR comment, the step summary, release notes): ``md`` for text, ``md_code``
  for inline code, ``table`` for tables. No markup, no HTML, no links (GitHub's extended
  autolinks ``www.``, ``scheme://`` and e-mail addresses are broken with a zero-width space),
  no ``@mention`` and no ``#123`` reference (a zero-width space after ``@`` and ``#``, as
  Renovate does), no cell split by a ``|`` (``table`` escapes every bare pipe of a cell, also
  inside code spans, where GFM still splits cells), one line.
- Terminal and log text: ``plain`` for one value (control and format characters, including
  newlines and Unicode bidi overrides, become visible escapes such as ``\\x1b``, ``\\n``,
  ``\\u202e``), ``lines`` for a report built line by line, ``terminal`` as the last guard over
  a whole report (keeps the newlines we put there, shows every other invisible character).
- JSON: ``json_text`` escapes what ``json.dumps(ensure_ascii=False)`` leaves raw (C1 controls,
  format characters, line separators, lone surrogates).

tests/test_hostile_reports.py renders every command's Markdown with cmark-gfm (GitHub's own
renderer) to hold this to account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Unicode categories Cc (controls), Cf (format: bidi overrides, zero-width characters, ...),
# Zl and Zp (line and paragraph separators) and Cs (lone surrogates, from undecodable file
# names). Written out so that importing this module costs nothing; a test checks the class
# against unicodedata for every code point.
_INVISIBLE_CLASS = (
    "\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]")
_INVISIBLE_BUT_NEWLINE = re.compile(f"[{_INVISIBLE_CLASS.replace(chr(0) + '-' + chr(0x1f), '')}"
                                    "\x00-\x09\x0b-\x1f]")
# characters that end a line for a reader of Markdown, a terminal or str.splitlines()
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# what json.dumps leaves raw: it escapes C0 controls inside strings itself, and the newlines of
# its indentation stand outside strings
_JSON_RAW = re.compile(f"[{_INVISIBLE_CLASS.replace(chr(0) + '-' + chr(0x1f), '')}]")

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_ZWSP = "&#8203;"  # zero-width space: GitHub shows nothing, but no link or mention can form
_MD_INERT = re.compile(r"(@)|(\\#)(?=\d)|(:)(?=//)|(www)(?=\.)", re.IGNORECASE)
_BARE_PIPE = re.compile(r"(?<!\\)\|")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    if point <= 0xFF:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def _str(text: object) -> str:
    return "" if text is None else str(text)


# -- terminal and log text ----------------------------------------------------------------------
def plain(text: object) -> str:
    """One line of untrusted text for a terminal or a log: nothing invisible stays raw."""
    return _INVISIBLE.sub(_visible, _str(text))


def lines(items: Iterable[object]) -> str:
    """A text report from its lines, each shown with ``plain`` (no line can forge another)."""
    return "\n".join(plain(item) for item in items)


def terminal(text: object) -> str:
    """A whole text report: its newlines stay, every other invisible character is shown."""
    return _INVISIBLE_BUT_NEWLINE.sub(_visible, _str(text))


def one_line(text: object) -> str:
    """An error message for stderr or an annotation: whitespace runs folded, then ``plain``."""
    return plain(" ".join(_str(text).split()))


# -- JSON ---------------------------------------------------------------------------------------
def _json_escape(match: re.Match[str]) -> str:
    data = match.group().encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{int.from_bytes(data[i:i + 2], 'big'):04x}" for i in range(0, len(data), 2))


def json_text(text: str) -> str:
    """JSON from ``json.dumps(..., ensure_ascii=False)`` with no raw invisible character left.

    Such characters can only stand inside JSON strings, where ``\\uXXXX`` means the same.
    """
    return _JSON_RAW.sub(_json_escape, text)


# -- Markdown -----------------------------------------------------------------------------------
def md(text: object) -> str:
    """Text safe inside a Markdown paragraph or table cell: no markup, no HTML, no link, no
    mention, one line."""
    value = plain(_LINE_BREAKS.sub(" ", _str(text)))
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return _MD_INERT.sub(lambda m: m.group() + _ZWSP, value)


def md_code(text: object) -> str:
    """Inline code that cannot be broken out of: backticks become quotes, one line.

    GitHub links nothing inside code; a ``|`` in it is escaped by ``table`` when the span
    stands in a table cell (GFM splits cells before it sees code spans).
    """
    value = plain(_LINE_BREAKS.sub(" ", _str(text)))
    value = value.replace("`", "'").replace("<", "‹").replace(">", "›")
    return f"`{value}`" if value else ""


def _cell(text: str) -> str:
    return _BARE_PIPE.sub(r"\\|", _LINE_BREAKS.sub(" ", text))


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table. Cells must already be escaped (``md``, ``md_code``); every bare ``|``
    left in a cell (inside a code span) is escaped here, so no cell can split into more."""
    lines_ = ["| " + " | ".join(_cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines_ += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines_)
