"""Image stores, one file per back end, chosen per provider by the gate config.

Adding a back end = one new module with a class ``Store(config: StoreConfig)`` implementing
``base.ImageStore``, plus one line in BACKENDS. Modules are imported only when used, so the
CLI never pays for boto3 unless a provider is configured for AWS.
"""

from __future__ import annotations

import importlib

from os_tooling.backends.base import ImageStore, StoreConfig
from os_tooling.errors import UsageError

BACKENDS: dict[str, str] = {
    "catalog": "os_tooling.backends.catalog",
    "aws-ami": "os_tooling.backends.aws_ami",
    "azure-gallery": "os_tooling.backends.azure_gallery",
    "s3": "os_tooling.backends.s3",
}


def make_store(config: StoreConfig) -> ImageStore:
    module_name = BACKENDS.get(config.backend)
    if module_name is None:
        raise UsageError(f"unknown image store backend {config.backend!r} for provider "
                         f"{config.provider!r} (known: {', '.join(sorted(BACKENDS))})")
    return importlib.import_module(module_name).Store(config)
