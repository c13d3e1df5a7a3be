"""Random manifests through build-vars and random Release CRs through build-matrix: every run
ends in exit 0/1/2 with a message, never a traceback; what is printed stays parseable."""

from __future__ import annotations

import json
import shlex
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz_targets import (
    SAMPLE_TEXTS,
    _write,
    manifest_inputs,
    mutated,
    release_inputs,
    run_cli,
)
from tests.test_fuzz import assert_clean

pytestmark = pytest.mark.slow  # fuzzing: many generated inputs through the CLI

BUDGET = settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@BUDGET
@given(manifest_inputs)
def test_fuzz_build_vars(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "os-tooling.yaml"
        _write(path, text)
        outcomes = [run_cli(["build-vars", "--provider", provider, "--manifest", str(path),
                             "--format", fmt])
                    for provider, fmt in (("capa", "packer"), ("capv", "env"), ("capz", "json"),
                                          ("eks", "markdown"))]
    assert_clean(outcomes)
    packer, env, data, _markdown = outcomes
    if packer.code == 0:
        values = json.loads(packer.out)
        assert all(isinstance(v, str) for v in values.values())
    if env.code == 0:
        for line in env.out.splitlines():
            name, _, value = line.partition("=")
            assert name.startswith("OS_TOOLING_") and len(shlex.split(value)) == 1
    if data.code == 0:
        assert json.loads(data.out)["provider"] == "capz"


def _matrix_target(relative: str, content: str | bytes) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for other, other_text in SAMPLE_TEXTS:
            _write(root / other, other_text)
        _write(root / relative, content)
        catalog = root / "images.json"
        catalog.write_text(json.dumps({"capa": ["flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.34.0-gs"]}))
        return [run_cli(["build-matrix", "--releases", str(root), "--tooling", "1.34.0",
                         "--catalog", str(catalog), "--format", fmt])
                for fmt in ("json", "markdown")]


@BUDGET
@given(release_inputs)
def test_fuzz_build_matrix(case):
    (relative, text), replacement = case
    outcomes = _matrix_target(relative, replacement if replacement is not None else text)
    assert_clean(outcomes)
    if outcomes[0].code in (0, 1):
        data = json.loads(outcomes[0].out)
        assert all(set(e) == {"provider", "flatcar", "kubernetes", "image"} for e in data["include"])


@BUDGET
@given(release_inputs.flatmap(lambda case: mutated(case[0][1]).map(lambda m: (case[0], m))))
def test_fuzz_build_matrix_mutated_real_releases(case):
    (relative, _text), mutated_text = case
    assert_clean(_matrix_target(relative, mutated_text))
