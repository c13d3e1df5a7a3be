"""The s3 image store against moto's server, anonymous (plain HTTP) and with boto3 credentials,
through the loopback proxy that injects 403s and 5xx."""

from __future__ import annotations

import json

import boto3
import pytest

from os_tooling.backends import make_store
from os_tooling.backends.base import ERROR, MISSING, PRESENT, StoreConfig
from os_tooling.backends.s3 import DEFAULT_BUCKET, Store
from os_tooling.core.naming import ImageRef
from os_tooling.errors import UsageError
from tests.fakes.latency_proxy import S3_DENIED_BODY, Fault, LatencyProxy
from tests.fakes.moto_server import aws_env
from tests.gate_helpers import make_releases_repo
from tests.helpers import run_subprocess

pytest_plugins = ["tests.fakes.moto_server"]  # fixture: moto

A = ImageRef("4593.2.4", "1.34.10", "1.33.1")
B = ImageRef("4593.2.4", "1.34.10", "1.34.0")
C = ImageRef("4459.2.1", "1.33.4", "1.33.1")
BUCKET = DEFAULT_BUCKET


def ova(ref: ImageRef) -> str:
    return f"capv/{ref.name}/flatcar-stable-{ref.flatcar}-kube-v{ref.kubernetes}.ova"


class PublicBucket:
    """The bucket as the image pipeline fills it: objects readable by anyone."""

    def __init__(self):
        self.client = boto3.client("s3", region_name="eu-central-1")
        self.client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={
            "LocationConstraint": "eu-central-1"})

    def put(self, key: str, acl: str = "public-read") -> None:
        self.client.put_object(Bucket=BUCKET, Key=key, Body=b"data", ACL=acl)


@pytest.fixture
def s3(moto):
    return PublicBucket()


@pytest.fixture
def proxy(moto, monkeypatch):
    with LatencyProxy(moto.url) as p:
        monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
        yield p


def store(provider: str = "capv", **options) -> Store:
    return make_store(StoreConfig(provider, "s3", options))


@pytest.mark.parametrize("anonymous", [True, False])
def test_present_missing_and_403(s3, proxy, anonymous):
    s3.put(ova(A))
    s3.put(ova(B))
    s3.put(f"capv/{C.name}/something-else.ova")
    proxy.inject(Fault(lambda seen: seen.path.endswith(ova(B).split("/")[-1])
                       and B.name in seen.path, 403, S3_DENIED_BODY, times=10,
                       content_type="application/xml"))

    s = store(anonymous=anonymous)
    answers = s.lookup([A, B, C])

    assert answers[A.name].status == PRESENT
    assert answers[A.name].locations == (f"s3://{BUCKET}/{ova(A)}",)
    assert answers[B.name].status == ERROR  # 403 never means missing
    assert answers[B.name].detail.startswith(f"access denied (403) for s3://{BUCKET}/{ova(B)}")
    assert answers[C.name].status == MISSING
    assert answers[C.name].detail == f"no object s3://{BUCKET}/{ova(C)}"
    heads = [r for r in proxy.requests() if r.method == "HEAD"]
    objects = sorted(r.path for r in heads if r.injected is None and "/capv/" in r.path)
    assert objects == sorted(f"/{BUCKET}/{ova(ref)}" for ref in (A, C))
    signed = {r.access_key is not None for r in heads}
    assert signed == {not anonymous}  # anonymous mode sends no credentials at all


def test_private_object_is_403_for_anonymous_reads_only(s3, proxy):
    s3.put(ova(A), acl="private")  # moto itself answers 403 to the unsigned HEAD
    anonymous = store(anonymous=True).lookup([A])[A.name]
    assert anonymous.status == ERROR
    assert "access denied (403)" in anonymous.detail and "anonymous reads" in anonymous.detail
    assert store(anonymous=False).lookup([A])[A.name].status == PRESENT


def test_anonymous_mode_retries_server_errors(s3, proxy):
    s3.put(ova(A))
    proxy.inject(Fault(lambda seen: seen.method == "HEAD", 503, times=1))
    assert store(anonymous=True).lookup([A])[A.name].status == PRESENT
    assert [r.injected for r in proxy.requests()] == [503, None]


def test_wrong_region_is_an_error(s3, proxy):
    proxy.inject(Fault(lambda seen: True, 301, times=10))
    answer = store().lookup([A])[A.name]
    assert answer.status == ERROR and "check the 'region' option" in answer.detail


def test_prefix_template_for_proxmox(s3, proxy):
    s3.put(f"capmox/{A.name}/disk.qcow2")
    s3.put(f"capmox/{B.name}-old/disk.qcow2")
    for anonymous in (True, False):
        answers = store("capmox", anonymous=anonymous).lookup([A, B])
        assert answers[A.name].status == PRESENT
        assert answers[B.name].status == MISSING  # a look-alike folder does not count
        assert answers[B.name].detail == f"nothing under s3://{BUCKET}/capmox/{B.name}/"


@pytest.mark.parametrize("anonymous", [True, False])
def test_missing_bucket_is_an_error_not_missing(moto, proxy, anonymous):
    answer = store(anonymous=anonymous, bucket="no-such-bucket").lookup([A])[A.name]
    assert answer.status == ERROR
    assert answer.detail == "bucket no-such-bucket does not exist (region eu-central-1)"


def test_hints_are_folders_whose_object_exists(s3, proxy):
    newer = ImageRef("4593.2.4", "1.34.10", "1.35.0")
    older = ImageRef("4593.2.4", "1.34.10", "1.10.0")
    empty = ImageRef("4593.2.4", "1.34.10", "1.36.0")
    for ref in (newer, older):
        s3.put(ova(ref))
    s3.put(f"capv/{empty.name}/README")
    s3.put(ova(C))
    for anonymous in (True, False):
        s = store(anonymous=anonymous)
        assert s.lookup([A])[A.name].status == MISSING
        assert s.similar([A]) == {A.name: [newer.name, older.name]}


def test_keys_follow_the_spec():
    assert store("capv").key_for(A) == ova(A)
    assert store("capvcd").key_for(A) == ova(A)
    assert store("capmox").key_for(A) == f"capmox/{A.name}/"
    v_ref = ImageRef("v4593.2.4", "v1.34.10", "v1.33.1")  # a v in the CR never reaches the key
    assert store("capv").key_for(v_ref) == ova(A)
    custom = store(key="{tooling}/{kubernetes}/{flatcar}/{image}.ova")
    assert custom.key_for(A) == f"1.33.1/1.34.10/4593.2.4/{A.name}.ova"


def test_public_urls_without_a_configured_endpoint(monkeypatch):
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    assert store()._url("capv/x.ova") == (
        "https://gs-public-capi-vm-images.s3.eu-central-1.amazonaws.com/capv/x.ova")
    assert store(bucket="my.bucket", region="cn-north-1")._url("k") == (
        "https://s3.cn-north-1.amazonaws.com.cn/my.bucket/k")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9/")
    assert store()._url("a b") == "http://127.0.0.1:9/gs-public-capi-vm-images/a%20b"


@pytest.mark.parametrize("provider, options, message", [
    ("capv", {"key": "capv/{img}.ova"}, "unknown placeholder(s) {img}"),
    ("capv", {"key": "capv/{image!r}.ova"}, "no format spec"),
    ("capv", {"key": "capv/static.ova"}, "must contain {image} or {tooling}"),
    ("capv", {"key": "capv/{image"}, "providers.capv.key:"),
    ("capv", {"bucket": "Bad_Bucket"}, "is not an S3 bucket name"),
    ("capv", {"anonymous": "yes"}, "expected true or false"),
    ("capv", {"profile": "p"}, "'profile' needs 'anonymous: false'"),
    ("capv", {"keys": "x"}, "unknown option(s) 'keys'"),
    ("capa", {}, "no default key template for capa"),
])
def test_bad_options_are_usage_errors(provider, options, message):
    with pytest.raises(UsageError) as info:
        store(provider, **options)
    assert message in str(info.value)


# -- through the CLI: `os-tooling gate --config` in a subprocess, AWS_ENDPOINT_URL at moto ------
def test_cli_gate_with_s3_config(s3, proxy, tmp_path):
    releases = make_releases_repo(tmp_path / "releases")
    vsphere = ImageRef("4593.2.4", "1.34.10", "1.33.1")  # vsphere/v34.5.0 of the real sample
    s3.put(ova(vsphere))
    config = releases / "gate.yaml"
    config.write_text("providers:\n  capv: {backend: s3, bucket: gs-public-capi-vm-images}\n")

    def gate():
        result = run_subprocess("gate", "--no-tooling-checks", "vsphere/v34.5.0/release.yaml", "--config", config,
                                "--repo-root", releases, "--format", "json", cwd=releases,
                                env=aws_env(proxy.url))
        assert result.code in (0, 1) and "Traceback" not in result.err, result.err
        [release] = json.loads(result.out)["releases"]
        return result.code, release["status"]

    assert gate() == (0, "ok")
    proxy.inject(Fault(lambda seen: seen.method == "HEAD", 403, times=100))
    assert gate() == (1, "error")
    assert all(r.access_key is None for r in proxy.requests())  # the public bucket: no keys
