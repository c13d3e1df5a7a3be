"""Generated Release CRs never crash the gate: every one gets a status, exit 0 or 1, never 3."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from os_tooling.cli.main import main
from os_tooling.core.gate_results import RELEASE_STATUSES
from os_tooling.core.release_cr import RELEASE_DIRECTORIES

pytestmark = pytest.mark.slow  # property tests: many generated examples

DIRECTORIES = sorted(RELEASE_DIRECTORIES)
versions = st.one_of(
    st.from_regex(r"v?(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})", fullmatch=True),
    st.sampled_from(["1.2", "latest", "", "1.0.0-rc.1", "1.0.0+build", "9" * 30 + ".0.0", "null"]),
    st.text(max_size=12),
    st.integers(), st.floats(allow_nan=True), st.none(), st.booleans(),
)
names = st.one_of(st.sampled_from(["flatcar", "kubernetes", "os-tooling", "flatcar-variant",
                                   "containerlinux", "cluster-aws"]), st.text(max_size=8))
components = st.lists(st.one_of(
    st.fixed_dictionaries({"name": names, "version": versions}),
    st.fixed_dictionaries({"name": names}),
    st.text(max_size=5), st.integers(), st.none()), max_size=6)
release_names = st.one_of(
    st.builds(lambda d, v: f"{RELEASE_DIRECTORIES[d][1]}{v}", st.sampled_from(DIRECTORIES), versions),
    st.from_regex(r"v[0-9]{1,2}\.[0-9]\.[0-9]", fullmatch=True), st.text(max_size=20), st.none(),
    st.integers())
documents = st.one_of(
    st.fixed_dictionaries(
        {"apiVersion": st.sampled_from(["release.giantswarm.io/v1alpha1", "v1", None]),
         "kind": st.sampled_from(["Release", "ConfigMap"]),
         "metadata": st.one_of(st.fixed_dictionaries({"name": release_names}), st.none(), st.text()),
         "spec": st.one_of(st.fixed_dictionaries(
             {"components": st.one_of(components, st.dictionaries(st.text(max_size=4), versions)),
              "state": st.sampled_from(["active", "deprecated", "preview"])}), st.none())}),
    st.recursive(st.one_of(st.none(), st.text(max_size=5), st.integers()),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4),
                                                                              inner, max_size=3),
                 max_leaves=10),
)
locations = st.tuples(st.sampled_from(DIRECTORIES), st.booleans(),
                      st.from_regex(r"v(0|[1-9][0-9]?)\.[0-9]\.[0-9]", fullmatch=True))


def gate(files: list[tuple[tuple, str | bytes]]) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "catalog.yaml").write_text("capa: [flatcar-stable-1.0.0-kube-1.0.0-tooling-1.0.0-gs]\n")
        paths = []
        for (directory, archived, folder), content in files:
            path = root / directory / ("archived" if archived else "") / folder / "release.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            paths.append(str(path))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["gate", *dict.fromkeys(paths), "--catalog", str(root / "catalog.yaml"),
                         "--repo-root", str(root), "--format", "json"])
        return code, out.getvalue(), err.getvalue()


def check(code: int, out: str, err: str, count: int) -> None:
    assert code in (0, 1), err
    data = json.loads(out)
    assert len(data["releases"]) == count
    for release in data["releases"]:
        assert release["status"] in RELEASE_STATUSES
        if release["status"] == "error":
            assert release["checks"] and all(c["message"] for c in release["checks"])
    assert data["ok"] == (code == 0)


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(locations, documents), min_size=1, max_size=4,
                unique_by=lambda item: item[0]))
def test_generated_release_documents_never_crash(items):
    files = [(loc, yaml.safe_dump(doc, allow_unicode=True)) for loc, doc in items]
    check(*gate(files), count=len(files))


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(locations, st.text(max_size=200))
def test_arbitrary_text_never_crashes(location, text):
    check(*gate([(location, text)]), count=1)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from([
    "apiVersion: release.giantswarm.io/v1alpha1\nkind: Release\nmetadata:\n  name: aws-34.5.0\n"
    "spec:\n  components:\n  - name: flatcar\n    version: 4593.2.4\n  - name: kubernetes\n"
    "    version: 1.34.10\n  - name: os-tooling\n    version: 1.33.1\n"]),
    st.integers(min_value=0, max_value=200), st.text(min_size=1, max_size=6))
def test_mutated_real_release_never_crashes(base, position, insert):
    text = base[:position] + insert + base[position:]
    check(*gate([(("capa", False, "v34.5.0"), text)]), count=1)
