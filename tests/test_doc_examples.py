"""README.md's and docs/gate.md's gate examples are what today's code prints (tests/doc_examples.py
runs every example's command on the real releases sample; `make docs` writes them)."""

from __future__ import annotations

import pytest

from tests import doc_examples


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return doc_examples.render_all()


@pytest.mark.parametrize("doc", doc_examples.DOCS, ids=lambda p: p.name)
def test_doc_examples_are_todays_output(doc, rendered):
    text = doc.read_text(encoding="utf-8")
    assert doc_examples.MARKED.search(text), f"{doc.name} has no generated example"
    assert doc_examples.update(text, rendered) == text, (
        f"{doc.name}: an example is stale: run `make docs`")


def test_every_example_is_shown_and_says_something(rendered):
    shown = {m["name"] for doc in doc_examples.DOCS
             for m in doc_examples.MARKED.finditer(doc.read_text(encoding="utf-8"))}
    assert shown == {e.name for e in doc_examples.EXAMPLES}
    for name, body in rendered.items():
        command, *output = body.splitlines()
        assert command.startswith("$ os-tooling ") and output, name
        assert "/tmp" not in body and "os-tooling-base-" not in body, name  # no temp paths
    assert rendered["gate-archived"].splitlines()[-1] == (
        "gate: ok: 3 releases moved to archived/ unchanged: nothing to gate")
    assert rendered["gate-near-miss"].count("--tooling-repo PATH") == 1
    assert "the same image exists for eks" in rendered["gate-near-miss"]


def test_a_stale_example_is_found_and_rewritten(rendered):
    doc = "<!-- generated: gate-archived -->\n```console\nold output\n```\n<!-- /generated -->\n"
    new = doc_examples.update(doc, rendered)
    assert "old output" not in new and rendered["gate-archived"] in new
    with pytest.raises(KeyError, match="no example named 'nope'"):
        doc_examples.update(doc.replace("gate-archived", "nope"), rendered)
