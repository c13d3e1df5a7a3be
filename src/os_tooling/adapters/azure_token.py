"""A bearer token for Azure Resource Manager, from the environment variables Azure's own tools
use (no SDK: see docs/backends.md for why).

In order:
1. ``AZURE_ACCESS_TOKEN``: a token obtained elsewhere, e.g. after ``azure/login`` with
   ``az account get-access-token --query accessToken -o tsv``;
2. ``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` + ``AZURE_CLIENT_SECRET``: a service principal
   (OAuth2 client credentials);
3. ``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` + ``AZURE_FEDERATED_TOKEN_FILE``: workload identity
   federation (the file holds an OIDC token, e.g. GitHub's).

``AZURE_AUTHORITY_HOST`` overrides ``https://login.microsoftonline.com`` (sovereign clouds,
tests). Tokens and secrets never appear in messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from os_tooling.adapters.files import read_text
from os_tooling.adapters.http import HttpError, RetryPolicy, send, tls_or_loopback
from os_tooling.errors import UsageError

if TYPE_CHECKING:
    import requests

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
_TENANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$")


class AzureCredentialError(Exception):
    """No usable credentials, or the identity platform refused them."""


def arm_token(session: requests.Session, scope: str, *, policy: RetryPolicy | None = None,
              env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    token = env.get("AZURE_ACCESS_TOKEN", "").strip()
    if token:
        if any(ord(c) < 32 or ord(c) == 127 for c in token):
            raise AzureCredentialError("AZURE_ACCESS_TOKEN contains control characters (a newline "
                                       "inside it?); check the secret")
        return token
    tenant = env.get("AZURE_TENANT_ID", "").strip()
    client = env.get("AZURE_CLIENT_ID", "").strip()
    secret = env.get("AZURE_CLIENT_SECRET", "")
    assertion_file = env.get("AZURE_FEDERATED_TOKEN_FILE", "").strip()
    if not tenant or not client or not (secret or assertion_file):
        raise AzureCredentialError(
            "no Azure credentials: set AZURE_ACCESS_TOKEN, or AZURE_TENANT_ID and "
            "AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE")
    if not _TENANT_RE.match(tenant):
        raise AzureCredentialError("AZURE_TENANT_ID is not a tenant id or domain")
    authority = (env.get("AZURE_AUTHORITY_HOST", "").strip() or DEFAULT_AUTHORITY).rstrip("/")
    if not authority.startswith(("http://", "https://")):
        authority = "https://" + authority
    if not tls_or_loopback(authority):
        raise AzureCredentialError("AZURE_AUTHORITY_HOST must be an https:// URL")
    form = {"grant_type": "client_credentials", "client_id": client, "scope": scope}
    if secret:
        form["client_secret"] = secret
    else:
        try:  # the bounded reader: a regular file of at most 64 KiB (an OIDC token is ~1 KiB)
            form["client_assertion"] = read_text(assertion_file, "AZURE_FEDERATED_TOKEN_FILE",
                                                 max_bytes=64 * 1024).strip()
        except UsageError as exc:
            raise AzureCredentialError(str(exc)) from None
        form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    url = f"{authority}/{tenant}/oauth2/v2.0/token"
    try:
        response = send(session, "POST", url, data=form, policy=policy)
    except HttpError as exc:
        raise AzureCredentialError(f"cannot get an Azure token: {exc}") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        code = body.get("error", "") if isinstance(body, dict) else ""
        description = body.get("error_description", "") if isinstance(body, dict) else ""
        first_line = " ".join(str(description).split())[:200]
        raise AzureCredentialError(f"Azure refused the credentials of client {client} "
                                   f"(HTTP {response.status_code} {code}: {first_line})".rstrip())
    return str(body["access_token"])
