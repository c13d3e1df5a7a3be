"""A loopback fake of the Azure endpoints the gallery store uses, speaking ARM's shapes.

- ``POST /{tenant}/oauth2/v2.0/token`` (identity platform, client credentials);
- ``GET .../galleries/{gallery}/images`` (paged with ``nextLink``);
- ``GET .../galleries/{gallery}/images/{image}/versions/{version}``.

State: galleries -> image definitions -> versions (with provisioning state). Every request
needs ``Authorization: Bearer <token>`` with a token the fake issued or was told about, and
an ``api-version``. Faults (429 with ``Retry-After``, 5xx) are queued per path prefix. The
request log keeps method, path and when each request arrived.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

_GALLERY_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute"
    r"/galleries/(?P<gallery>[^/]+)/images(?:/(?P<image>[^/]+)(?:/versions/(?P<version>[^/]+))?)?$")
_TOKEN_RE = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, list[str]]
    at: float
    status: int = 0
    authorization: str = ""


@dataclass
class AzureFault:
    path_contains: str
    status: int
    times: int = 1
    retry_after: str | None = None


@dataclass
class FakeAzure:
    subscription: str = "0b5a3a5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    resource_group: str = "capz-images"
    tenant: str = "tenant.example"
    client_id: str = "os-tooling-ci"
    client_secret: str = "s3cr3t-value-never-logged"
    page_size: int = 2
    next_link_base: str | None = None  # e.g. another host, to test that it is not followed
    galleries: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    log: list[Logged] = field(default_factory=list)
    faults: list[AzureFault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._issued = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake._serve(self)

            def do_POST(self) -> None:
                fake._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    # -- state ------------------------------------------------------------------------------------
    def add_image(self, gallery: str, image: str, *versions: str, state: str = "Succeeded") -> None:
        with self._lock:
            definitions = self.galleries.setdefault(gallery, {})
            definitions.setdefault(image, {}).update({v: state for v in versions})

    def inject(self, fault: AzureFault) -> None:
        with self._lock:
            self.faults.append(fault)

    def requests(self, contains: str = "") -> list[Logged]:
        with self._lock:
            return [entry for entry in self.log if contains in entry.path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- HTTP ----------------------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        entry = Logged(handler.command, path, parse_qs(parts.query), time.monotonic(),
                       authorization=handler.headers.get("Authorization", ""))
        with self._lock:
            self.log.append(entry)
            fault = next((f for f in self.faults if f.times > 0 and f.path_contains in path), None)
            if fault is not None:
                fault.times -= 1
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            code = "TooManyRequests" if fault.status == 429 else "InternalServerError"
            return self._send(handler, entry, fault.status,
                              {"error": {"code": code, "message": "injected"}}, headers)
        token = _TOKEN_RE.match(path)
        if handler.command == "POST" and token:
            return self._token(handler, entry, token["tenant"], body)
        match = _GALLERY_RE.match(path)
        if handler.command != "GET" or match is None:
            return self._send(handler, entry, 404, _error("NotFound", "no such route"))
        if not entry.query.get("api-version"):
            return self._send(handler, entry, 400, _error("MissingApiVersionParameter",
                                                          "The api-version query parameter is required"))
        auth = entry.authorization
        if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in self.tokens:
            return self._send(handler, entry, 401, _error("InvalidAuthenticationToken",
                                                          "The access token is invalid."))
        if match["sub"] != self.subscription or match["rg"] != self.resource_group:
            return self._send(handler, entry, 403, _error(
                "AuthorizationFailed", "The client does not have authorization to perform "
                "action 'Microsoft.Compute/galleries/images/read' over scope "
                f"'/subscriptions/{match['sub']}/resourceGroups/{match['rg']}'."))
        gallery = self.galleries.get(match["gallery"])
        if gallery is None:
            return self._send(handler, entry, 404, _error(
                "ParentResourceNotFound", f"Can not perform requested operation on nested "
                f"resource. Parent resource '{match['gallery']}' not found."))
        if match["image"] is None:
            return self._list(handler, entry, gallery)
        versions = gallery.get(match["image"])
        if versions is None:
            return self._send(handler, entry, 404, _error(
                "ResourceNotFound", f"The Resource '{match['image']}' was not found."))
        if match["version"] is None:
            return self._send(handler, entry, 200, {"name": match["image"], "properties": {}})
        state = versions.get(match["version"])
        if state is None:
            return self._send(handler, entry, 404, _error(
                "ResourceNotFound", f"The Resource '{match['version']}' was not found."))
        return self._send(handler, entry, 200, {
            "name": match["version"], "type": "Microsoft.Compute/galleries/images/versions",
            "properties": {"provisioningState": state}})

    def _list(self, handler: BaseHTTPRequestHandler, entry: Logged, gallery: dict) -> None:
        names = sorted(gallery)
        start = int((entry.query.get("$skiptoken") or ["0"])[0])
        page = names[start:start + self.page_size]
        body: dict[str, object] = {"value": [
            {"name": n, "type": "Microsoft.Compute/galleries/images",
             "properties": {"osType": "Linux", "provisioningState": "Succeeded"}} for n in page]}
        if start + self.page_size < len(names):
            base = self.next_link_base or f"http://{handler.headers.get('Host')}"
            version = entry.query["api-version"][0]
            body["nextLink"] = (f"{base}{entry.path}?api-version={version}"
                                f"&$skiptoken={start + self.page_size}")
        self._send(handler, entry, 200, body)

    def _token(self, handler: BaseHTTPRequestHandler, entry: Logged, tenant: str,
               body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (tenant != self.tenant or form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
                or form.get("grant_type") != "client_credentials"):
            return self._send(handler, entry, 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided."})
        with self._lock:
            self._issued += 1
            token = f"fake-arm-token-{self._issued}"
            self.tokens.add(token)
        self._send(handler, entry, 200, {"token_type": "Bearer", "expires_in": 3599,
                                         "access_token": token, "scope": form.get("scope")})

    def _send(self, handler: BaseHTTPRequestHandler, entry: Logged, status: int, body: dict,
              headers: dict[str, str] | None = None) -> None:
        entry.status = status
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}
