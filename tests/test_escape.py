import pytest

from os_tooling.core.escape import md, md_code, table


@pytest.mark.parametrize("hostile,forbidden", [
    ("<img src=x onerror=alert(1)>", "<img"),
    ("a|b", "a|b"),
    ("line\n## heading", "\n"),
    ("`code` and ```fence```", "`code`"),
    ("[link](javascript:alert(1))", "[link]"),
    ("@everyone", "@everyone"),
    ("<!-- os-tooling-comment -->", "<!--"),
])
def test_md_neutralises_markup(hostile, forbidden):
    assert forbidden not in md(hostile)


def test_md_keeps_plain_text_readable():
    assert md("teleport 17.4.2 -> 17.5.0 (minor)") == "teleport 17.4.2 -&gt; 17.5.0 (minor)"
    # a zero-width space after "@" (as Renovate does): GitHub shows "@user", links no one.
    # An entity alone (&#64;) is not enough: cmark-gfm decodes it before it looks for e-mails
    assert md("@user") == "@&#8203;user"


def test_md_code_cannot_be_broken_out_of():
    assert md_code("a`b\nc") == "`a'b c`"
    assert md_code("") == ""


def test_table_shape():
    assert table(["A", "B"], [["1", "2"]]).splitlines() == ["| A | B |", "|---|---|", "| 1 | 2 |"]
