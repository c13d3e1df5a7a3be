"""A loopback reverse proxy in front of moto: adds latency, injects errors, logs requests.

It stands where AWS's network would be: every request waits ``delay`` seconds (a round trip to
a far region), matching requests can be answered with an injected error instead (EC2
throttling, S3 403), and each request is logged with what it was (action, region, access key,
filter values) so tests can count calls and see which credentials went where.

Optionally it enforces EC2's real limit of 200 filter values per call, as AWS does
(``FilterLimitExceeded``), which moto does not.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade"}
_CREDENTIAL_RE = re.compile(r"Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/")
_FILTER_VALUE_RE = re.compile(r"^Filter\.[0-9]+\.Value\.[0-9]+$")

EC2_THROTTLE_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
    b"</Error></Errors><RequestID>00000000-proxy-throttle</RequestID></Response>")
EC2_DENIED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this "
    b"operation.</Message></Error></Errors><RequestID>00000000-proxy-denied</RequestID>"
    b"</Response>")
EC2_AUTH_FAILURE_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>AuthFailure</Code><Message>AWS was not able to validate the provided access "
    b"credentials</Message></Error></Errors><RequestID>00000000-proxy-auth</RequestID>"
    b"</Response>")
EC2_FILTER_LIMIT_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>FilterLimitExceeded</Code><Message>The maximum number of filter values specified "
    b"on a single call is 200</Message></Error></Errors><RequestID>00000000-proxy-limit"
    b"</RequestID></Response>")
S3_DENIED_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                  b"<Message>Access Denied</Message></Error>")


@dataclass
class Seen:
    """One request as the proxy saw it."""

    method: str
    path: str
    params: dict[str, list[str]]
    region: str | None
    service: str | None
    access_key: str | None
    injected: int | None = None  # status of an injected answer, None when forwarded

    @property
    def action(self) -> str | None:
        values = self.params.get("Action")
        return values[0] if values else None

    @property
    def filter_values(self) -> list[str]:
        return [v for k, vs in sorted(self.params.items()) if _FILTER_VALUE_RE.match(k)
                for v in vs]


@dataclass
class Fault:
    """Answer matching requests with ``status`` instead of forwarding them, ``times`` times."""

    match: Callable[[Seen], bool]
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    content_type: str = "text/xml"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up: expected
            return
        super().handle_error(request, client_address)


class LatencyProxy:
    def __init__(self, upstream: str, *, delay: float = 0.0, ec2_filter_limit: bool = False,
                 routes: dict[str, str] | None = None):
        """``routes`` sends requests signed for a region starting with a key elsewhere, e.g.
        ``{"cn-": china_url}``: the China partition is a separate AWS."""
        self.upstream = _host_port(upstream)
        self.routes = {prefix: _host_port(url) for prefix, url in (routes or {}).items()}
        self.delay = delay
        self.ec2_filter_limit = ec2_filter_limit
        self.log: list[Seen] = []
        self.faults: list[Fault] = []
        self.in_flight = 0
        self.max_in_flight = 0  # most requests seen at the same time (concurrency, not timing)
        self.arrived = 0  # requests received, counted on arrival (the log waits for the delay)
        self._lock = threading.Lock()
        self._local = threading.local()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    # -- test-facing API ----------------------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def requests(self, action: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.log if action is None or s.action == action]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()
            self.faults.clear()
            self.max_in_flight = self.in_flight

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LatencyProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the proxy ------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.arrived += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._answer(handler)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        seen = self._describe(handler, body)
        if self.delay:
            time.sleep(self.delay)
        fault = self._take_fault(seen)
        if fault is None and self.ec2_filter_limit and len(seen.filter_values) > 200:
            fault = Fault(lambda s: True, 400, EC2_FILTER_LIMIT_BODY)
        if fault is not None:
            seen.injected = fault.status
            with self._lock:
                self.log.append(seen)
            payload = b"" if handler.command == "HEAD" else fault.body
            handler.send_response(fault.status)
            handler.send_header("Content-Type", fault.content_type)
            for key, value in fault.headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        with self._lock:
            self.log.append(seen)
        status, reason, headers, payload = self._forward(handler, body, seen)
        handler.send_response(status, reason)
        for key, value in headers:
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                handler.send_header(key, value)
        if handler.command == "HEAD":
            upstream_length = next((v for k, v in headers if k.lower() == "content-length"), "0")
            handler.send_header("Content-Length", upstream_length)
            handler.end_headers()
            return
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _describe(self, handler: BaseHTTPRequestHandler, body: bytes) -> Seen:
        parts = urlsplit(handler.path)
        params = parse_qs(parts.query, keep_blank_values=True)
        if handler.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            for key, values in parse_qs(body.decode("utf-8", "replace"),
                                        keep_blank_values=True).items():
                params.setdefault(key, []).extend(values)
        match = _CREDENTIAL_RE.search(handler.headers.get("Authorization", ""))
        return Seen(handler.command, parts.path, params,
                    region=match.group(2) if match else None,
                    service=match.group(3) if match else None,
                    access_key=match.group(1) if match else None)

    def _take_fault(self, seen: Seen) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.match(seen):
                    fault.times -= 1
                    return fault
        return None

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes,
                 seen: Seen) -> tuple[int, str, list[tuple[str, str]], bytes]:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        target = self.upstream
        for prefix, route in self.routes.items():
            if seen.region and seen.region.startswith(prefix):
                target = route
        if not hasattr(self._local, "conns"):
            self._local.conns = {}
        for attempt in range(2):  # a kept-alive upstream connection may have been closed
            conn = self._local.conns.get(target)
            if conn is None:
                conn = http.client.HTTPConnection(*target, timeout=30)
                self._local.conns[target] = conn
            try:
                conn.request(handler.command, handler.path, body=body or None, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                return response.status, response.reason, response.getheaders(), payload
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conns.pop(target, None)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def ec2_action(action: str, *, region: str | None = None) -> Callable[[Seen], bool]:
    """A fault matcher: EC2 requests for ``action`` (optionally only in ``region``)."""
    return lambda seen: seen.action == action and (region is None or seen.region == region)
