"""A provider-specific image-name tail (the CLI contract: "such as a vSphere template suffix, when
configured"): `imageSuffix` in the provider's block of the gate config."""

import json

from tests.helpers import ROOT, run_subprocess

SAMPLES = ROOT / "tests" / "data" / "releases-sample"
VSPHERE = "vsphere/v34.5.0/release.yaml"


def names_of(release: str) -> tuple[str, str]:
    text = (SAMPLES / release).read_text()
    comp = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        for name in ("flatcar", "kubernetes", "os-tooling"):
            if line.strip() == f"- name: {name}":
                comp[name] = lines[i + 1].split(":", 1)[1].strip()
    plain = f"flatcar-stable-{comp['flatcar']}-kube-{comp['kubernetes']}-tooling-{comp['os-tooling']}-gs"
    return plain, plain + "-tpl"


def test_image_name_takes_the_suffix_from_the_config(tmp_path):
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n  capv: {backend: catalog, file: images.yaml, imageSuffix: -tpl}\n")
    args = ["image-name", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10", "--tooling", "1.33.1"]
    assert run_subprocess(*args, "--provider", "capv", "--config", config).out.strip() == (
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs-tpl")
    assert run_subprocess(*args, "--provider", "capa", "--config", config).out.strip().endswith("-gs")
    assert run_subprocess(*args, "--config", config).code == 2  # the suffix is per provider


def test_the_gate_looks_for_the_suffixed_name(tmp_path):
    plain, suffixed = names_of(VSPHERE)
    (tmp_path / "images.yaml").write_text(f"capv: [{suffixed}]\n")
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n  capv: {backend: catalog, file: images.yaml, imageSuffix: -tpl}\n")
    result = run_subprocess("gate", SAMPLES / VSPHERE, "--config", config, "--no-tooling-checks",
                            "--repo-root", SAMPLES, "--format", "json")
    assert result.code == 0, result.out + result.err
    [release] = json.loads(result.out)["releases"]
    assert release["image"] == suffixed and release["status"] == "ok"
    # without the suffix configured, the same catalog has no such image
    config.write_text("providers:\n  capv: {backend: catalog, file: images.yaml}\n")
    result = run_subprocess("gate", SAMPLES / VSPHERE, "--config", config, "--no-tooling-checks",
                            "--repo-root", SAMPLES, "--format", "json")
    assert result.code == 1 and json.loads(result.out)["releases"][0]["image"] == plain


def test_a_bad_suffix_is_a_config_error(tmp_path):
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n  capv: {backend: s3, imageSuffix: '-$(id)'}\n")
    result = run_subprocess("gate", SAMPLES / VSPHERE, "--config", config, "--repo-root", SAMPLES)
    assert result.code == 2 and "imageSuffix may only use" in result.err
    assert "gate.yaml:2" in result.err
