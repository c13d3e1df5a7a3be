"""VM templates in S3 (providers capv, capvcd: OVA files; capmox: a folder per image): an image
exists when its object (or, for a key template ending in ``/``, anything under that prefix)
exists in the bucket (docs/backends.md).

Two modes:
- ``anonymous: true`` (default; the public bucket needs no account): plain HTTP ``HEAD`` on the
  bucket's public URL (``GET ?list-type=2`` for prefixes), through requests with retries;
- ``anonymous: false``: boto3 ``head_object`` / ``list_objects_v2`` with the usual credentials
  (``profile`` option, ``AWS_PROFILE``, keys), botocore retries.

Endpoints follow boto3's settings in both modes (``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``).
A 403 is an ``error``, never ``missing``: S3 answers 403 for missing keys when listing is not
public, so it cannot tell.
"""

from __future__ import annotations

import os
import string
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

from os_tooling.adapters.http import HttpError, RetryPolicy, new_session, send
from os_tooling.backends._common import Options, rank_hints
from os_tooling.backends.aws_ami import _session
from os_tooling.backends.base import ERROR, MISSING, PRESENT, ImageAnswer, StoreConfig
from os_tooling.core.naming import ImageRef, parse_image_name, similar_prefix
from os_tooling.core.versions import Version
from os_tooling.errors import UsageError

DEFAULT_BUCKET = "gs-public-capi-vm-images"
DEFAULT_REGION = "eu-central-1"
OVA_KEY = "capv/{image}/flatcar-stable-{flatcar}-kube-v{kubernetes}.ova"
DEFAULT_KEYS = {"capv": OVA_KEY, "capvcd": OVA_KEY, "capmox": "capmox/{image}/"}
FIELDS = frozenset({"image", "flatcar", "kubernetes", "tooling"})
BUCKET_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
REGION_PATTERN = r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}"
WORKERS = 8


class Store:
    """The ``s3`` back end. Options: ``bucket``, ``region``, ``key`` (template with {image}
    {flatcar} {kubernetes} {tooling}; a trailing ``/`` means "anything under this prefix"),
    ``anonymous``, ``profile``, ``timeout``, ``maxAttempts``."""

    def __init__(self, config: StoreConfig):
        opts = Options(config.provider, config.backend, config.options)
        self.provider = config.provider
        self.bucket = opts.string("bucket", DEFAULT_BUCKET, pattern=BUCKET_PATTERN,
                                  what="an S3 bucket name") or DEFAULT_BUCKET
        self.region = opts.string("region", DEFAULT_REGION, pattern=REGION_PATTERN,
                                  what="an AWS region name") or DEFAULT_REGION
        default_key = DEFAULT_KEYS.get(config.provider)
        self.key = opts.string("key", default_key)
        self.anonymous = opts.boolean("anonymous", True)
        self.profile = opts.string("profile", pattern=r"[A-Za-z0-9_.@+-]{1,128}",
                                   what="a profile name")
        timeout = opts.number("timeout", 60.0, low=1, high=900)
        self.max_attempts = int(opts.number("maxAttempts", 5, low=1, high=20))
        opts.done()
        if self.key is None:
            raise UsageError(f"providers.{config.provider}.key: no default key template for "
                             f"{config.provider}; give one, e.g. {OVA_KEY!r}")
        _check_template(config.provider, self.key)
        if self.profile and self.anonymous:
            raise UsageError(f"providers.{config.provider}: 'profile' needs 'anonymous: false'")
        self.timeout = timeout
        self.policy = RetryPolicy(attempts=self.max_attempts, deadline=timeout,
                                  read_timeout=min(30.0, timeout))
        self.requests = 0
        self._lock = threading.Lock()
        self._session: Any = None
        self._client: Any = None
        self._answers: dict[str, ImageAnswer] = {}

    # -- keys ---------------------------------------------------------------------------------
    @property
    def prefix_mode(self) -> bool:
        return self.key.endswith("/")

    def key_for(self, ref: ImageRef) -> str:
        return self.key.format(image=ref.name, flatcar=_plain(ref.flatcar),
                               kubernetes=_plain(ref.kubernetes), tooling=_plain(ref.tooling))

    def _hint_prefix(self, ref: ImageRef) -> str | None:
        """The listing prefix of folders named like images with this flatcar + kubernetes."""
        head, marker, tail = self.key.partition("{image}")
        if not marker or not tail.startswith("/"):
            return None
        return head.format(flatcar=_plain(ref.flatcar), kubernetes=_plain(ref.kubernetes),
                           tooling=_plain(ref.tooling)) + similar_prefix(ref.flatcar,
                                                                         ref.kubernetes)

    def _url(self, key: str = "") -> str:
        endpoint = _configured_endpoint()
        quoted = quote(key, safe="/~")
        if endpoint:
            return f"{endpoint.rstrip('/')}/{self.bucket}/{quoted}"
        domain = "amazonaws.com.cn" if self.region.startswith("cn-") else "amazonaws.com"
        if "." in self.bucket:  # virtual-hosted names with dots break TLS: path style
            return f"https://s3.{self.region}.{domain}/{self.bucket}/{quoted}"
        return f"https://{self.bucket}.s3.{self.region}.{domain}/{quoted}"

    def _where(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    # -- one object or prefix -----------------------------------------------------------------
    def _exists(self, key: str) -> tuple[str, str]:
        """(status, detail) for ``key`` (or for the prefix ``key`` in prefix mode)."""
        with self._lock:
            self.requests += 1
        if self.prefix_mode:
            names, error = self._list(key, delimiter=None, limit=1)
            if error:
                return ERROR, error
            return (PRESENT, self._where(key)) if names else (MISSING, f"nothing under "
                                                                          f"{self._where(key)}")
        return self._head(key)

    def _head(self, key: str) -> tuple[str, str]:
        if not self.anonymous:
            return self._head_boto(key)
        try:
            response = send(self._http(), "HEAD", self._url(key), policy=self.policy)
        except HttpError as exc:
            return ERROR, f"{self._where(key)}: {exc}"
        return self._verdict(key, response.status_code)

    def _verdict(self, key: str, status: int | str) -> tuple[str, str]:
        status = str(status)
        if status == "200":
            return PRESENT, self._where(key)
        if status in ("404", "NoSuchKey", "NotFound"):
            return MISSING, f"no object {self._where(key)}"
        if status in ("403", "AccessDenied"):
            how = ("anonymous reads: S3 also answers 403 for a missing key when the bucket "
                   "does not allow public listing" if self.anonymous else "check the profile's "
                   "s3:GetObject and s3:ListBucket permissions")
            return ERROR, f"access denied (403) for {self._where(key)}; {how}"
        if status in ("301", "307", "400", "PermanentRedirect"):
            return ERROR, (f"bucket {self.bucket} did not answer in region {self.region} "
                           f"(HTTP {status}); check the 'region' option")
        if status == "NoSuchBucket":
            return ERROR, f"bucket {self.bucket} does not exist"
        return ERROR, f"{self._where(key)}: unexpected answer {status}"

    def _head_boto(self, key: str) -> tuple[str, str]:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            self._boto().head_object(Bucket=self.bucket, Key=key)
        except NoCredentialsError:
            return ERROR, (f"no AWS credentials for {self._where(key)}: set the profile option, "
                           "AWS_PROFILE or AWS_ACCESS_KEY_ID, or use anonymous: true")
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or exc.response.get("ResponseMetadata", {})
                       .get("HTTPStatusCode", "error"))
            return self._verdict(key, code)
        except BotoCoreError as exc:
            return ERROR, f"{self._where(key)}: {' '.join(str(exc).split())[:200]}"
        return PRESENT, self._where(key)

    def _list(self, prefix: str, *, delimiter: str | None,
              limit: int) -> tuple[list[str], str | None]:
        """Keys (no delimiter) or folder prefixes (delimiter '/') under ``prefix``."""
        if not self.anonymous:
            return self._list_boto(prefix, delimiter=delimiter, limit=limit)
        params = {"list-type": "2", "prefix": prefix, "max-keys": str(limit)}
        if delimiter:
            params["delimiter"] = delimiter
        try:
            response = send(self._http(), "GET", self._url(), params=params, policy=self.policy)
        except HttpError as exc:
            return [], f"{self._where(prefix)}: {exc}"
        if response.status_code != 200:
            return [], self._verdict(prefix, response.status_code)[1]
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            return [], f"{self._where(prefix)}: the bucket listing is not XML"
        tag = "CommonPrefixes/Prefix" if delimiter else "Contents/Key"
        path = "/".join(f"{{*}}{part}" for part in tag.split("/"))
        return [el.text or "" for el in root.findall(path)], None

    def _list_boto(self, prefix: str, *, delimiter: str | None,
                   limit: int) -> tuple[list[str], str | None]:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": limit}
        if delimiter:
            request["Delimiter"] = delimiter
        try:
            page = self._boto().list_objects_v2(**request)
        except NoCredentialsError:
            return [], f"no AWS credentials for {self._where(prefix)}"
        except ClientError as exc:
            return [], self._verdict(prefix, exc.response.get("Error", {}).get("Code", "error"))[1]
        except BotoCoreError as exc:
            return [], f"{self._where(prefix)}: {' '.join(str(exc).split())[:200]}"
        if delimiter:
            return [p.get("Prefix", "") for p in page.get("CommonPrefixes", [])], None
        return [o.get("Key", "") for o in page.get("Contents", [])], None

    # -- clients ----------------------------------------------------------------------------
    def _http(self) -> Any:
        with self._lock:
            if self._session is None:
                self._session = new_session(pool_size=WORKERS)
            return self._session

    def _boto(self) -> Any:
        with self._lock:
            if self._client is None:
                from botocore.config import Config


                config = Config(retries={"mode": "standard",
                                         "total_max_attempts": self.max_attempts},
                                connect_timeout=min(5.0, self.timeout),
                                read_timeout=min(20.0, self.timeout),
                                max_pool_connections=WORKERS, user_agent_extra="os-tooling")
                self._client = _session(self.profile).client("s3", region_name=self.region,
                                                             config=config)
            return self._client

    def _prepare(self) -> str | None:
        """Create the client in this thread (boto3 sessions are not thread-safe)."""
        if self.anonymous:
            self._http()
            return None
        from botocore.exceptions import BotoCoreError

        try:
            self._boto()
        except BotoCoreError as exc:  # e.g. ProfileNotFound
            return " ".join(str(exc).split())[:200]
        return None

    # -- the ImageStore interface -------------------------------------------------------------
    def lookup(self, refs: Sequence[ImageRef]) -> dict[str, ImageAnswer]:
        refs = list({ref.name: ref for ref in refs}.values())
        if not refs:
            return {}
        problem = self._prepare()
        if problem:
            return {ref.name: ImageAnswer(ref.name, ERROR, problem) for ref in refs}
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(refs)),
                                thread_name_prefix="s3") as pool:
            futures = {ref.name: pool.submit(self._exists, self.key_for(ref)) for ref in refs}
            result = {}
            for ref in refs:
                status, detail = futures[ref.name].result()
                key = self.key_for(ref)
                result[ref.name] = ImageAnswer(ref.name, status, detail,
                                               (self._where(key),) if status == PRESENT else ())
        if any(answer.status == MISSING for answer in result.values()):
            # a HEAD in a bucket that does not exist is a plain 404 too: tell the two apart
            problem = self._bucket_problem()
            if problem:
                result = {name: ImageAnswer(name, ERROR, problem) if a.status == MISSING else a
                          for name, a in result.items()}
        self._answers.update(result)
        return result

    def _bucket_problem(self) -> str | None:
        """Why the bucket cannot be read, when it does not exist; None when it does."""
        if self.anonymous:
            try:
                response = send(self._http(), "HEAD", self._url(), policy=self.policy)
            except HttpError as exc:
                return f"bucket {self.bucket}: {exc}"
            status = response.status_code
        else:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                self._boto().head_bucket(Bucket=self.bucket)
                status = 200
            except ClientError as exc:
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            except BotoCoreError as exc:
                return f"bucket {self.bucket}: {' '.join(str(exc).split())[:200]}"
        if status == 404:
            return f"bucket {self.bucket} does not exist (region {self.region})"
        return None

    def similar(self, refs: Sequence[ImageRef]) -> dict[str, list[str]]:
        wanted = [ref for ref in dict.fromkeys(refs)
                  if ref.name not in self._answers or self._answers[ref.name].status != PRESENT]
        if not wanted or self._prepare():
            return {}
        hints: dict[str, list[str]] = {}
        for ref in wanted:
            prefix = self._hint_prefix(ref)
            if prefix is None:
                continue
            head = prefix[:len(prefix) - len(similar_prefix(ref.flatcar, ref.kubernetes))]
            folders, error = self._list(prefix, delimiter="/", limit=1000)
            if error:
                continue
            names = [f[len(head):].rstrip("/") for f in folders]
            candidates = [n for n in rank_hints(names, ref.name) if parse_image_name(n)]
            usable = []
            for name in candidates:  # the folder alone is not enough: the object must exist
                other = parse_image_name(name)
                assert other is not None
                if self._exists(self.key_for(other))[0] == PRESENT:
                    usable.append(name)
            hints[ref.name] = usable
        return hints


def _plain(version: str) -> str:
    return Version.parse(version.strip()).core


def _configured_endpoint() -> str | None:
    """The S3 endpoint boto3 would use from the environment, if one is configured."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return (os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            or None)


def _check_template(provider: str, template: str) -> None:
    where = f"providers.{provider}.key"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UsageError(f"{where}: {exc} in {template!r}") from None
    fields = [name for _, name, spec, conversion in parsed if name is not None]
    unknown = sorted({f for f in fields if f not in FIELDS})
    if unknown:
        raise UsageError(f"{where}: unknown placeholder(s) {', '.join('{' + f + '}' for f in unknown)}"
                         f" (known: {{image}} {{flatcar}} {{kubernetes}} {{tooling}})")
    if any(spec or conversion for _, name, spec, conversion in parsed if name is not None):
        raise UsageError(f"{where}: placeholders take no format spec or conversion")
    if "image" not in fields and "tooling" not in fields:
        raise UsageError(f"{where}: the key must contain {{image}} or {{tooling}}, or every "
                         "os-tooling version would share one object")
    if template.startswith("/"):
        raise UsageError(f"{where}: S3 keys do not start with '/'")
