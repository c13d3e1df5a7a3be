from os_tooling.report.policy_doc import render
from tests.helpers import ROOT


def test_versioning_policy_doc_is_generated_from_the_code():
    doc = (ROOT / "docs" / "versioning-policy.md").read_text()
    assert doc == render(), "docs/versioning-policy.md is stale: run `make docs`"
