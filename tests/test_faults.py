"""Faults at every step: GitHub and AWS answer 500, 502, 429, secondary rate limits, reset
connections or answer too slowly. ``release`` and ``gate`` either succeed after retries or fail
with a clear message (never a traceback, never a false "ok"), and a rerun after any failure
completes the release with exactly one tag and one release."""

from __future__ import annotations

import json
import socket
import struct
import time

import boto3
import pytest

from tests.fakes.github import DEFAULT_TOKEN
from tests.fakes.latency_proxy import EC2_THROTTLE_BODY, Fault, LatencyProxy, ec2_action
from tests.gate_helpers import make_releases_repo
from tests.test_release_github import Setup, assert_one_release

pytestmark = pytest.mark.slow  # injected slow answers and retries with real waits

pytest_plugins = ["tests.fakes.github", "tests.fakes.moto_server"]  # github_fake, moto

# -- release against the GitHub fake ------------------------------------------------------------
# The writes of a release, in order; a fault may hit any of them.
WRITES = {
    "tag-object": ("POST", r"/git/tags$"),
    "tag-ref": ("POST", r"/git/refs$"),
    "release": ("POST", r"/releases$"),
    "asset": ("POST", r"/assets"),
}
KINDS = {
    "500": dict(status=500),
    "502": dict(status=502),
    "429": dict(status=429, retry_after=0),
    "secondary": dict(status=403, retry_after=0, body={
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
                   "you try again.", "documentation_url": "https://docs.github.com/rest"}),
    "reset": dict(kind="reset"),
}


@pytest.fixture
def setup(git_repo, github_fake, monkeypatch) -> Setup:
    return Setup(git_repo, github_fake, monkeypatch)


def release(cli, setup: Setup):
    result, data = setup.run(cli)
    assert "Traceback" not in result.out + result.err
    assert DEFAULT_TOKEN not in result.out + result.err
    return result, data


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("write", list(WRITES))
def test_a_passing_fault_is_retried_and_the_release_completes(cli, setup, github_fake, write, kind):
    method, path = WRITES[write]
    github_fake.inject(method=method, path=path, times=1, **KINDS[kind])
    result, data = release(cli, setup)
    assert result.code == 0, result.err
    assert data["released"] is True and data["tag"] == "v1.1.0"
    assert_one_release(setup)


@pytest.mark.parametrize("kind", ["500", "502", "429", "secondary", "reset"])
@pytest.mark.parametrize("write", list(WRITES))
def test_a_lasting_fault_fails_clearly_and_a_rerun_completes(cli, setup, github_fake, write, kind):
    method, path = WRITES[write]
    github_fake.inject(method=method, path=path, times=100, **KINDS[kind])
    result, _ = release(cli, setup)
    assert result.code in (1, 2), result.out
    message = result.err.strip()
    assert message and len(message.splitlines()) <= 2, message
    github_fake.faults.clear()
    rerun, data = release(cli, setup)
    assert rerun.code == 0, rerun.err
    assert data["tag"] == "v1.1.0"
    assert_one_release(setup)


def test_a_slow_answer_past_the_timeout_is_retried(cli, setup, github_fake, monkeypatch):
    monkeypatch.setenv("OS_TOOLING_GITHUB_TIMEOUT", "1")
    github_fake.inject(method="POST", path=r"/releases$", kind="slow", delay=1.5, times=1)
    result, data = release(cli, setup)
    assert result.code == 0, result.err
    assert_one_release(setup)


def test_always_slow_fails_within_bounds_then_a_rerun_completes(cli, setup, github_fake, monkeypatch):
    monkeypatch.setenv("OS_TOOLING_GITHUB_TIMEOUT", "1")
    monkeypatch.setenv("OS_TOOLING_GITHUB_RETRIES", "1")
    github_fake.inject(method="POST", path=r"/git/refs$", kind="slow", delay=1.5, times=100)
    result, _ = release(cli, setup)
    # the slow create lands on the server after the client gave up: the run either notices the
    # ref on its retry and finishes, or fails with a clear line; either way after a bounded
    # number of attempts (one retry per call, two rounds of the release), never forever
    assert result.code in (0, 1, 2)
    if result.code:
        assert result.err.strip()
    github_fake.faults.clear()
    assert github_fake.wait_idle(), "a slow handler never finished"
    assert 1 <= github_fake.calls("POST", r"/git/refs$") <= 4
    rerun, _ = release(cli, setup)
    assert rerun.code == 0, rerun.err
    assert_one_release(setup)


# -- gate against moto behind a faulty proxy ------------------------------------------------------
IMAGE = "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"  # capa/v34.5.0 of the real sample
REGIONS = ["eu-west-1", "us-east-1"]


class FaultyProxy(LatencyProxy):
    """The AWS proxy, plus connection resets and slow answers for chosen requests."""

    def __init__(self, upstream: str):
        super().__init__(upstream)
        self.resets = 0
        self.slow: tuple[float, int] = (0.0, 0)

    def _answer(self, handler) -> None:
        if self.resets:
            self.resets -= 1
            handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.close_connection = True
            handler.connection.close()
            return
        delay, count = self.slow
        if count:
            self.slow = (delay, count - 1)
            time.sleep(delay)
        super()._answer(handler)


@pytest.fixture
def aws(moto, tmp_path, monkeypatch):
    for region in REGIONS:
        boto3.client("ec2", region_name=region).register_image(
            Name=IMAGE, RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])
    releases = make_releases_repo(tmp_path / "releases")
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n  capa: {backend: aws-ami, regions: [eu-west-1, us-east-1], "
                      "maxAttempts: 3, timeout: 4}\n")
    with FaultyProxy(moto.url) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        yield proxy, releases, config


def gate(cli, releases, config):
    result = cli("gate", "--no-tooling-checks", releases / "capa/v34.5.0/release.yaml",
                 "--repo-root", releases, "--config", config,
                 "--format", "json")
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.out + result.err
    release = json.loads(result.out)["releases"][0]
    image = next(c for c in release["checks"] if c["name"] == "image")
    return result.code, release, image


GATE_FAULTS = {
    "500": (500, b"<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>"),
    "502": (502, b""),
    "503": (503, b"<Response><Errors><Error><Code>Unavailable</Code></Error></Errors></Response>"),
    "throttling": (400, EC2_THROTTLE_BODY),
}


@pytest.mark.parametrize("kind", list(GATE_FAULTS))
def test_gate_retries_a_passing_aws_fault(cli, aws, kind):
    proxy, releases, config = aws
    status, body = GATE_FAULTS[kind]
    proxy.inject(Fault(ec2_action("DescribeImages", region="us-east-1"), status, body, times=1))
    code, release, image = gate(cli, releases, config)
    assert (code, image["status"]) == (0, "ok"), image


@pytest.mark.parametrize("kind", list(GATE_FAULTS))
def test_gate_never_says_ok_when_a_region_keeps_failing(cli, aws, kind):
    proxy, releases, config = aws
    status, body = GATE_FAULTS[kind]
    proxy.inject(Fault(ec2_action("DescribeImages", region="us-east-1"), status, body, times=100))
    code, release, image = gate(cli, releases, config)
    assert code == 1 and release["status"] == "error" and image["status"] == "error"
    assert "us-east-1" in image["message"]


def test_gate_survives_connection_resets(cli, aws):
    proxy, releases, config = aws
    proxy.resets = 1
    code, _, image = gate(cli, releases, config)
    assert (code, image["status"]) == (0, "ok"), image
    proxy.resets = 100
    code, release, image = gate(cli, releases, config)
    assert code == 1 and image["status"] == "error"


def test_gate_slow_region_past_the_timeout_is_an_error_not_ok(cli, aws):
    proxy, releases, config = aws
    proxy.slow = (5.0, 100)
    code, release, image = gate(cli, releases, config)
    assert code == 1 and image["status"] == "error"
    # the region's deadline (timeout: 4, retries included) passed during the first attempt: no
    # retry starts after it, so one request per region, and the reason says so
    assert proxy.arrived == len(REGIONS)
    assert "no answer within 4s" in image["message"], image
