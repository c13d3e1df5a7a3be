"""Read Markdown the way GitHub shows it: render it with cmark-gfm (GitHub's renderer, tables,
autolinks, tag filter) and check what a reader would see.

``check_markdown`` is the test for "untrusted text is inert": every table row splits into as
many cells as its header has (counted by the renderer itself), no link but the allowed ones,
no image, no HTML tag of our input, no ``@mention`` or ``#123`` reference outside code, and
no raw control or format character. ``check_text`` is the same for terminal output.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

# every tag our own reports use; anything else came from input
OUR_TAGS = {"p", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "strong", "em",
            "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "br", "sub", "a",
            "hr"}
OUR_COMMENT = re.compile(r" os-tooling:[a-z-]+ ")  # the sticky comment's marker
# Cc, Cf, Zl, Zp, Cs: what must never stand raw in a report (a test in test_hostile_reports
# checks this class against unicodedata)
INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
                       "\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
                       "\ud800-\udfff\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
                       "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
MENTION = re.compile(r"@[A-Za-z0-9]")  # GitHub links @user and @org/team in text
ISSUE_REF = re.compile(r"#[0-9]")  # and #123, owner/repo#123 (a back-reference there)
ZWSP = "\u200b"  # what the escaping puts after "@", "#", "www" and ":" to keep them inert


def render(markdown: str) -> str:
    """HTML as cmark-gfm renders it, raw HTML let through so that any would be seen."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


@dataclass
class Page:
    tags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # outside code, pre and our links
    header_cells: list[int] = field(default_factory=list)  # <th> per table


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.inert = 0  # depth inside code/pre/a: no mention is linked there

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append(tag)
        attributes = dict(attrs)
        if tag == "a":
            self.page.links.append(attributes.get("href") or "")
        if tag == "img":
            self.page.images.append(attributes.get("src") or "")
        if tag == "table":
            self.page.header_cells.append(0)
        if tag == "th":
            self.page.header_cells[-1] += 1
        if tag in ("code", "pre", "a"):
            self.inert += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "a"):
            self.inert -= 1

    def handle_comment(self, data: str) -> None:
        self.page.comments.append(data)

    def handle_data(self, data: str) -> None:
        if not self.inert:
            self.page.text.append(data)


def read(markdown: str) -> Page:
    reader = _Reader()
    reader.feed(render(markdown))
    reader.close()
    return reader.page


# -- tables ---------------------------------------------------------------------------------
_DELIMITER = re.compile(r"\|(\s*:?-+:?\s*\|)+")


def source_tables(markdown: str) -> list[tuple[int, list[str]]]:
    """``(columns, body rows)`` of each table of the Markdown source."""
    lines = markdown.split("\n")
    tables = []
    for i in range(len(lines) - 1):
        if lines[i].startswith("|") and _DELIMITER.fullmatch(lines[i + 1].strip()):
            columns = lines[i + 1].strip().count("|") - 1
            rows = []
            for line in lines[i + 2:]:
                if not line.startswith("|"):
                    break
                rows.append(line)
            tables.append((columns, rows))
    return tables


def cells_in_row(row: str) -> int:
    """How many cells cmark-gfm splits a table row into.

    A rendered table shows no more cells than its header has (extra ones are dropped), so the
    row is rendered under a wide header with a sentinel cell after it: the sentinel's index
    is the row's own cell count.
    """
    sentinel = "S" + secrets.token_hex(8)
    width = 64
    markdown = ("|" + " h |" * width + "\n" + "|" + "---|" * width + "\n"
                + row.rstrip() + f" {sentinel} |\n")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", render(markdown), re.S)
    found = [index for index, cell in enumerate(cells) if sentinel in cell]
    assert len(found) == 1, f"row has more than {width} cells or lost the sentinel: {row!r}"
    return found[0]


# -- checks ---------------------------------------------------------------------------------
def check_markdown(markdown: str, *, link_ok: Callable[[str], bool] = lambda href: False) -> Page:
    """Untrusted text in ``markdown`` renders inertly; returns what a reader sees."""
    raw = INVISIBLE.search(markdown.replace("\n", ""))
    assert raw is None, f"raw {raw.group()!r} in the Markdown source"
    tables = source_tables(markdown)
    page = read(markdown)
    assert len(page.header_cells) == len(tables), "a table lost its shape (or one was injected)"
    for (columns, rows), header in zip(tables, page.header_cells, strict=True):
        assert header == columns
        for row in rows:
            assert cells_in_row(row) == columns, f"row splits into other cells: {row!r}"
    assert not page.images, page.images
    bad_links = [href for href in page.links if not link_ok(href)]
    assert not bad_links, bad_links
    assert set(page.tags) <= OUR_TAGS, set(page.tags) - OUR_TAGS
    assert all(OUR_COMMENT.fullmatch(c) for c in page.comments), page.comments
    text = "".join(page.text)
    assert not MENTION.search(text), MENTION.findall(text)
    assert not ISSUE_REF.search(text), ISSUE_REF.findall(text)
    shown = INVISIBLE.search(text.replace("\n", "").replace(ZWSP, ""))
    assert shown is None, f"raw {shown.group()!r} in the rendered text"
    return page


def check_text(text: str, forged: str = "FORGED") -> None:
    """Terminal output: no raw control or format character, no line that input began."""
    raw = INVISIBLE.search(text.replace("\n", ""))
    assert raw is None, f"raw {raw.group()!r} in {text!r}"
    for line in text.split("\n"):
        assert not line.lstrip().startswith(forged), f"input began a line: {line!r}"
