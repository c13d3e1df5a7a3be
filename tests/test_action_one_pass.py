"""The action runs its command once per job: every format comes from that one run.

The entrypoint gates a pull request of a releases repository against a loopback AWS (moto
behind the latency proxy, which logs every call). Whatever ``format`` the log is printed in,
EC2 is asked once per region: the JSON outputs, the Markdown summary and the log all come from
the same answers (before, the entrypoint ran the command again for each format: 6
``DescribeImages`` for 3 regions with the Markdown log, 9 with ``format: text``).
"""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest

from tests.action_helpers import TOKEN, pull_request_payload, run_action
from tests.fakes.latency_proxy import LatencyProxy
from tests.fakes.moto_server import aws_env
from tests.gate_helpers import make_releases_repo
from tests.helpers import GitRepo
from tests.report_schema import check

pytestmark = pytest.mark.slow  # the entrypoint against moto behind the latency proxy

pytest_plugins = ["tests.fakes.moto_server"]  # fixture: moto

REGIONS = ["eu-west-1", "eu-central-1", "us-east-1"]
CAPA_IMAGE = "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"  # capa/v34.5.0's
EKS_IMAGE = "flatcar-stable-4459.2.3-kube-1.34.4-tooling-1.26.4-gs"  # eks/v34.0.1's
CONFIG = ("providers:\n"
          f"  capa: {{backend: aws-ami, regions: [{', '.join(REGIONS)}]}}\n"
          f"  eks: {{backend: aws-ami, regions: [{', '.join(REGIONS)}]}}\n")


def seed(region: str, name: str) -> None:
    boto3.client("ec2", region_name=region).register_image(
        Name=name, RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])


@pytest.fixture
def proxy(moto):
    with LatencyProxy(moto.url, delay=0.02) as p:
        yield p


@pytest.fixture
def pull(tmp_path):
    """A releases repository whose PR adds a capa and an eks release (each provider's image is
    looked up in the same three regions, so one call per region answers for both)."""
    root = make_releases_repo(tmp_path / "releases")
    (root / ".github").mkdir()
    (root / ".github" / "os-tooling-gate.yaml").write_text(CONFIG)  # trusted: at the base
    git = GitRepo(root)
    base = git.commit("releases")
    for source, target, old, new in (("capa/v34.5.0", "capa/v34.6.0", "aws-34.5.0", "aws-34.6.0"),
                                     ("eks/v34.0.1", "eks/v34.0.2", "eks-34.0.1", "eks-34.0.2")):
        text = (root / source / "release.yaml").read_text().replace(old, new)
        (root / target).mkdir()
        (root / target / "release.yaml").write_text(text)
    head = git.commit("Add aws-34.6.0 and eks-34.0.2")
    return root, pull_request_payload(12, base, head, repo="acme/releases")


def gate(tmp_path, pull, proxy, log_format: str, name: str):
    root, payload = pull
    proxy.clear()
    inputs = {"token": TOKEN, "command": "gate", "config": ".github/os-tooling-gate.yaml",
              "tooling-checks": "false", "format": log_format}
    result = run_action(tmp_path / name, root, inputs, "pull_request", payload,
                        {**aws_env(proxy.url), "GITHUB_REPOSITORY": "acme/releases"})
    return result, proxy.requests("DescribeImages")


def queries(calls) -> Counter:
    return Counter((c.region, tuple(c.filter_values)) for c in calls)


@pytest.mark.parametrize("log_format", ["markdown", "text", "json"])
def test_one_describe_images_per_region_whatever_the_format(tmp_path, moto, proxy, pull,
                                                            log_format):
    for region in REGIONS:
        seed(region, CAPA_IMAGE)
        seed(region, EKS_IMAGE)
    result, calls = gate(tmp_path, pull, proxy, log_format, log_format)

    assert result.code == 0, result.stdout + result.stderr
    assert sorted(c.region for c in calls) == sorted(REGIONS)  # once per region, per job
    assert all(set(c.filter_values) >= {CAPA_IMAGE, EKS_IMAGE} for c in calls)
    # every place the report reaches comes from that one run
    report = result.report
    check(report, "gate")
    assert report["ok"] is True
    assert {r["file"]: r["status"] for r in report["releases"]} == {
        "capa/v34.6.0/release.yaml": "ok", "eks/v34.0.2/release.yaml": "ok"}
    head = "### os-tooling gate: ok :white_check_mark:\n\n2 release files: 2 gated (2 ok, "
    assert head in result.summary
    shown = "\n".join(result.log.text)
    if log_format == "json":
        start = shown.index("{")
        logged = json.JSONDecoder().raw_decode(shown[start:])[0]
        assert logged == report
    elif log_format == "text":
        assert "gate: ok: 2 release files: 2 gated (2 ok, " in shown
        assert "### os-tooling gate" not in shown
    else:
        assert head in shown


@pytest.mark.parametrize("log_format", ["markdown", "text", "json"])
def test_a_missing_image_asks_each_question_once(tmp_path, moto, proxy, pull, log_format):
    """A missing image adds the near-miss look-up (one wildcard call per region): still no
    call is ever repeated, and the comment's answer is the outputs' answer."""
    for region in REGIONS:
        seed(region, CAPA_IMAGE)  # the eks image exists nowhere
    result, calls = gate(tmp_path, pull, proxy, log_format, f"missing-{log_format}")

    assert result.code == 1, result.stdout + result.stderr
    asked = queries(calls)
    assert set(asked.values()) == {1}, asked  # no question asked twice
    assert Counter(c.region for c in calls) == {region: 2 for region in REGIONS}  # exact + hints
    statuses = {r["file"]: r["status"] for r in result.report["releases"]}
    assert statuses == {"capa/v34.6.0/release.yaml": "ok", "eks/v34.0.2/release.yaml": "missing"}
    assert ("### os-tooling gate: FAILED :x:\n\n2 release files: 2 gated (1 ok, 1 missing, "
            "0 violation, 0 error), 0 skipped") in result.summary
