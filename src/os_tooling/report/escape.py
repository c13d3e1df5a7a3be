"""Escaping untrusted text (tool names, versions, messages, file paths) for Markdown output."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def md(text: object) -> str:
    """Text safe inside a Markdown paragraph or table cell: no markup, no HTML, one line."""
    value = "" if text is None else str(text)
    value = value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return value.replace("@", "&#64;")  # no accidental @mentions; after escaping, so "#" stays bare


def md_code(text: object) -> str:
    """Inline code that cannot be broken out of: backticks and newlines are removed."""
    value = "" if text is None else str(text)
    value = value.replace("`", "'").replace("\r", " ").replace("\n", " ")
    value = value.replace("<", "‹").replace(">", "›")
    return f"`{value}`" if value else ""


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; cells must already be escaped."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
