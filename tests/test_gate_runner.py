"""The gate's orchestration: one batched lookup per provider, hints only for what is missing,
partial answers never pass."""

from __future__ import annotations

from pathlib import Path

from os_tooling.backends.base import ERROR, MISSING, PRESENT, ImageAnswer, StoreConfig
from os_tooling.backends.config import default_config
from os_tooling.core.naming import ImageRef
from os_tooling.usecases.gate import GateInput, GateOptions, run_gate
from tests.gate_helpers import SAMPLES


class RecordingStore:
    """A store that answers from a fixed set and records every call."""

    def __init__(self, provider: str, present: set[str], calls: list, drop: set[str] = frozenset(),
                 broken: bool = False):
        self.provider, self.present, self.calls = provider, present, calls
        self.drop, self.broken = drop, broken

    def lookup(self, refs):
        self.calls.append(("lookup", self.provider, sorted(r.name for r in refs)))
        answers = {}
        for ref in refs:
            if ref.name in self.drop:
                continue
            if self.broken:
                answers[ref.name] = ImageAnswer(ref.name, ERROR, "AccessDenied in us-west-2")
            else:
                answers[ref.name] = ImageAnswer(ref.name, PRESENT if ref.name in self.present
                                                else MISSING)
        return answers

    def similar(self, refs):
        self.calls.append(("similar", self.provider, sorted(r.name for r in refs)))
        return {r.name: ["flatcar-stable-1.0.0-kube-1.0.0-tooling-0.9.0-gs"] for r in refs}


def release_text(provider_dir: str, prefix: str, version: str, tooling: str) -> str:
    return (f"apiVersion: release.giantswarm.io/v1alpha1\nkind: Release\nmetadata:\n"
            f"  name: {prefix}{version}\nspec:\n  components:\n"
            f"  - name: flatcar\n    version: 4593.2.4\n  - name: kubernetes\n    version: 1.34.10\n"
            f"  - name: os-tooling\n    version: {tooling}\n  state: active\n")


def inputs(tmp_path: Path, specs) -> list[GateInput]:
    out = []
    for directory, prefix, version, tooling in specs:
        path = tmp_path / directory / f"v{version}" / "release.yaml"
        out.append(GateInput(f"{directory}/v{version}/release.yaml", path,
                             release_text(directory, prefix, version, tooling)))
    return out


def image(tooling: str) -> str:
    return ImageRef("4593.2.4", "1.34.10", tooling).name


def run(tmp_path, specs, present, **store_kwargs):
    calls: list = []

    def factory(config: StoreConfig):
        assert config.backend == "aws-ami" or config.provider != "capa"  # the config's choice
        return RecordingStore(config.provider, present, calls, **store_kwargs)

    options = GateOptions(default_config(), allow_unchecked=True, store_factory=factory)
    result = run_gate(inputs(tmp_path, specs), options)
    return result, calls


def test_one_lookup_per_provider_for_all_its_images(tmp_path):
    specs = [("capa", "aws-", "34.5.0", "1.33.1"), ("capa", "aws-", "35.0.0", "1.34.0"),
             ("capa", "aws-", "36.0.0", "1.33.1"),  # same image as the first: asked once
             ("azure", "azure-", "34.5.0", "1.33.1"), ("azure", "azure-", "35.0.0", "1.35.0")]
    result, calls = run(tmp_path, specs, {image("1.33.1"), image("1.34.0"), image("1.35.0")})
    assert calls == [("lookup", "capa", sorted({image("1.33.1"), image("1.34.0")})),
                     ("lookup", "capz", sorted({image("1.33.1"), image("1.35.0")}))]
    assert result.ok and [r.status for r in result.releases] == ["ok"] * 5


def test_near_miss_hints_only_for_missing_images(tmp_path):
    specs = [("capa", "aws-", "34.5.0", "1.33.1"), ("capa", "aws-", "35.0.0", "1.34.0"),
             ("vsphere", "vsphere-", "34.5.0", "1.33.1")]
    result, calls = run(tmp_path, specs, {image("1.33.1")})
    assert ("similar", "capa", [image("1.34.0")]) in calls
    assert not any(c[0] == "similar" and c[1] == "capv" for c in calls)
    statuses = {r.name: r.status for r in result.releases}
    assert statuses == {"aws-34.5.0": "ok", "aws-35.0.0": "missing", "vsphere-34.5.0": "ok"}
    missing = result.releases[1]
    assert missing.similar == ["flatcar-stable-1.0.0-kube-1.0.0-tooling-0.9.0-gs"]
    assert not result.ok


def test_a_partial_answer_is_never_success(tmp_path):
    specs = [("capa", "aws-", "34.5.0", "1.33.1"), ("capa", "aws-", "35.0.0", "1.34.0")]
    result, _ = run(tmp_path, specs, {image("1.33.1"), image("1.34.0")}, drop={image("1.34.0")})
    assert [r.status for r in result.releases] == ["ok", "error"]
    assert "gave no answer" in result.releases[1].checks[0].message


def test_store_errors_make_the_release_an_error_with_the_detail(tmp_path):
    result, _ = run(tmp_path, [("eks", "eks-", "34.5.0", "1.33.1")], set(), broken=True)
    [release] = result.releases
    assert release.status == "error" and "AccessDenied in us-west-2" in release.checks[0].message
    assert result.annotations()[0]["line"] == 12  # the os-tooling version line


def test_skipped_and_invalid_releases_never_reach_a_store(tmp_path):
    calls: list = []
    items = [GateInput("aks/v35.1.0/release.yaml", SAMPLES / "aks/v35.1.0/release.yaml"),
             GateInput("capa/v1.0.0/release.yaml", tmp_path / "capa/v1.0.0/release.yaml", "a: [")]
    result = run_gate(items, GateOptions(default_config(), allow_unchecked=True, store_factory=lambda c: RecordingStore(
        c.provider, set(), calls)))
    assert calls == []
    assert [r.status for r in result.releases] == ["skipped", "error"]


def test_providers_are_asked_concurrently_and_alike_stores_share_one_lookup(tmp_path):
    import threading

    barrier = threading.Barrier(2, timeout=10)  # breaks unless two lookups run at the same time
    calls: list = []

    class Store(RecordingStore):
        def __init__(self, provider, key):
            super().__init__(provider, {image("1.33.1")}, calls)
            self.key = key

        def share_key(self):
            return self.key

        def lookup(self, refs):
            barrier.wait()
            return super().lookup(refs)

    keys = {"capa": "aws", "eks": "aws", "capz": "azure"}  # capa and eks answer alike
    options = GateOptions(default_config(), allow_unchecked=True,
                          store_factory=lambda c: Store(c.provider, keys[c.provider]))
    specs = [("capa", "aws-", "34.5.0", "1.33.1"), ("eks", "eks-", "34.0.1", "1.33.1"),
             ("azure", "azure-", "34.5.0", "1.33.1")]
    result = run_gate(inputs(tmp_path, specs), options)
    assert result.ok, [r.to_dict() for r in result.releases]
    lookups = sorted(c[1] for c in calls if c[0] == "lookup")
    assert len(lookups) == 2 and "capz" in lookups  # capa + eks in one lookup, capz in another
