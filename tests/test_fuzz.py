"""Random manifests, Release CRs and config files: every run ends in exit 0/1/2 with a message,
never a traceback (fixed budget here; `bench/fuzz.py --examples 10000` for a long run)."""

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz_targets import (
    FILE_KINDS,
    config_inputs,
    file_kind_target,
    manifest_inputs,
    manifest_target,
    mutated,
    release_inputs,
    release_target,
    requests_inputs,
    requests_target,
    run_cli,
    structural_inputs,
    structural_target,
)

pytestmark = pytest.mark.slow  # fuzzing: many generated inputs through the CLI

BUDGET = settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_clean(outcomes):
    for o in outcomes:
        assert not o.crashed, (o.args, o.code, o.exception, o.err[-500:])
        if o.code == 2:
            assert o.err.strip() and len(o.err.strip().splitlines()) == 1, o.err


@BUDGET
@given(manifest_inputs)
def test_fuzz_manifests(text):
    assert_clean(manifest_target(text))


@BUDGET
@given(requests_inputs)
def test_fuzz_requests_files_through_the_gate(text):
    assert_clean(requests_target(text))


@BUDGET
@given(release_inputs)
def test_fuzz_release_crs(case):
    sample, replacement = case
    assert_clean(release_target(sample, replacement))


@BUDGET
@given(release_inputs.flatmap(lambda case: mutated(case[0][1]).map(lambda m: (case[0], m))))
def test_fuzz_mutated_real_release_crs(case):
    sample, text = case
    assert_clean(release_target(sample, None, mutate=text))


@pytest.fixture
def offline_aws(monkeypatch):
    # Config files may select the AWS/S3/Azure stores: keep them on loopback, with no credentials,
    # so they answer "error" quickly instead of trying the real clouds.
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(config_inputs)
def test_fuzz_gate_config_files(offline_aws, text):
    from tests.fuzz_targets import config_target

    assert_clean(config_target(text))


def test_the_harness_can_see_a_crash():
    # the detector itself must be able to fail: a usage error is clean, an unknown command too,
    # and an outcome with a traceback is a crash
    clean = run_cli(["validate", "/nonexistent/os-tooling.yaml"])
    assert clean.code == 2 and not clean.crashed
    from tests.fuzz_targets import Outcome

    assert Outcome(["x"], 3, "", "").crashed
    assert Outcome(["x"], 1, "", "Traceback (most recent call last)").crashed


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(structural_inputs)
def test_fuzz_structure_depth_size_and_hostile_strings(text):
    assert_clean(structural_target(text))


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_special_files_and_symlinks_are_refused_or_read(kind):
    outcomes = file_kind_target(kind)
    assert_clean(outcomes)
    refused = kind in ("fifo", "directory", "symlink-out", "symlink-dev-zero", "dangling")
    for outcome in outcomes:
        assert (outcome.code == 2) is refused, (kind, outcome.args, outcome.code, outcome.err)
