"""Near-miss hints of a missing image say what differs: the name's tail, the provider, the
region, the os-tooling version; and they come from what the stores already know."""

from __future__ import annotations

import json

import pytest

from os_tooling.backends.base import MISSING, PRESENT, ImageAnswer, StoreConfig
from os_tooling.backends.config import default_config
from os_tooling.core import near_miss
from os_tooling.core.naming import ImageRef
from os_tooling.usecases.gate import GateInput, GateOptions, run_gate
from tests.gate_helpers import make_releases_repo

EKS_33 = ImageRef("4459.2.3", "1.33.8", "1.26.4")  # eks/v33.0.0 of the real sample
CAPA = ImageRef("4593.2.4", "1.34.10", "1.33.1")  # capa/v34.5.0 of the real sample


@pytest.fixture
def releases(tmp_path):
    return make_releases_repo(tmp_path / "releases")


def gate(cli, releases, catalog: dict, *files: str):
    path = releases / "near.json"
    path.write_text(json.dumps(catalog))
    result = cli("gate", "--no-tooling-checks", *[releases / f for f in files], "--catalog", path,
                 "--repo-root", releases, "--format", "json")
    assert result.code in (0, 1), result.err
    return {r["file"].split("releases/", 1)[1]: r for r in json.loads(result.out)["releases"]}


def image_check(release: dict) -> dict:
    return next(c for c in release["checks"] if c["name"] == "image")


def test_the_same_version_without_gs_is_a_suffix_hint_never_another_version(cli, releases):
    without_gs = EKS_33.name.removesuffix("-gs")
    other = ImageRef(EKS_33.flatcar, EKS_33.kubernetes, "1.28.0").name
    by_file = gate(cli, releases, {"eks": [without_gs, other]}, "eks/v33.0.0/release.yaml")
    check = image_check(by_file["eks/v33.0.0/release.yaml"])
    assert check["status"] == "missing"
    assert check["near_misses"] == [
        {"differs": "suffix", "image": without_gs},
        {"differs": "os-tooling", "image": other, "version": "1.28.0"}]
    assert (f"the same versions exist under another name: {without_gs}; images with other "
            "os-tooling versions exist: 1.28.0") in check["message"]
    assert "versions exist: 1.26.4" not in check["message"]  # never "other": the same version


def test_only_the_same_version_without_gs(cli, releases):
    without_gs = EKS_33.name.removesuffix("-gs")
    by_file = gate(cli, releases, {"eks": [without_gs]}, "eks/v33.0.0/release.yaml")
    message = image_check(by_file["eks/v33.0.0/release.yaml"])["message"]
    assert message.endswith(f"the same versions exist under another name: {without_gs}")
    assert "os-tooling versions" not in message


def test_the_exact_image_for_another_provider(cli, releases):
    # built for eks, not for capa: the catalog knows it without asking anyone
    by_file = gate(cli, releases, {"eks": [CAPA.name], "capz": [CAPA.name], "capa": []},
                   "capa/v34.5.0/release.yaml")
    check = image_check(by_file["capa/v34.5.0/release.yaml"])
    assert check["status"] == "missing"
    assert [(h["differs"], h["provider"]) for h in check["near_misses"]] == [
        ("provider", "eks"), ("provider", "capz")]
    assert "the same image exists for eks, capz" in check["message"]


def test_hints_from_the_runs_own_answers_and_no_cloud_store_is_created_for_them(tmp_path):
    """capa misses an image that an eks release of the same run has: said from the run's own
    answers. Providers outside the run with a cloud back end are never even created."""
    created: list[str] = []
    calls: list[tuple] = []

    class Store:
        def __init__(self, config: StoreConfig):
            self.provider = config.provider
            created.append(config.provider)

        def lookup(self, refs):
            calls.append(("lookup", self.provider))
            have = {"eks": {CAPA.name}}.get(self.provider, set())
            return {r.name: ImageAnswer(r.name, PRESENT if r.name in have else MISSING)
                    for r in refs}

        def similar(self, refs):
            calls.append(("similar", self.provider))
            return {r.name: [] for r in refs}

    def release(directory: str, prefix: str) -> GateInput:
        text = (f"apiVersion: release.giantswarm.io/v1alpha1\nkind: Release\nmetadata:\n"
                f"  name: {prefix}34.5.0\nspec:\n  components:\n"
                f"  - name: flatcar\n    version: {CAPA.flatcar}\n"
                f"  - name: kubernetes\n    version: {CAPA.kubernetes}\n"
                f"  - name: os-tooling\n    version: {CAPA.tooling}\n")
        return GateInput(f"{directory}/v34.5.0/release.yaml",
                         tmp_path / directory / "v34.5.0" / "release.yaml", text)

    # two stores that do not share answers (no share_key): each asked for its own provider
    result = run_gate([release("capa", "aws-"), release("eks", "eks-")],
                      GateOptions(default_config(), allow_unchecked=True, store_factory=Store))
    capa, eks = result.releases
    assert (capa.status, eks.status) == ("missing", "ok")
    check = capa.checks[0]
    assert check.details["near_misses"] == [{"differs": "provider", "image": CAPA.name,
                                             "provider": "eks"}]
    assert sorted(created) == ["capa", "eks"]  # capz, capv, ... (cloud stores) never made
    assert sorted(calls) == [("lookup", "capa"), ("lookup", "eks"), ("similar", "capa")]


def test_providers_with_alike_stores_give_no_provider_hint(tmp_path):
    """capa and eks on the same AWS accounts and regions answer alike: 'exists for eks' can
    never be true there, and is not said."""
    class Shared:
        def __init__(self, config: StoreConfig):
            self.provider = config.provider

        def share_key(self):
            return ("aws", "same")

        def lookup(self, refs):
            return {r.name: ImageAnswer(r.name, MISSING) for r in refs}

        def similar(self, refs):
            return {}

    items = [GateInput(f"{d}/v34.5.0/release.yaml", tmp_path / d / "v34.5.0" / "release.yaml",
                       (f"apiVersion: release.giantswarm.io/v1alpha1\nkind: Release\nmetadata:\n"
                        f"  name: {p}34.5.0\nspec:\n  components:\n  - name: flatcar\n"
                        f"    version: 1.0.0\n  - name: kubernetes\n    version: 1.0.0\n"
                        f"  - name: os-tooling\n    version: 1.0.0\n"))
             for d, p in (("capa", "aws-"), ("eks", "eks-"))]
    result = run_gate(items, GateOptions(default_config(), allow_unchecked=True,
                                         store_factory=Shared))
    assert all(r.checks[0].details["near_misses"] == [] for r in result.releases)


# -- the pure part --------------------------------------------------------------------------------
def test_from_names_sorts_by_what_differs():
    ref = ImageRef("4593.2.4", "1.34.10", "1.33.1", suffix="-tpl")
    prefix = "flatcar-stable-4593.2.4-kube-1.34.10-tooling-"
    names = [prefix + "1.33.1-gs",  # same versions, no -tpl: suffix
             prefix + "1.33.1",  # same versions, no -gs: suffix
             prefix + "1.34.0-gs-tpl",  # another version, same tail: os-tooling
             prefix + "1.9.0-gs-tpl",
             prefix + "1.35.0-gs",  # another version AND another tail: no help, left out
             "flatcar-stable-4593.2.4-kube-1.34.9-tooling-1.33.1-gs-tpl",  # other kubernetes
             prefix + "latest-gs-tpl",  # not a version
             ref.name]
    hints = near_miss.from_names(ref, names, {prefix + "1.9.0-gs-tpl": (("eu-west-1",), ("us-east-1",))})
    assert [(h.differs, h.image) for h in hints] == [
        ("suffix", prefix + "1.33.1-gs"), ("suffix", prefix + "1.33.1"),
        ("os-tooling", prefix + "1.34.0-gs-tpl"), ("os-tooling", prefix + "1.9.0-gs-tpl")]
    assert near_miss.describe(hints).endswith(
        "images with other os-tooling versions exist: 1.34.0, 1.9.0 (only in eu-west-1)")


def test_describe_names_each_difference_once():
    hints = [near_miss.in_some_regions("img", ["eu-west-1"], ["us-east-1", "us-west-2"]),
             *near_miss.for_providers({"eks": "img", "capz": "img"})]
    assert near_miss.describe([h for h in hints if h is not None]) == (
        "it exists in eu-west-1 but not in us-east-1, us-west-2; the same image exists for eks, capz")
    assert near_miss.in_some_regions("img", [], ["us-east-1"]) is None
    assert near_miss.describe([]) == ""
    many = near_miss.from_names(CAPA, [CAPA.name.replace("1.33.1", f"1.{i}.0") for i in range(8)])
    assert near_miss.describe(many).endswith("1.7.0, 1.6.0, 1.5.0, 1.4.0, 1.3.0 and 3 more")
