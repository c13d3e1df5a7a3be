"""Rewriting the os-tooling component keeps every other byte of a Release CR."""

from pathlib import Path

import pytest

from os_tooling.core.cr_edit import EditError, set_component_version
from tests.helpers import ROOT

# Real Release CRs from the public releases repository.
SAMPLES = ROOT / "tests" / "data" / "releases-sample"


def sample_files():
    return [f for f in sorted(SAMPLES.rglob("release.yaml")) if "name: os-tooling" in f.read_text()]


def test_there_are_real_samples_to_check():
    assert len(sample_files()) >= 5


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: "/".join(Path(p).parts[-3:]))
def test_only_the_version_changes(path):
    text = path.read_text()
    new, old = set_component_version(text, "os-tooling", "9.8.7", str(path))
    assert old in text
    before, after = text.splitlines(keepends=True), new.splitlines(keepends=True)
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1
    a, b = changed[0]
    assert a.replace(old, "9.8.7", 1) == b


@pytest.mark.parametrize("text,expected", [
    ("spec:\n  components:\n  - name: os-tooling\n    version: \"1.2.3\"  # pinned\n",
     "spec:\n  components:\n  - name: os-tooling\n    version: \"2.0.0\"  # pinned\n"),
    ("spec:\r\n  components:\r\n  - {name: os-tooling, version: 1.2.3}\r\n",
     "spec:\r\n  components:\r\n  - {name: os-tooling, version: 2.0.0}\r\n"),
    ("spec:\n  components:\n  - name: flatcar\n    version: 1.2.3\n  - version: '1.2.3'\n    name: os-tooling\n",
     "spec:\n  components:\n  - name: flatcar\n    version: 1.2.3\n  - version: '2.0.0'\n    name: os-tooling\n"),
])
def test_styles_are_kept(text, expected):
    assert set_component_version(text, "os-tooling", "v2.0.0")[0] == expected


@pytest.mark.parametrize("text,version,fragment", [
    ("spec:\n  components:\n  - name: flatcar\n    version: 1.2.3\n", "2.0.0", "no 'os-tooling' component"),
    ("spec: [\n", "2.0.0", "YAML syntax error"),
    ("spec:\n  components:\n  - name: os-tooling\n    version: 1.2.3\n", "two", "not a semantic version"),
    ("spec:\n  components:\n  - name: os-tooling\n    version: >-\n      1.2.3\n", "2.0.0", "by hand"),
])
def test_refusals_are_clear(text, version, fragment):
    with pytest.raises(EditError, match=fragment):
        set_component_version(text, "os-tooling", version)
