"""The gate config file (docs/gate.md, docs/backends.md): an image store per provider, and where os-tooling
versions live.

    providers:
      capa:   {backend: aws-ami, regions: [eu-west-1, us-east-1], owners: ["706635527432"]}
      capmox: {backend: catalog, file: images.yaml}
    imageBuilderRepo: giantswarm/capi-image-builder

A provider left out keeps its default back end (``DEFAULT_PROVIDERS``), whose store applies the
defaults of docs/backends.md; a block without ``backend`` keeps the default back end with the
options given. Relative file paths in options are resolved from the config file's folder.
Anything unreadable or wrong is a UsageError naming file and line (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from os_tooling.adapters.files import read_text
from os_tooling.backends import BACKENDS
from os_tooling.backends.base import StoreConfig
from os_tooling.core import yamldoc
from os_tooling.core.providers import PROVIDERS
from os_tooling.core.versions import check_tag_prefix
from os_tooling.errors import UsageError

# "Where images live" (docs/backends.md): the back end of every provider. Each store owns the
# defaults of its options (regions and owner accounts, gallery, bucket and key templates) and
# reads them per provider, so a provider block only lists what differs.
DEFAULT_PROVIDERS: dict[str, dict[str, object]] = {
    "capa": {"backend": "aws-ami"},
    "eks": {"backend": "aws-ami"},
    "capz": {"backend": "azure-gallery"},
    "capv": {"backend": "s3"},
    "capvcd": {"backend": "s3"},
    "capmox": {"backend": "s3"},
}
DEFAULT_TOOLING_MANIFEST = "os-tooling.yaml"
TOP_LEVEL_KEYS = ("providers", "imageBuilderRepo", "toolingManifest", "toolingTagPrefix")
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class GateConfig:
    providers: Mapping[str, StoreConfig]
    image_builder_repo: str | None = None  # owner/name on GitHub: os-tooling versions are its tags
    tooling_manifest: str = DEFAULT_TOOLING_MANIFEST  # manifest path inside that repository
    tooling_tag_prefix: str = "v"
    file: str | None = None  # where it was read from
    catalog: str | None = None  # --catalog: this file for every provider

    def store_config(self, provider: str) -> StoreConfig:
        return self.providers[provider]

    def image_suffix(self, provider: str) -> str:
        """``imageSuffix`` of the provider's block: appended after ``-gs`` (e.g. a vSphere
        template suffix); empty unless configured."""
        config = self.providers.get(provider)
        value = config.options.get("imageSuffix", "") if config else ""
        return value if isinstance(value, str) else ""

    def with_catalog(self, catalog: str, label: str = "") -> GateConfig:
        """``--catalog F``: the catalog backend with F for every provider (``label``: how the
        reports name it, when F is a copy of it)."""
        providers = {}
        for p in PROVIDERS:
            options: dict[str, object] = {"file": catalog}
            if self.image_suffix(p):  # the image names stay what they are
                options["imageSuffix"] = self.image_suffix(p)
            providers[p] = StoreConfig(p, "catalog", options, Path("."), label)
        return GateConfig(providers, self.image_builder_repo, self.tooling_manifest,
                          self.tooling_tag_prefix, self.file, catalog)


def default_config() -> GateConfig:
    return GateConfig({p: StoreConfig(p, str(o["backend"]), _options(o), Path("."))
                       for p, o in DEFAULT_PROVIDERS.items()})


def _options(block: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in block.items() if k != "backend"}


def resolve_config(config_file: str | None, catalog: str | None) -> GateConfig:
    """``--config FILE`` (else the defaults), then ``--catalog FILE`` for every provider."""
    config = load_config(config_file) if config_file else default_config()
    return config.with_catalog(catalog) if catalog else config


def load_config(path: str) -> GateConfig:
    return parse_config(read_text(path, "gate config"), path, Path(path).parent)


def parse_config(text: str, label: str, base_dir: Path = Path(".")) -> GateConfig:
    try:
        doc = yamldoc.load(text, label)
    except yamldoc.YamlError as exc:
        raise UsageError(f"gate config {exc.finding.where()}: {exc.finding.message}") from None

    def fail(path: tuple, message: str, *, key: bool = False) -> UsageError:
        finding = doc.finding(path, message, key=key)
        return UsageError(f"gate config {finding.where()}: {message}")

    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise fail((), "expected a mapping with 'providers' and/or 'imageBuilderRepo'")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise fail((key,), f"unknown key {key!r} (known: {', '.join(TOP_LEVEL_KEYS)})", key=True)

    providers = dict(default_config().providers)
    raw_providers = data.get("providers") or {}
    if not isinstance(raw_providers, dict):
        raise fail(("providers",), "providers must be a mapping of provider -> {backend, ...}")
    for provider, block in raw_providers.items():
        if provider not in PROVIDERS:
            raise fail(("providers", provider), f"unknown provider {provider!r} (known: "
                       f"{', '.join(PROVIDERS)})", key=True)
        if block is None:
            block = {}
        if not isinstance(block, dict):
            raise fail(("providers", provider), f"{provider} must be a mapping such as "
                       "{backend: catalog, file: images.yaml}")
        default = DEFAULT_PROVIDERS[provider]
        backend = block.get("backend", default["backend"])
        if not isinstance(backend, str) or backend not in BACKENDS:
            raise fail(("providers", provider, "backend"),
                       f"unknown backend {backend!r} for {provider} (available: "
                       f"{', '.join(sorted(BACKENDS))})")
        options = _options(default) if backend == default["backend"] else {}
        options.update(_options(block))
        suffix = options.get("imageSuffix", "")
        if not isinstance(suffix, str) or (suffix and not re.fullmatch(r"[0-9A-Za-z._-]{1,64}", suffix)):
            raise fail(("providers", provider, "imageSuffix"), "imageSuffix may only use letters, "
                       "digits, '.', '_' and '-' (at most 64)")
        providers[provider] = StoreConfig(provider, backend, options, base_dir)

    repo = data.get("imageBuilderRepo")
    if repo is not None and (not isinstance(repo, str) or not _REPO_RE.match(repo)):
        raise fail(("imageBuilderRepo",), "imageBuilderRepo must be 'owner/name' of a GitHub "
                   "repository")
    manifest = data.get("toolingManifest", DEFAULT_TOOLING_MANIFEST)
    if not isinstance(manifest, str) or not manifest.strip() or manifest.startswith("/"):
        raise fail(("toolingManifest",), "toolingManifest must be a path inside the image "
                   "builder repository")
    prefix = data.get("toolingTagPrefix", "v")
    if not isinstance(prefix, str):
        raise fail(("toolingTagPrefix",), "toolingTagPrefix must be a string")

    try:
        check_tag_prefix(prefix)
    except ValueError as exc:
        raise fail(("toolingTagPrefix",), f"toolingTagPrefix: {exc}") from None
    return GateConfig(providers, repo, manifest.strip(), prefix, label)

