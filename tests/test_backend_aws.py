"""The aws-ami image store against moto's server (real HTTP, real boto3, real botocore retries),
with a loopback proxy in front that logs every call and injects throttling and denials."""

from __future__ import annotations

import fnmatch
import json
import os

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from os_tooling.backends import make_store
from os_tooling.backends.aws_ami import FILTER_VALUE_LIMIT, Store, chunks, name_values
from os_tooling.backends.base import ERROR, MISSING, PRESENT, StoreConfig
from os_tooling.core.naming import ImageRef
from os_tooling.errors import UsageError
from tests.fakes.latency_proxy import (
    EC2_AUTH_FAILURE_BODY,
    EC2_DENIED_BODY,
    EC2_THROTTLE_BODY,
    Fault,
    LatencyProxy,
    ec2_action,
)
from tests.fakes.moto_server import CHINA_ACCOUNT_ID, MOTO_ACCOUNT_ID, NOWHERE, aws_env
from tests.gate_helpers import make_releases_repo
from tests.helpers import run_subprocess

pytestmark = pytest.mark.slow  # a moto server and a latency proxy

pytest_plugins = ["tests.fakes.moto_server"]  # fixtures: moto, moto_china

REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "cn-north-1"]
A = ImageRef("4593.2.4", "1.34.10", "1.33.1")
B = ImageRef("4593.2.4", "1.34.10", "1.34.0")
C = ImageRef("4459.2.1", "1.33.4", "1.33.1")
OTHER_ACCOUNT = "111122223333"


def seed(region: str, name: str, server=None) -> str:
    """Register an AMI in moto (in ``server`` when given, e.g. the China partition's)."""
    extra = {"endpoint_url": server.url} if server is not None else {}
    ec2 = boto3.client("ec2", region_name=region, **extra)
    return ec2.register_image(
        Name=name, RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]


def store(**options) -> Store:
    return make_store(StoreConfig("capa", "aws-ami", {"backend": "aws-ami", **options}))


CHINA_KEY = "AKIACHINAPARTITION01"


@pytest.fixture
def proxy(moto, moto_china, monkeypatch):
    """AWS as the store sees it: cn-* regions are a separate moto (the China partition, whose
    AMIs belong to the China account) that refuses keys other than the China profile's, as
    the real partition refuses global credentials; 200 filter values at most per call."""
    with LatencyProxy(moto.url, ec2_filter_limit=True, routes={"cn-": moto_china.url}) as p:
        p.inject(Fault(lambda seen: (seen.region or "").startswith("cn-")
                       and seen.access_key != CHINA_KEY, 401, EC2_AUTH_FAILURE_BODY,
                       times=10**9))
        monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
        yield p


@pytest.fixture
def china(tmp_path, monkeypatch):
    """An AWS config file with a 'china' profile holding the China partition's keys."""
    config = tmp_path / "aws-config"
    config.write_text(f"[profile china]\naws_access_key_id = {CHINA_KEY}\n"
                      "aws_secret_access_key = china-secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    return CHINA_KEY


def test_one_describe_images_call_per_region_covers_every_image(proxy, moto_china, china):
    for region in ["eu-west-1", "eu-central-1", "us-east-1"]:
        seed(region, A.name)
    seed("cn-north-1", A.name, moto_china)
    for region in ["eu-west-1", "us-east-1"]:  # B only in some regions
        seed(region, B.name)
    seed("cn-north-1", B.name, moto_china)

    s = store(regions=REGIONS, chinaProfile="china")
    answers = s.lookup([A, B, C, A])

    assert set(answers) == {A.name, B.name, C.name}
    assert answers[A.name].status == PRESENT
    assert [loc.split(":")[0] for loc in answers[A.name].locations] == REGIONS
    assert all(":ami-" in loc for loc in answers[A.name].locations)
    assert answers[B.name].status == MISSING
    assert answers[B.name].detail == "missing in eu-central-1"
    assert answers[C.name].status == MISSING
    assert answers[C.name].detail == "missing in " + ", ".join(REGIONS)
    calls = proxy.requests("DescribeImages")
    assert sorted(c.region for c in calls) == sorted(REGIONS)
    assert all(c.injected is None for c in calls)
    assert s.calls == {region: 1 for region in REGIONS}
    assert all(sorted(c.filter_values) == sorted([A.name, B.name, C.name]) for c in calls)


def test_regions_are_asked_concurrently(moto, monkeypatch):
    with LatencyProxy(moto.url, delay=0.3) as slow:
        monkeypatch.setenv("AWS_ENDPOINT_URL", slow.url)
        store(regions=["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]).lookup([A])
        assert len(slow.requests("DescribeImages")) == 4
        assert slow.max_in_flight >= 2  # more than one region on the wire at once


def test_china_regions_use_their_own_owner_and_profile(proxy, moto_china, china):
    seed("cn-north-1", A.name, moto_china)  # owned by the China account
    seed("eu-west-1", A.name)
    seed("eu-west-1", B.name)

    answers = store(regions=["eu-west-1", "cn-north-1"], chinaProfile="china").lookup([A, B])

    assert answers[A.name].status == PRESENT
    assert answers[B.name].status == MISSING
    assert answers[B.name].detail == "missing in cn-north-1"
    by_region = {c.region: c for c in proxy.requests("DescribeImages")}
    assert by_region["cn-north-1"].access_key == CHINA_KEY
    assert by_region["cn-north-1"].params["Owner.1"] == [CHINA_ACCOUNT_ID]
    assert by_region["eu-west-1"].access_key == "testing"
    assert by_region["eu-west-1"].params["Owner.1"] == [MOTO_ACCOUNT_ID]


def test_china_without_its_profile_is_an_error_not_ok(proxy, moto_china):
    seed("cn-north-1", A.name, moto_china)
    seed("eu-west-1", A.name)
    answer = store(regions=["eu-west-1", "cn-north-1"]).lookup([A])[A.name]
    assert answer.status == ERROR
    assert answer.detail.startswith("cn-north-1: credentials denied (AuthFailure")
    assert f"owner account {CHINA_ACCOUNT_ID}" in answer.detail


def test_only_configured_owners_count(proxy, moto_china, china):
    seed("eu-west-1", A.name)
    seed("cn-north-1", A.name, moto_china)
    # the China owner's AMI does not count for an owner list without it, and vice versa
    wrong = store(regions=["eu-west-1", "cn-north-1"], owners=[OTHER_ACCOUNT],
                  chinaOwners=[MOTO_ACCOUNT_ID], chinaProfile="china").lookup([A])[A.name]
    assert wrong.status == MISSING
    assert wrong.detail == "missing in eu-west-1, cn-north-1"
    several = store(regions=["eu-west-1", "cn-north-1"], owners=[OTHER_ACCOUNT, MOTO_ACCOUNT_ID],
                    chinaProfile="china").lookup([A])[A.name]
    assert several.status == PRESENT
    sent = [c.params["Owner.2"] for c in proxy.requests("DescribeImages") if "Owner.2" in c.params]
    assert sent == [[MOTO_ACCOUNT_ID]]


def test_throttling_is_retried_and_then_answers(proxy):
    for region in ["eu-west-1", "us-east-1"]:
        seed(region, A.name)
    proxy.inject(Fault(ec2_action("DescribeImages", region="us-east-1"), 503,
                       EC2_THROTTLE_BODY, times=1))
    s = store(regions=["eu-west-1", "us-east-1"], maxAttempts=4)
    assert s.lookup([A])[A.name].status == PRESENT
    east = [c for c in proxy.requests("DescribeImages") if c.region == "us-east-1"]
    assert [c.injected for c in east] == [503, None]
    assert s.calls == {"eu-west-1": 1, "us-east-1": 1}  # one API call; botocore retried it


def test_persistent_throttling_makes_the_region_an_error_never_ok(proxy):
    for region in ["eu-west-1", "us-east-1"]:
        seed(region, A.name)
    proxy.inject(Fault(ec2_action("DescribeImages", region="us-east-1"), 503,
                       EC2_THROTTLE_BODY, times=100))
    answer = store(regions=["eu-west-1", "us-east-1"], maxAttempts=2).lookup([A])[A.name]
    assert answer.status == ERROR
    assert "us-east-1" in answer.detail and "RequestLimitExceeded" in answer.detail
    assert "eu-west-1" not in answer.detail


def test_denied_region_names_region_and_account(proxy, china):
    seed("eu-west-1", A.name)
    proxy.inject(Fault(ec2_action("DescribeImages", region="cn-north-1"), 403,
                       EC2_DENIED_BODY, times=10))
    answers = store(regions=["eu-west-1", "cn-north-1"], chinaProfile="china").lookup([A, C])
    assert answers[A.name].status == ERROR  # found in eu-west-1, unknown in cn-north-1
    assert "cn-north-1" in answers[A.name].detail
    assert "credentials denied" in answers[A.name].detail
    assert "UnauthorizedOperation" in answers[A.name].detail
    assert CHINA_ACCOUNT_ID in answers[A.name].detail
    # certainly missing in a region that answered: missing, and says what was not checked
    assert answers[C.name].status == MISSING
    assert answers[C.name].detail.startswith("missing in eu-west-1; not checked: cn-north-1")


def test_missing_credentials_is_a_clear_error(moto, monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", NOWHERE)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", NOWHERE)
    answer = store(regions=["eu-west-1", "cn-north-1"]).lookup([A])[A.name]
    assert answer.status == ERROR
    assert "eu-west-1: no AWS credentials found" in answer.detail
    assert "cn-north-1: no AWS credentials found" in answer.detail
    assert MOTO_ACCOUNT_ID in answer.detail and CHINA_ACCOUNT_ID in answer.detail


def test_unknown_profile_is_an_error_for_its_regions_only(proxy):
    seed("eu-west-1", A.name)
    answer = store(regions=["eu-west-1", "cn-north-1"], chinaProfile="nope").lookup([A])[A.name]
    assert answer.status == ERROR
    assert answer.detail.startswith("cn-north-1:") and "nope" in answer.detail


def test_unreachable_endpoint_is_an_error(moto, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    answer = store(regions=["eu-west-1"], maxAttempts=2).lookup([A])[A.name]
    assert answer.status == ERROR
    assert answer.detail.startswith("eu-west-1: cannot reach EC2")


def test_total_time_per_region_is_bounded(moto, monkeypatch):
    with LatencyProxy(moto.url, delay=3) as slow:
        monkeypatch.setenv("AWS_ENDPOINT_URL", slow.url)
        answer = store(regions=["eu-west-1"], timeout=1, maxAttempts=5).lookup([A])[A.name]
        attempts = slow.arrived
    assert answer.status == ERROR
    assert "eu-west-1" in answer.detail
    # the 1 s deadline stops the run after the first read timeout (counted, not timed: a busy
    # machine slows the clock of a test, not the number of requests); without the bound all 5
    # attempts would be made
    assert 1 <= attempts <= 2, attempts


def test_past_the_filter_limit_wildcards_keep_one_call_and_exact_matches(proxy):
    refs = [ImageRef("4593.2.4", "1.34.10", f"1.{i}.0") for i in range(300)]
    refs += [ImageRef("4593.2.5", "1.34.11", f"1.{i}.0") for i in range(150)]
    seed("eu-west-1", refs[0].name)
    seed("eu-west-1", refs[-1].name)
    seed("eu-west-1", ImageRef("4593.2.4", "1.34.10", "9.9.9").name)  # covered, not asked for
    s = store(regions=["eu-west-1"])
    answers = s.lookup(refs)
    assert s.calls == {"eu-west-1": 1}
    [call] = proxy.requests("DescribeImages")
    assert call.filter_values == ["flatcar-stable-4593.2.4-kube-1.34.10-tooling-*",
                                  "flatcar-stable-4593.2.5-kube-1.34.11-tooling-*"]
    assert set(answers) == {ref.name for ref in refs}
    assert [n for n, a in answers.items() if a.status == PRESENT] == [refs[0].name, refs[-1].name]


def test_calls_split_only_when_even_wildcards_do_not_fit(proxy):
    refs = [ImageRef(f"4593.{i}.0", f"1.{i}.0", "1.0.0") for i in range(450)]
    seed("eu-west-1", refs[0].name)
    seed("eu-west-1", refs[-1].name)
    s = store(regions=["eu-west-1"])
    answers = s.lookup(refs)
    assert s.calls == {"eu-west-1": 3}
    calls = proxy.requests("DescribeImages")
    assert [len(c.filter_values) for c in calls] == [200, 200, 50]
    assert all(c.injected is None for c in calls)  # never past the real limit
    assert [n for n, a in answers.items() if a.status == PRESENT] == [refs[0].name, refs[-1].name]


def test_the_proxy_enforces_the_real_limit(proxy):
    # guards the test above: a request past 200 values would have been refused
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    with pytest.raises(Exception, match="FilterLimitExceeded"):
        ec2.describe_images(Filters=[{"Name": "name", "Values": [f"x{i}" for i in range(201)]}])


def test_near_miss_hints_come_from_one_wildcard_call_per_region(proxy):
    newer = ImageRef("4593.2.4", "1.34.10", "1.35.0")
    older = ImageRef("4593.2.4", "1.34.10", "1.9.0")
    partial = ImageRef("4593.2.4", "1.34.10", "1.36.0")
    other_kube = ImageRef("4593.2.4", "1.33.4", "1.33.1")
    for region in ["eu-west-1", "us-east-1"]:
        for ref in (newer, older, other_kube):
            seed(region, ref.name)
    seed("eu-west-1", partial.name)  # missing in us-east-1: a hint, said to be partial

    s = store(regions=["eu-west-1", "us-east-1"])
    assert s.lookup([A])[A.name].status == MISSING
    before = len(proxy.requests("DescribeImages"))
    hints = s.similar([A])
    wildcard = proxy.requests("DescribeImages")[before:]
    assert hints == {A.name: [partial.name, newer.name, older.name]}  # newest first, 1.35 > 1.9
    assert len(wildcard) == 2
    assert all(c.filter_values == ["flatcar-stable-4593.2.4-kube-1.34.10-tooling-*"]
               for c in wildcard)
    # what the hint query saw is known without another call: which regions the partial lacks
    known = s.known([partial.name, newer.name, "flatcar-stable-never-asked"])
    assert len(proxy.requests("DescribeImages")) == before + 2
    assert known[partial.name].partial
    assert (known[partial.name].found_in, known[partial.name].lacking) == (("eu-west-1",), ("us-east-1",))
    assert known[newer.name].status == PRESENT and not known[newer.name].partial
    assert "flatcar-stable-never-asked" not in known


def test_a_missing_image_says_where_it_exists_and_where_not(proxy):
    seed("eu-west-1", A.name)
    seed("us-east-1", A.name)
    answer = store(regions=["eu-west-1", "eu-central-1", "us-east-1"]).lookup([A])[A.name]
    assert answer.status == MISSING and answer.partial
    assert answer.found_in == ("eu-west-1", "us-east-1") and answer.lacking == ("eu-central-1",)
    nowhere = store(regions=["eu-west-1"]).lookup([B])[B.name]
    assert nowhere.status == MISSING and not nowhere.partial and nowhere.lacking == ()


def test_no_hint_queries_when_nothing_is_missing(proxy):
    seed("eu-west-1", A.name)
    s = store(regions=["eu-west-1"])
    assert s.lookup([A])[A.name].status == PRESENT
    before = len(proxy.requests())
    assert s.similar([A]) == {}
    assert len(proxy.requests()) == before


def test_non_available_amis_do_not_count(proxy, monkeypatch):
    seed("eu-west-1", A.name)
    s = store(regions=["eu-west-1"])
    original = s._note

    def pending(answer, image):  # moto registers every AMI as available; EC2 does not
        original(answer, {**image, "State": "pending"})

    monkeypatch.setattr(s, "_note", pending)
    answer = s.lookup([A])[A.name]
    assert answer.status == MISSING
    assert answer.detail == "missing in eu-west-1 (state pending)"


@pytest.mark.parametrize("options, message", [
    ({"region": ["eu-west-1"]}, "unknown option(s) 'region'"),
    ({"regions": ["eu-west-1", "Europe"]}, "'Europe' is not an AWS region name"),
    ({"regions": []}, "non-empty list"),
    ({"regions": ["eu-west-1", "eu-west-1"]}, "listed twice"),
    ({"owners": ["12345"]}, "'12345' is not a 12-digit AWS account id"),
    ({"retryMode": "legacy"}, "standard or adaptive"),
    ({"timeout": 0}, "outside"),
    ({"maxAttempts": "many"}, "expected a number"),
])
def test_bad_options_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        store(**options)


def test_defaults_follow_the_spec():
    s = store()
    assert s.regions == ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2")
    assert s.owners_for("eu-west-1") == ("706635527432",)
    assert s.owners_for("cn-northwest-1") == ("306934455918",)


versions = st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 30)).map(
    lambda t: f"{t[0]}.{t[1]}.{t[2]}")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(versions, versions, versions), max_size=500))
def test_name_values_cover_every_name_within_the_limit(triples):
    names = [ImageRef(*t).name for t in triples]
    values = name_values(names)
    unique = list(dict.fromkeys(names))
    assert all(any(fnmatch.fnmatchcase(n, v) for v in values) for n in unique)
    if len(unique) <= FILTER_VALUE_LIMIT:
        assert values == unique  # exact names whenever they fit
    assert len(values) <= max(FILTER_VALUE_LIMIT, len(unique))
    flatcars = {ImageRef(*t).flatcar for t in triples}
    if len(flatcars) <= FILTER_VALUE_LIMIT:
        assert len(values) <= FILTER_VALUE_LIMIT  # so one call per region


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=3), max_size=700))
def test_chunks_keep_order_and_respect_the_limit(values):
    parts = chunks(values)
    assert [v for part in parts for v in part] == values
    assert all(0 < len(part) <= FILTER_VALUE_LIMIT for part in parts)
    assert len(parts) == -(-len(values) // FILTER_VALUE_LIMIT)


# -- through the CLI: `os-tooling gate --config` in a subprocess, AWS_ENDPOINT_URL at moto ------
CAPA = ImageRef("4593.2.4", "1.34.10", "1.33.1")  # capa/v34.5.0 of the real sample
EKS = ImageRef("4459.2.3", "1.34.4", "1.26.4")  # eks/v34.0.1


def gate(releases, config_text: str, *files: str, env: dict):
    config = releases / "gate.yaml"
    config.write_text(config_text)
    result = run_subprocess("gate", "--no-tooling-checks", *files, "--config", config, "--repo-root", releases,
                            "--format", "json", cwd=releases, env=env)
    assert result.code in (0, 1), result.err  # never 2 or 3 (internal error)
    assert "Traceback" not in result.err
    return result.code, {r["file"]: r for r in json.loads(result.out)["releases"]}


def image_check(release: dict) -> dict:
    return next(c for c in release["checks"] if c["name"] == "image")


def test_cli_gate_with_aws_config(proxy, moto_china, china, tmp_path):
    releases = make_releases_repo(tmp_path / "releases")
    for region in ["eu-west-1", "us-east-1"]:
        seed(region, CAPA.name)
        seed(region, EKS.name)
    seed("cn-north-1", CAPA.name, moto_china)  # EKS image not in China: missing there
    seed("eu-west-1", "flatcar-stable-4459.2.3-kube-1.34.4-tooling-1.26.0-gs")
    seed("us-east-1", "flatcar-stable-4459.2.3-kube-1.34.4-tooling-1.26.0-gs")
    seed("cn-north-1", "flatcar-stable-4459.2.3-kube-1.34.4-tooling-1.26.0-gs", moto_china)
    block = "{backend: aws-ami, regions: [eu-west-1, us-east-1, cn-north-1], chinaProfile: china}"
    code, by_file = gate(releases, f"providers:\n  capa: {block}\n  eks: {block}\n",
                         "capa/v34.5.0/release.yaml", "eks/v34.0.1/release.yaml",
                         env={**aws_env(proxy.url), "AWS_CONFIG_FILE": os.environ["AWS_CONFIG_FILE"]})

    assert code == 1
    capa, eks = by_file["capa/v34.5.0/release.yaml"], by_file["eks/v34.0.1/release.yaml"]
    assert capa["status"] == "ok" and image_check(capa)["status"] == "ok"
    assert eks["status"] == "missing"
    assert "missing in cn-north-1" in image_check(eks)["message"]
    assert eks["similar"] == ["flatcar-stable-4459.2.3-kube-1.34.4-tooling-1.26.0-gs"]
    # the hints say what differs: the region for the image itself, the version for the other
    assert image_check(eks)["near_misses"] == [
        {"differs": "region", "image": EKS.name, "found_in": ["eu-west-1", "us-east-1"],
         "lacking": ["cn-north-1"]},
        {"differs": "os-tooling", "image": "flatcar-stable-4459.2.3-kube-1.34.4-tooling-1.26.0-gs",
         "version": "1.26.0"}]
    assert ("it exists in eu-west-1, us-east-1 but not in cn-north-1; images with other "
            "os-tooling versions exist: 1.26.0") in image_check(eks)["message"]
    exact = [c for c in proxy.requests("DescribeImages") if "*" not in "".join(c.filter_values)]
    wildcard = [c for c in proxy.requests("DescribeImages") if "*" in "".join(c.filter_values)]
    # capa and eks use the same accounts and regions: one call per region answers for both
    assert sorted(c.region for c in exact) == ["cn-north-1", "eu-west-1", "us-east-1"]
    assert sorted(c.region for c in wildcard) == ["cn-north-1", "eu-west-1", "us-east-1"]  # eks only
    # (the hints cost nothing more: no call beyond one lookup and one hint query per region)


def test_cli_gate_hint_for_a_version_in_some_regions_only(proxy, tmp_path):
    releases = make_releases_repo(tmp_path / "releases")
    newer = ImageRef(CAPA.flatcar, CAPA.kubernetes, "1.34.0")
    seed("eu-west-1", newer.name)  # not yet copied to us-east-1
    seed("us-east-1", ImageRef(CAPA.flatcar, CAPA.kubernetes, "1.31.0").name)
    seed("eu-west-1", ImageRef(CAPA.flatcar, CAPA.kubernetes, "1.31.0").name)
    code, by_file = gate(releases, "providers:\n  capa: {regions: [eu-west-1, us-east-1]}\n",
                         "capa/v34.5.0/release.yaml", env=aws_env(proxy.url))
    release = by_file["capa/v34.5.0/release.yaml"]
    assert code == 1 and release["status"] == "missing"
    assert ("images with other os-tooling versions exist: 1.34.0 (only in eu-west-1), 1.31.0"
            in image_check(release)["message"])
    assert len(proxy.requests("DescribeImages")) == 4  # one lookup and one hint query per region


def test_cli_gate_region_errors_are_never_ok(proxy, tmp_path):
    releases = make_releases_repo(tmp_path / "releases")
    seed("eu-west-1", CAPA.name)
    proxy.inject(Fault(ec2_action("DescribeImages", region="eu-west-1"), 503,
                       EC2_THROTTLE_BODY, times=100))
    code, by_file = gate(
        releases, "providers:\n  capa: {regions: [eu-west-1], maxAttempts: 2}\n",
        "capa/v34.5.0/release.yaml", env=aws_env(proxy.url))
    release = by_file["capa/v34.5.0/release.yaml"]
    assert code == 1
    assert release["status"] == "error"
    assert "eu-west-1: EC2 still throttling (RequestLimitExceeded)" in image_check(release)["message"]


def test_cli_gate_default_aws_config_without_config_file(moto, tmp_path):
    releases = make_releases_repo(tmp_path / "releases")
    for region in ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]:
        seed(region, CAPA.name)
    result = run_subprocess("gate", "--no-tooling-checks", "capa/v34.5.0/release.yaml", "--repo-root", releases,
                            "--format", "json", cwd=releases, env=aws_env(moto.url))
    assert result.code == 0, result.out + result.err
    [release] = json.loads(result.out)["releases"]
    assert [loc.split(":")[0] for loc in image_check(release)["locations"]] == [
        "eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]
