"""The catalog image store and the gate config that chooses a store per provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from os_tooling.backends import make_store
from os_tooling.backends.base import MISSING, PRESENT, StoreConfig
from os_tooling.backends.catalog import parse_catalog
from os_tooling.backends.config import DEFAULT_PROVIDERS, default_config, parse_config
from os_tooling.core.naming import ImageRef
from os_tooling.errors import UsageError

REF = ImageRef("4593.2.4", "1.34.10", "1.33.1")
NAMES = [
    "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.9.0-gs",
    "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.0-gs",
    "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.10.2-gs",
    "flatcar-stable-4593.2.4-kube-1.34.1-tooling-1.33.1-gs",  # kube 1.34.1 is not 1.34.10
    "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs-vsphere",
]


def store(tmp_path: Path, content: str, name: str = "catalog.yaml", provider: str = "capa"):
    (tmp_path / name).write_text(content)
    return make_store(StoreConfig(provider, "catalog", {"file": name}, tmp_path))


def test_lookup_answers_every_ref(tmp_path):
    catalog = store(tmp_path, "capa:\n  - " + REF.name + "\ncapz: []\n")
    other = ImageRef("4593.2.4", "1.34.10", "1.34.0")
    answers = catalog.lookup([REF, other])
    assert answers[REF.name].status == PRESENT and answers[REF.name].locations
    assert answers[other.name].status == MISSING and "not listed under capa" in answers[other.name].detail


def test_provider_without_entry_is_missing_with_reason(tmp_path):
    catalog = store(tmp_path, "capa: [" + REF.name + "]\n", provider="capv")
    answer = catalog.lookup([REF])[REF.name]
    assert answer.status == MISSING and "no images for capv" in answer.detail


def test_similar_images_newest_tooling_first_same_flatcar_and_kubernetes(tmp_path):
    catalog = store(tmp_path, json.dumps({"capa": NAMES}), name="catalog.json")
    assert catalog.similar([REF])[REF.name] == [
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs-vsphere",  # same, with a suffix
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.0-gs",
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.10.2-gs",  # by version, not by text
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.9.0-gs",
    ]


@pytest.mark.parametrize("content, json_only, message", [
    ("capa: [\n", False, "catalog c:2:1: YAML syntax error"),
    ("{\"capa\": [}", True, "catalog c:1:11: invalid JSON"),
    ("- a\n- b\n", False, "expected a mapping"),
    ("capa:\n  x: y\n", False, "capa must be a list"),
    ("capa:\n  - 12\n", False, "c:2:5: capa[0] must be an image name"),
    ("capa: []\naws: []\n", False, "c:2:1: unknown provider 'aws'"),
])
def test_invalid_catalogs_are_usage_errors_with_position(content, json_only, message):
    with pytest.raises(UsageError, match=None) as error:
        parse_catalog(content, "c", json_only=json_only)
    assert message in str(error.value)


def test_empty_catalog_and_null_lists(tmp_path):
    assert parse_catalog("", "c") == {}
    assert parse_catalog("capv:\n", "c") == {"capv": ()}


def test_catalog_needs_a_file_option():
    with pytest.raises(UsageError, match="needs 'file:"):
        make_store(StoreConfig("capa", "catalog", {}))


def test_unreadable_catalog_is_a_usage_error(tmp_path):
    catalog = make_store(StoreConfig("capa", "catalog", {"file": "missing.yaml"}, tmp_path))
    with pytest.raises(UsageError, match="no such file"):
        catalog.lookup([REF])


# -- the gate config ---------------------------------------------------------------------------
def test_defaults_name_a_backend_for_every_provider():
    config = default_config()
    assert {p: c.backend for p, c in config.providers.items()} == {
        "capa": "aws-ami", "eks": "aws-ami", "capz": "azure-gallery", "capv": "s3",
        "capvcd": "s3", "capmox": "s3"}
    assert set(DEFAULT_PROVIDERS) == set(config.providers)


def test_config_merges_over_defaults_and_resolves_files_from_its_folder(tmp_path):
    text = ("providers:\n"
            "  capa: {regions: [eu-west-1]}\n"
            "  capmox: {backend: catalog, file: images.yaml}\n"
            "imageBuilderRepo: giantswarm/capi-image-builder\n")
    config = parse_config(text, "gate.yaml", tmp_path)
    assert config.providers["capa"].backend == "aws-ami"
    assert dict(config.providers["capa"].options) == {"regions": ["eu-west-1"]}
    assert config.providers["capmox"].backend == "catalog"
    assert config.providers["capmox"].base_dir == tmp_path
    assert config.providers["capz"].backend == "azure-gallery"  # left out: default
    assert config.image_builder_repo == "giantswarm/capi-image-builder"


def test_catalog_flag_uses_the_catalog_for_every_provider():
    config = parse_config("imageBuilderRepo: a/b\n", "gate.yaml").with_catalog("c.yaml")
    assert {c.backend for c in config.providers.values()} == {"catalog"}
    assert config.image_builder_repo == "a/b"


@pytest.mark.parametrize("text, message", [
    ("providers: [capa]\n", "gate.yaml:1:12: providers must be a mapping"),
    ("providers:\n  gcp: {backend: catalog}\n", "gate.yaml:2:3: unknown provider 'gcp'"),
    ("providers:\n  capa: {backend: ftp}\n", "gate.yaml:2:19: unknown backend 'ftp'"),
    ("providers:\n  capa: catalog\n", "gate.yaml:2:9: capa must be a mapping"),
    ("provider: {}\n", "gate.yaml:1:1: unknown key 'provider'"),
    ("imageBuilderRepo: not a repo\n", "imageBuilderRepo must be 'owner/name'"),
    ("providers: {capa: {backend: catalog, file: a}\n", "YAML syntax error"),
    ("- a\n", "expected a mapping"),
])
def test_invalid_config_is_a_usage_error_with_file_and_line(text, message):
    with pytest.raises(UsageError) as error:
        parse_config(text, "gate.yaml")
    assert message in str(error.value)


def test_config_choosing_the_catalog_per_provider_end_to_end(cli, tmp_path):
    from tests.gate_helpers import SAMPLES

    (tmp_path / "images.yaml").write_text("capa: [flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs]\n")
    (tmp_path / "gate.yaml").write_text("providers:\n  capa: {backend: catalog, file: images.yaml}\n")
    result = cli("gate", "--no-tooling-checks", SAMPLES / "capa/v34.5.0/release.yaml",
                 "--config", tmp_path / "gate.yaml",
                 "--repo-root", SAMPLES, "--format", "json")
    assert result.code == 0, result.out + result.err
    assert json.loads(result.out)["releases"][0]["status"] == "ok"


def test_the_examples_in_docs_gate_md_are_valid():
    import re

    from os_tooling.backends.catalog import parse_catalog
    from tests.helpers import ROOT

    doc = (ROOT / "docs" / "gate.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    catalogs = [b for b in blocks if not b.startswith("providers:")]
    configs = [b for b in blocks if b.startswith("providers:")]
    assert catalogs and configs
    for block in catalogs:
        assert parse_catalog(block, "docs/gate.md")["capa"]
    for block in configs:
        config = parse_config(block, "docs/gate.md")
        assert config.providers["capmox"].backend == "catalog"
        assert config.image_builder_repo == "giantswarm/capi-image-builder"
