"""Azure compute gallery (provider capz): an image exists when the gallery has an image
*definition* named like the image, holding an image *version* equal to the flatcar version,
provisioned successfully (docs/backends.md).

Talks to Azure Resource Manager's REST API through requests (why not the SDK: see
docs/backends.md). Cost: one paged list of the gallery's image definitions, then one GET per
image whose definition exists (concurrently); hints cost one GET per candidate, only for
images that are missing. Retries with backoff on 429/5xx, honouring ``Retry-After``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit

from os_tooling.adapters.azure_token import AzureCredentialError, arm_token
from os_tooling.adapters.http import LOOPBACK_HOSTS, HttpError, RetryPolicy, new_session, send
from os_tooling.backends._common import Options, rank_hints
from os_tooling.backends.base import ERROR, MISSING, PRESENT, ImageAnswer, StoreConfig
from os_tooling.core.naming import ImageRef, similar_prefix
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError

DEFAULT_GALLERY = "gsCapzFlatcar-41c2d140-ac44-4d8b-b7e1-7b2f1ddbe4d0"
DEFAULT_ENDPOINT = "https://management.azure.com"
# Azure Resource Manager of the public, China and US Government clouds: the only hosts the
# Azure token is sent to (plain http only on loopback, for tests)
ARM_HOSTS = ("management.azure.com", "management.chinacloudapi.cn", "management.usgovcloudapi.net")
DEFAULT_API_VERSION = "2023-07-03"
ARM_NAME = r"[A-Za-z0-9][A-Za-z0-9._()-]{0,89}"
GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
MAX_PAGES = 200


class _Failed(Exception):
    """The gallery could not be read; the detail of every image's ``error``."""


class Store:
    """The ``azure-gallery`` back end. Options: ``subscription`` (default: the
    AZURE_SUBSCRIPTION_ID variable), ``resourceGroup`` (required), ``gallery``, ``endpoint``
    (ARM, e.g. for sovereign clouds), ``apiVersion``, ``timeout``, ``maxAttempts``."""

    def __init__(self, config: StoreConfig):
        opts = Options(config.provider, config.backend, config.options)
        self.subscription = opts.string("subscription", pattern=GUID, what="a subscription id")
        self.resource_group = opts.string("resourceGroup", pattern=r"[-\w._()]{1,90}",
                                          what="a resource group name")
        self.gallery = opts.string("gallery", DEFAULT_GALLERY, pattern=ARM_NAME,
                                   what="a gallery name") or DEFAULT_GALLERY
        endpoint = opts.string("endpoint", DEFAULT_ENDPOINT) or DEFAULT_ENDPOINT
        self.api_version = opts.string("apiVersion", DEFAULT_API_VERSION,
                                       pattern=r"[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?",
                                       what="an API version such as 2023-07-03")
        timeout = opts.number("timeout", 60.0, low=1, high=900)
        attempts = int(opts.number("maxAttempts", 5, low=1, high=20))
        opts.done()
        self.endpoint = endpoint.rstrip("/")
        if not arm_endpoint_allowed(self.endpoint):
            # the Azure token goes to this host: only Azure Resource Manager's own clouds
            raise UsageError(f"providers.{config.provider}.endpoint: must be an Azure Resource "
                             f"Manager URL (https://{', https://'.join(ARM_HOSTS)})")
        if self.subscription is None:
            env = os.environ.get("AZURE_SUBSCRIPTION_ID", "").strip()
            self.subscription = env or None
        self.provider = config.provider
        self.policy = RetryPolicy(attempts=attempts, deadline=timeout,
                                  read_timeout=min(30.0, timeout))
        self.requests = 0  # HTTP requests made (tests, benchmarks)
        self._session: Any = None
        self._token: str | None = None
        self._lock = threading.Lock()
        self._definitions: set[str] | None = None
        self._answers: dict[str, ImageAnswer] = {}

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def gallery_path(self) -> str:
        return (f"/subscriptions/{self.subscription}/resourceGroups/"
                f"{quote(self.resource_group or '', safe='')}/providers/Microsoft.Compute/"
                f"galleries/{quote(self.gallery, safe='')}")

    def _where(self) -> str:
        return f"gallery {self.gallery} (resource group {self.resource_group}, " \
               f"subscription {self.subscription})"

    def _get(self, url: str) -> tuple[int, dict]:
        with self._lock:
            if self._session is None:
                self._session = new_session(pool_size=8)
            if self._token is None:
                scope = ("https://management.azure.com/.default"
                         if self.endpoint == DEFAULT_ENDPOINT else f"{self.endpoint}/.default")
                try:
                    self._token = arm_token(self._session, scope, policy=self.policy)
                except AzureCredentialError as exc:
                    raise _Failed(str(exc)) from None
            token = self._token
            self.requests += 1
        try:
            response = send(self._session, "GET", url, policy=self.policy,
                            headers={"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"})
        except HttpError as exc:
            raise _Failed(f"Azure Resource Manager: {exc}") from None
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}

    def _failure(self, status: int, body: dict, what: str) -> _Failed:
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = str(error.get("code", "")) or f"HTTP {status}"
        message = " ".join(str(error.get("message", "")).split())[:200]
        if status in (401, 403):
            return _Failed(f"Azure denied access to {self._where()} ({code}: {message})")
        return _Failed(f"{what}: {code}: {message} ({self._where()})")

    def _url(self, path: str) -> str:
        return f"{self.endpoint}{self.gallery_path}{path}?api-version={self.api_version}"

    def _list_definitions(self) -> set[str]:
        if self._definitions is not None:
            return self._definitions
        url: str | None = self._url("/images")
        names: set[str] = set()
        endpoint_host = urlsplit(self.endpoint).netloc
        for _ in range(MAX_PAGES):
            if url is None:
                break
            status, body = self._get(url)
            if status == 404:
                raise _Failed(f"{self._where()} not found")
            if status != 200:
                raise self._failure(status, body, "listing image definitions")
            for item in body.get("value") or []:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    names.add(item["name"])
            next_link = body.get("nextLink")
            if next_link and urlsplit(str(next_link)).netloc != endpoint_host:
                raise _Failed(f"Azure returned a next page on another host "
                              f"({urlsplit(str(next_link)).netloc}); not following it")
            url = str(next_link) if next_link else None
        else:
            raise _Failed(f"{self._where()}: more than {MAX_PAGES} pages of image definitions")
        self._definitions = names
        return names

    def _version(self, image: str, version: str) -> tuple[str, str]:
        """(status, detail) of ``image``'s version ``version``."""
        url = self._url(f"/images/{quote(image, safe='')}/versions/{quote(version, safe='')}")
        status, body = self._get(url)
        if status == 404:
            return MISSING, (f"image definition exists in gallery {self.gallery} but has no "
                             f"version {version}")
        if status != 200:
            raise self._failure(status, body, f"reading {image} version {version}")
        state = str((body.get("properties") or {}).get("provisioningState", "Succeeded"))
        if state != "Succeeded":
            return MISSING, f"version {version} in gallery {self.gallery} is {state}"
        return PRESENT, f"gallery {self.gallery}, version {version}"

    # -- the ImageStore interface -------------------------------------------------------------
    def lookup(self, refs: Sequence[ImageRef]) -> dict[str, ImageAnswer]:
        refs = list({ref.name: ref for ref in refs}.values())
        if not refs:
            return {}
        if not self.subscription or not self.resource_group:
            detail = (f"providers.{self.provider} needs 'subscription' (or AZURE_SUBSCRIPTION_ID)"
                      " and 'resourceGroup' in the gate config")
            return {ref.name: ImageAnswer(ref.name, ERROR, detail) for ref in refs}
        try:
            definitions = self._list_definitions()
        except _Failed as exc:
            return {ref.name: ImageAnswer(ref.name, ERROR, str(exc)) for ref in refs}
        result: dict[str, ImageAnswer] = {}
        to_check = []
        for ref in refs:
            if ref.name in definitions:
                to_check.append(ref)
            else:
                result[ref.name] = ImageAnswer(ref.name, MISSING, f"no image definition "
                                               f"{ref.name} in gallery {self.gallery}")
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="azure") as pool:
            futures = {ref.name: pool.submit(self._answer, ref) for ref in to_check}
            for name, future in futures.items():
                result[name] = future.result()
        ordered = {ref.name: result[ref.name] for ref in refs}
        self._answers.update(ordered)
        return ordered

    def _answer(self, ref: ImageRef) -> ImageAnswer:
        version = Version.parse(ref.flatcar).core
        try:
            status, detail = self._version(ref.name, version)
        except _Failed as exc:
            return ImageAnswer(ref.name, ERROR, str(exc))
        location = f"{self.gallery}/{ref.name}/{version}"
        return ImageAnswer(ref.name, status, detail, (location,) if status == PRESENT else ())

    def similar(self, refs: Sequence[ImageRef]) -> dict[str, list[str]]:
        wanted = [ref for ref in dict.fromkeys(refs)
                  if ref.name not in self._answers or self._answers[ref.name].status != PRESENT]
        if not wanted or not self.subscription or not self.resource_group:
            return {}
        try:
            definitions = self._list_definitions()
        except _Failed:
            return {}
        hints: dict[str, list[str]] = {}
        for ref in wanted:
            prefix = similar_prefix(ref.flatcar, ref.kubernetes)
            candidates = rank_hints((d for d in definitions if d.startswith(prefix)), ref.name)
            version = Version.parse(ref.flatcar).core
            usable = []
            for name in candidates:  # only definitions that really hold this flatcar version
                try:
                    if self._version(name, version)[0] == PRESENT:
                        usable.append(name)
                except _Failed:
                    continue
            hints[ref.name] = usable
        return hints


def arm_endpoint_allowed(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    if parts.hostname in LOOPBACK_HOSTS:
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and parts.hostname in ARM_HOSTS and parts.port in (None, 443) \
        and parts.path in ("", "/") and not parts.query and not parts.username
