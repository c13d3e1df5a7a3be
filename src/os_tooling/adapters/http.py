"""One way to make HTTP requests: timeouts always, retries with backoff on 429/5xx and
connection failures, ``Retry-After`` honoured (but capped), and a bounded total time.

Used by the Azure gallery store (ARM REST) and the anonymous S3 mode. Error messages name the
host and path, never headers (tokens live there) and never query strings.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # requests is imported lazily: it costs start-up time
    import requests

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # total tries, the first included
    backoff: float = 0.5  # first wait in seconds; doubles each retry, with jitter
    max_wait: float = 20.0  # no single wait is longer (also caps Retry-After)
    deadline: float = 60.0  # total seconds for one logical request, waits included
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


class HttpError(Exception):
    """A request that failed for good: not reachable, timed out, or still 429/5xx at the end."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def where(url: str) -> str:
    """``host/path`` of a URL, for messages (no scheme noise, no query string)."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def new_session(user_agent: str = "os-tooling", pool_size: int = 10) -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.trust_env = True  # HTTPS_PROXY / NO_PROXY / REQUESTS_CA_BUNDLE like any CLI
    return session


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def tls_or_loopback(url: str) -> bool:
    """May secrets and tokens go to this URL? Only over TLS; plain HTTP on loopback (tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def send(session: requests.Session, method: str, url: str, *,
         headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None,
         data: Mapping[str, str] | None = None,
         policy: RetryPolicy | None = None,
         sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> requests.Response:
    """The final response of ``method url`` (any status that is not retried, e.g. 200, 404, 403).

    Raises HttpError when the host cannot be reached, or when the answer is still 429/5xx
    after ``policy.attempts`` tries or past ``policy.deadline``.
    """
    import requests

    policy = policy or RetryPolicy()
    start = clock()
    attempt = 0
    while True:
        attempt += 1
        remaining = policy.deadline - (clock() - start)
        if remaining <= 0:
            raise HttpError(f"{method} {where(url)}: no answer within {policy.deadline:g}s")
        timeout = (min(policy.connect_timeout, remaining), min(policy.read_timeout, remaining))
        problem: str
        wait_hint: float | None = None
        try:
            response = session.request(method, url, headers=dict(headers or {}), params=params,
                                       data=data, timeout=timeout, allow_redirects=False)
        except requests.exceptions.Timeout:
            problem = "timed out"
            status = None
        except requests.exceptions.ConnectionError as exc:
            problem = f"cannot connect ({_short_reason(exc)})"
            status = None
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            status = response.status_code
            problem = f"HTTP {status}"
            wait_hint = retry_after_seconds(response.headers.get("Retry-After"))
            response.close()
        if attempt >= policy.attempts:
            raise HttpError(f"{method} {where(url)}: {problem} after {attempt} attempts", status)
        wait = policy.backoff * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)
        if wait_hint is not None:
            wait = wait_hint
        wait = min(wait, policy.max_wait)
        if clock() - start + wait >= policy.deadline:
            raise HttpError(f"{method} {where(url)}: {problem}; giving up (retrying would pass "
                            f"the {policy.deadline:g}s limit)", status)
        sleep(wait)


def _short_reason(exc: Exception) -> str:
    text = str(exc.__context__ or exc) if exc.args == () else str(exc.args[0])
    text = " ".join(text.split())
    for marker in ("Failed to establish a new connection:", "NameResolutionError"):
        if marker in text:
            return text[text.index(marker):][:160]
    return text[:160]
