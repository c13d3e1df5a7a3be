"""The azure-gallery image store against a loopback fake of ARM and the identity platform."""

from __future__ import annotations

import json

import pytest

from os_tooling.adapters.http import HttpError, RetryPolicy, retry_after_seconds, send
from os_tooling.backends import make_store
from os_tooling.backends.azure_gallery import DEFAULT_GALLERY, Store
from os_tooling.backends.base import ERROR, MISSING, PRESENT, StoreConfig
from os_tooling.core.naming import ImageRef
from os_tooling.errors import UsageError
from tests.fakes.azure import AzureFault, FakeAzure
from tests.gate_helpers import make_releases_repo
from tests.helpers import run_subprocess

A = ImageRef("4593.2.4", "1.34.10", "1.33.1")
B = ImageRef("4593.2.4", "1.34.10", "1.34.0")
C = ImageRef("4459.2.1", "1.33.4", "1.33.1")
G = DEFAULT_GALLERY


@pytest.fixture
def azure(monkeypatch):
    fake = FakeAzure()
    for key in ("AZURE_ACCESS_TOKEN", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_SUBSCRIPTION_ID"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", fake.url)
    monkeypatch.setenv("AZURE_TENANT_ID", fake.tenant)
    monkeypatch.setenv("AZURE_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", fake.client_secret)
    yield fake
    fake.close()


def store(fake: FakeAzure, **options) -> Store:
    base = {"subscription": fake.subscription, "resourceGroup": fake.resource_group,
            "endpoint": fake.url}
    return make_store(StoreConfig("capz", "azure-gallery", {**base, **options}))


def test_present_missing_definition_missing_version(azure):
    azure.add_image(G, A.name, "4593.2.4")
    azure.add_image(G, B.name, "4593.2.3")  # definition exists, not with this flatcar
    for i in range(5):  # more definitions than one page
        azure.add_image(G, f"flatcar-stable-4593.1.{i}-kube-1.33.0-tooling-1.0.0-gs", "4593.1.0")

    s = store(azure)
    answers = s.lookup([A, B, C])

    assert answers[A.name].status == PRESENT
    assert answers[A.name].locations == (f"{G}/{A.name}/4593.2.4",)
    assert answers[B.name].status == MISSING
    assert answers[B.name].detail == (f"image definition exists in gallery {G} but has no "
                                      "version 4593.2.4")
    assert answers[C.name].status == MISSING
    assert answers[C.name].detail == f"no image definition {C.name} in gallery {G}"
    pages = azure.requests(f"/galleries/{G}/images")
    lists = [p for p in pages if p.path.endswith("/images")]
    assert len(lists) == 4  # 7 definitions, 2 per page, nextLink followed
    versions = [p.path for p in pages if "/versions/" in p.path]
    assert sorted(versions) == sorted(  # no version request for a definition that is absent
        f"/subscriptions/{azure.subscription}/resourceGroups/{azure.resource_group}/providers/"
        f"Microsoft.Compute/galleries/{G}/images/{ref.name}/versions/4593.2.4" for ref in (A, B))
    assert all(p.query["api-version"] == ["2023-07-03"] for p in pages)
    assert len(azure.requests("/oauth2/")) == 1  # one token for the run


def test_429_then_success_honours_retry_after(azure):
    azure.add_image(G, A.name, "4593.2.4")
    azure.inject(AzureFault("/versions/", 429, times=1, retry_after="1"))
    answer = store(azure).lookup([A])[A.name]
    assert answer.status == PRESENT
    tries = azure.requests("/versions/")
    assert [t.status for t in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 0.95  # waited as told, not the shorter own backoff


def test_server_errors_are_retried_then_reported(azure):
    azure.add_image(G, A.name, "4593.2.4")
    azure.inject(AzureFault("/images", 503, times=100, retry_after="0"))
    answer = store(azure, maxAttempts=3).lookup([A])[A.name]
    assert answer.status == ERROR
    assert "HTTP 503 after 3 attempts" in answer.detail
    assert len(azure.requests("/images")) == 3


def test_version_still_provisioning_is_not_present(azure):
    azure.add_image(G, A.name, "4593.2.4", state="Creating")
    answer = store(azure).lookup([A])[A.name]
    assert answer.status == MISSING
    assert answer.detail == f"version 4593.2.4 in gallery {G} is Creating"


def test_missing_gallery_and_denied_scope_are_errors(azure):
    azure.add_image(G, A.name, "4593.2.4")
    gone = store(azure, gallery="otherGallery").lookup([A])[A.name]
    assert gone.status == ERROR and "gallery otherGallery" in gone.detail and "not found" in gone.detail
    denied = store(azure, resourceGroup="someone-elses").lookup([A])[A.name]
    assert denied.status == ERROR
    assert denied.detail.startswith("Azure denied access to gallery")
    assert "AuthorizationFailed" in denied.detail and "someone-elses" in denied.detail


def test_bad_secret_is_a_clear_error_without_the_secret(azure, monkeypatch):
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong-secret-value")
    answer = store(azure).lookup([A])[A.name]
    assert answer.status == ERROR
    assert "Azure refused the credentials of client os-tooling-ci" in answer.detail
    assert "AADSTS7000215" in answer.detail
    assert "wrong-secret-value" not in answer.detail


def test_no_credentials_at_all(azure, monkeypatch):
    for key in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(key)
    answer = store(azure).lookup([A])[A.name]
    assert answer.status == ERROR and answer.detail.startswith("no Azure credentials")
    assert azure.requests() == []


def test_a_given_access_token_is_used_as_is(azure, monkeypatch):
    azure.add_image(G, A.name, "4593.2.4")
    azure.tokens.add("token-from-az-cli")
    monkeypatch.setenv("AZURE_ACCESS_TOKEN", "token-from-az-cli")
    assert store(azure).lookup([A])[A.name].status == PRESENT
    assert azure.requests("/oauth2/") == []
    assert {r.authorization for r in azure.requests()} == {"Bearer token-from-az-cli"}


def test_next_link_to_another_host_is_not_followed(azure):
    for i in range(3):
        azure.add_image(G, f"flatcar-stable-1.0.{i}-kube-1.0.0-tooling-1.0.0-gs", "1.0.0")
    azure.next_link_base = "https://collector.example"  # must never receive our token
    answer = store(azure).lookup([A])[A.name]
    assert answer.status == ERROR
    assert "next page on another host" in answer.detail


def test_missing_subscription_or_group_is_an_error_per_image(azure):
    s = make_store(StoreConfig("capz", "azure-gallery", {}))
    answer = s.lookup([A])[A.name]
    assert answer.status == ERROR
    assert "providers.capz needs 'subscription'" in answer.detail


def test_subscription_from_the_environment(azure, monkeypatch):
    azure.add_image(G, A.name, "4593.2.4")
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", azure.subscription)
    s = make_store(StoreConfig("capz", "azure-gallery", {
        "resourceGroup": azure.resource_group, "endpoint": azure.url}))
    assert s.lookup([A])[A.name].status == PRESENT


def test_hints_list_definitions_with_this_flatcar_version(azure):
    newer = ImageRef("4593.2.4", "1.34.10", "1.35.0")
    older = ImageRef("4593.2.4", "1.34.10", "1.9.2")
    unbuilt = ImageRef("4593.2.4", "1.34.10", "1.36.0")
    azure.add_image(G, newer.name, "4593.2.4")
    azure.add_image(G, older.name, "4593.2.4")
    azure.add_image(G, unbuilt.name, "4593.2.3")  # no version for this flatcar: no hint
    azure.add_image(G, C.name, "4459.2.1")
    s = store(azure)
    assert s.lookup([A, C])[A.name].status == MISSING
    assert s.similar([A, C]) == {A.name: [newer.name, older.name]}  # C is present: not asked


@pytest.mark.parametrize("options, message", [
    ({"subscription": "not-a-guid"}, "is not a subscription id"),
    ({"gallery": "bad/name"}, "is not a gallery name"),
    ({"endpoint": "http://management.example"}, "must be an Azure Resource Manager URL"),
    # the Azure token goes only to Azure Resource Manager's own hosts
    ({"endpoint": "https://evil.example"}, "must be an Azure Resource Manager URL"),
    ({"endpoint": "https://management.azure.com.evil.example"}, "must be an Azure Resource Manager URL"),
    ({"endpoint": "https://management.azure.com:8443"}, "must be an Azure Resource Manager URL"),
    ({"endpoint": "https://user@management.azure.com"}, "must be an Azure Resource Manager URL"),
    ({"galery": "x"}, "unknown option(s) 'galery'"),
])
def test_bad_options_are_usage_errors(options, message):
    with pytest.raises(UsageError) as info:
        make_store(StoreConfig("capz", "azure-gallery", options))
    assert message in str(info.value)


# -- the shared HTTP helper ------------------------------------------------------------------
class _Response:
    def __init__(self, status, headers=None):
        self.status_code = status
        self.headers = headers or {}

    def close(self):
        pass


class _Session:
    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.calls = 0

    def request(self, *args, **kwargs):
        self.calls += 1
        status, headers = self.statuses.pop(0)
        return _Response(status, headers)


def test_retry_after_is_capped_and_deadline_bounds_the_total():
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    session = _Session([(429, {"Retry-After": "3600"}), (200, {})])
    response = send(session, "GET", "http://127.0.0.1/x", sleep=sleep, clock=lambda: now[0],
                    policy=RetryPolicy(max_wait=7, deadline=60))
    assert response.status_code == 200 and waits == [7]

    session = _Session([(503, {"Retry-After": "30"})] * 5)
    with pytest.raises(HttpError, match="giving up"):
        send(session, "GET", "http://127.0.0.1/x", sleep=sleep, clock=lambda: now[0],
             policy=RetryPolicy(max_wait=30, deadline=40))
    assert session.calls == 2  # 30 s + 30 s would pass the 40 s limit


def test_retry_after_forms():
    assert retry_after_seconds("2") == 2
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds("Thu, 01 Jan 2037 00:00:10 GMT", now=2114380800.0) == 10
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-4") == 0


# -- through the CLI: `os-tooling gate --config` in a subprocess --------------------------------
def test_cli_gate_with_azure_config(azure, tmp_path):
    releases = make_releases_repo(tmp_path / "releases")
    image = "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"  # azure/v34.5.0
    config = releases / "gate.yaml"
    config.write_text(f"providers:\n  capz:\n    subscription: {azure.subscription}\n"
                      f"    resourceGroup: {azure.resource_group}\n    endpoint: {azure.url}\n")
    env = {"AZURE_AUTHORITY_HOST": azure.url, "AZURE_TENANT_ID": azure.tenant,
           "AZURE_CLIENT_ID": azure.client_id, "AZURE_CLIENT_SECRET": azure.client_secret}

    def gate():
        result = run_subprocess("gate", "--no-tooling-checks", "azure/v34.5.0/release.yaml", "--config", config,
                                "--repo-root", releases, "--format", "json", cwd=releases,
                                env=env)
        assert result.code in (0, 1) and "Traceback" not in result.err, result.err
        assert azure.client_secret not in result.out + result.err
        [release] = json.loads(result.out)["releases"]
        return result.code, release, next(c for c in release["checks"] if c["name"] == "image")

    azure.add_image(G, image, "4593.2.3")
    code, release, check = gate()
    assert (code, release["status"], check["status"]) == (1, "missing", "missing")
    assert "has no version 4593.2.4" in check["message"]

    azure.add_image(G, image, "4593.2.4")
    azure.inject(AzureFault("/versions/", 429, times=1, retry_after="0"))
    code, release, check = gate()
    assert (code, release["status"], check["status"]) == (0, "ok", "ok")
    assert check["locations"] == [f"{G}/{image}/4593.2.4"]
