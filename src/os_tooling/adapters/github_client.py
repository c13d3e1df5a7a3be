"""The one way os-tooling talks to GitHub's REST API: a configured PyGithub client.

Shared by ``release``/``describe``/``diff`` (tags, releases, contents), the gate (is an
os-tooling version a tag of imageBuilderRepo; files of a PR) and the action (the sticky PR
comment). Use it like this::

    from os_tooling.adapters import github_client as ghc

    settings = ghc.ClientSettings.from_env(token=args.token, base_url=args.github_api_url)
    client = ghc.build_client(settings)            # masks the token in every log line
    repo = ghc.open_repo(client, "acme/capi-image-builder")   # lazy: no request yet
    try:
        ...
    except Exception as exc:
        if ghc.is_github_error(exc):
            raise SomeError(ghc.explain(exc, "reading tags of acme/capi-image-builder"))
        raise

Commands get ``--token``/``--github-api-url`` from ``os_tooling.cli.github_options``.

What ``build_client`` guarantees:

- token: ``--token``, else ``INPUT_TOKEN`` (an action input), else ``GITHUB_TOKEN``; it is
  never printed: ``install_token_mask`` masks it in every log record (a LogRecord factory,
  so every logger and handler is covered), and ``explain``/``mask`` scrub messages;
- base URL: ``--github-api-url``, else ``GITHUB_API_URL`` (set by GitHub Actions; on GitHub
  Enterprise Server it is ``https://HOST/api/v3``), else ``https://api.github.com``;
- retries with exponential backoff for 5xx, 429 and rate-limit 403s (PyGithub's GithubRetry:
  secondary rate limits wait ``Retry-After`` or ``secondary_wait``; primary ones wait for
  ``X-RateLimit-Reset``). A wait longer than ``max_wait`` is not slept: the call fails at once
  with a clear message (``RateLimitWaitTooLong``) rather than hanging a CI job for an hour.
  Note that GithubRetry replays POSTs too: make creates idempotent (a replayed create can
  answer 422 "already exists" for what the first attempt did);
- a timeout on every call (PyGithub passes ``timeout`` to requests; ``upload_asset`` below
  does the one call PyGithub would send without it: uploads to ``uploads.github.com``);
- PyGithub's polite throttle (0.25 s between requests, 1 s between writes) stays on.

Tuning (environment): ``OS_TOOLING_GITHUB_TIMEOUT`` (seconds, default 30),
``OS_TOOLING_GITHUB_RETRIES`` (default 5), ``OS_TOOLING_GITHUB_BACKOFF`` (backoff factor,
default 1.0), ``OS_TOOLING_GITHUB_SECONDARY_WAIT`` (default 60), ``OS_TOOLING_GITHUB_MAX_WAIT``
(default 300), ``OS_TOOLING_GITHUB_THROTTLE=0`` (no throttle: tests and fakes).

PyGithub and requests are imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from os_tooling.errors import UsageError

T = TypeVar("T")

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

DEFAULT_API_URL = "https://api.github.com"
TOKEN_ENV = ("INPUT_TOKEN", "GITHUB_TOKEN")
RETRY_STATUSES = tuple(range(500, 600)) + (429,)  # GithubRetry adds rate-limit 403s itself


class RateLimitWaitTooLong(Exception):
    """GitHub asked for a wait longer than ``max_wait``: give up now with a clear message."""

    def __init__(self, seconds: float, max_wait: float):
        super().__init__(f"GitHub asks to wait {seconds:.0f}s before retrying (rate limit), "
                         f"more than the {max_wait:.0f}s allowed (OS_TOOLING_GITHUB_MAX_WAIT)")
        self.seconds = seconds


@dataclass(frozen=True)
class ClientSettings:
    base_url: str = DEFAULT_API_URL
    token: str | None = None
    timeout: int = 30
    retries: int = 5
    backoff: float = 1.0
    secondary_wait: float = 60.0
    max_wait: float = 300.0
    throttle: bool = True
    user_agent: str = "os-tooling"

    @classmethod
    def from_env(cls, token: str | None = None, base_url: str | None = None,
                 env: Mapping[str, str] | None = None) -> ClientSettings:
        env = os.environ if env is None else env
        token = token or next((env[k] for k in TOKEN_ENV if env.get(k)), None)
        check_token(token, "the GitHub token")
        url = (base_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
        if not url.startswith("https://") and not _is_loopback_http(url):
            # a token must never travel in clear text; plain http only to this machine (tests)
            raise UsageError(f"GitHub API URL {url!r} must start with https:// (GitHub Enterprise: "
                             "https://HOST/api/v3)")
        return cls(
            base_url=url,
            token=token.strip() if token else None,
            timeout=int(_number(env, "OS_TOOLING_GITHUB_TIMEOUT", 30, minimum=1)),
            retries=int(_number(env, "OS_TOOLING_GITHUB_RETRIES", 5, minimum=0)),
            backoff=_number(env, "OS_TOOLING_GITHUB_BACKOFF", 1.0, minimum=0),
            secondary_wait=_number(env, "OS_TOOLING_GITHUB_SECONDARY_WAIT", 60.0, minimum=0),
            max_wait=_number(env, "OS_TOOLING_GITHUB_MAX_WAIT", 300.0, minimum=0),
            throttle=env.get("OS_TOOLING_GITHUB_THROTTLE", "1").strip().lower()
            not in ("0", "false", "no", "off"),
        )

    def __repr__(self) -> str:  # never show the token, even in a debugger or a traceback
        return (f"ClientSettings(base_url={self.base_url!r}, token={'***' if self.token else None}, "
                f"timeout={self.timeout}, retries={self.retries})")


def check_token(token: str | None, what: str) -> None:
    """Refuse a credential with control characters up front (a secret pasted with a newline):
    HTTP libraries would quote it back in their error messages. The token is never shown."""
    if token and any(ord(c) < 32 or ord(c) == 127 for c in token.strip()):
        raise UsageError(f"{what} contains control characters (a newline or tab inside it?); "
                         "check the secret")


def upload_url_allowed(settings: ClientSettings, upload_url: str) -> bool:
    """May the token go to this release upload URL? Only to GitHub's own upload host for the
    API in use: ``uploads.github.com`` for api.github.com, the same host for GitHub Enterprise
    Server (``https://HOST/api/uploads``) and for a loopback test server."""

    api, upload = urlsplit(settings.base_url), urlsplit(upload_url)
    if upload.scheme != api.scheme or not upload.hostname:
        return False
    if api.hostname == "api.github.com":
        return upload.scheme == "https" and upload.hostname == "uploads.github.com" \
            and upload.port in (None, 443)
    return upload.hostname == api.hostname and upload.port == api.port


def _is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number") from None
    if value < minimum or value != value:
        raise UsageError(f"{name}={raw!r} must be at least {minimum:g}")
    if value > 86400:  # inf, 1e400: a wait or timeout that never ends is not a setting
        raise UsageError(f"{name}={raw!r} must be at most 86400 (seconds)")
    return value


def make_retry(settings: ClientSettings) -> Any:
    """A GithubRetry that also retries 429 and refuses waits longer than ``max_wait``."""

    from github.GithubRetry import GithubRetry

    class _Retry(GithubRetry):
        def __init__(self, max_wait: float = settings.max_wait, **kwargs: Any):
            self.max_wait = max_wait
            super().__init__(**kwargs)

        def new(self, **kwargs: Any) -> _Retry:
            kwargs.setdefault("max_wait", self.max_wait)
            return super().new(**kwargs)

        def sleep_for_retry(self, response: Any = None) -> bool:
            seconds = self.get_retry_after(response) if response is not None else None
            if seconds is not None and seconds > self.max_wait:
                raise RateLimitWaitTooLong(seconds, self.max_wait)
            return super().sleep_for_retry(response)

        def _sleep_backoff(self) -> None:
            seconds = self.get_backoff_time()
            if seconds > self.max_wait:
                raise RateLimitWaitTooLong(seconds, self.max_wait)
            if seconds > 0:
                time.sleep(seconds)

    return _Retry(total=settings.retries, backoff_factor=settings.backoff,
                  secondary_rate_wait=settings.secondary_wait,
                  status_forcelist=list(RETRY_STATUSES), raise_on_status=True)


def quiet_pygithub_logging() -> None:
    """PyGithub puts a StreamHandler at INFO on its "github" logger at import, so every retry
    prints "Request POST ... failed with 403" to stderr: noise around our one-line errors (and
    a stream bound at import time). Our own messages say what failed; keep its warnings only."""

    logger = logging.getLogger("github")
    for handler in list(logger.handlers):
        if type(handler) is logging.StreamHandler:
            logger.removeHandler(handler)
    logger.setLevel(logging.WARNING)


def build_client(settings: ClientSettings) -> Github:
    from github import Auth, Github

    quiet_pygithub_logging()
    if settings.token:
        install_token_mask(settings.token)
    throttle: dict[str, Any] = {} if settings.throttle else {
        "seconds_between_requests": None, "seconds_between_writes": None}
    return Github(base_url=settings.base_url,
                  auth=Auth.Token(settings.token) if settings.token else None,
                  timeout=settings.timeout, retry=make_retry(settings), per_page=100,
                  user_agent=settings.user_agent, **throttle)


def open_repo(client: Github, full_name: str) -> Repository:
    """A lazy repository handle (no request until something is read)."""
    check_repo_name(full_name)
    return client.get_repo(full_name, lazy=True)


def check_repo_name(full_name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", full_name or ""):
        raise UsageError(f"GitHub repository {full_name!r} is not OWNER/NAME")
    return full_name


def upload_asset(settings: ClientSettings, upload_url: str, name: str, data: bytes,
                 content_type: str = "application/octet-stream") -> tuple[int, dict]:
    """POST a release asset with the same retries and a timeout; returns (status, JSON body).

    ``upload_url`` is the release's ``upload_url`` (its ``{?name,label}`` template is dropped).
    A 422 (e.g. ``already_exists``) is returned, not raised: the caller decides.
    """
    import requests
    from requests.adapters import HTTPAdapter

    url = upload_url.split("{", 1)[0]
    if not upload_url_allowed(settings, url):
        raise UsageError(f"refusing to upload to {url[:200]!r}: not GitHub's upload host for "
                         f"{settings.base_url} (the token goes only to its own service)")
    session = requests.Session()
    session.trust_env = True
    adapter = HTTPAdapter(max_retries=make_retry(settings))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    headers = {"Content-Type": content_type, "Accept": "application/vnd.github+json",
               "User-Agent": settings.user_agent, "X-GitHub-Api-Version": "2022-11-28"}
    if settings.token:
        headers["Authorization"] = f"Bearer {settings.token}"
    try:
        response = session.post(url, params={"name": name}, data=data, headers=headers,
                                timeout=settings.timeout)
    finally:
        session.close()
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text[:200]}
    if response.status_code >= 400 and response.status_code != 422:
        from github import GithubException

        raise GithubException(response.status_code, body, dict(response.headers))
    return response.status_code, body if isinstance(body, dict) else {}


# -- errors -----------------------------------------------------------------------------------
def is_github_error(exc: BaseException) -> bool:
    """An error of the GitHub conversation (HTTP status, transport, retries exhausted)."""
    import requests
    from github import GithubException

    return isinstance(exc, GithubException | requests.exceptions.RequestException
                      | RateLimitWaitTooLong | ConnectionError | TimeoutError)


def status_of(exc: BaseException) -> int | None:
    return getattr(exc, "status", None) if not isinstance(exc, RateLimitWaitTooLong) else None


def is_transient(exc: BaseException) -> bool:
    """True when the request may or may not have reached GitHub (check before repeating)."""
    status = status_of(exc)
    return status is None or status >= 500 or status == 429


def is_validation(exc: BaseException, code: str | None = None) -> bool:
    """A 422; with ``code``, only when GitHub's ``errors`` list has that code."""
    if status_of(exc) != 422:
        return False
    if code is None:
        return True
    data = getattr(exc, "data", None)
    errors = data.get("errors") if isinstance(data, dict) else None
    return any(isinstance(e, dict) and e.get("code") == code for e in errors or [])


def message_of(exc: BaseException) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(exc)


def is_auth_problem(exc: BaseException) -> bool:
    """Bad credentials, no permission, or (for a private repo) not visible: fix the setup."""
    status = status_of(exc)
    if status in (401, 404):
        return True
    return status == 403 and "rate limit" not in message_of(exc).lower()


def read_or_none(doing: str, call: Callable[[], T], failure: Callable[[str], Exception]) -> T | None:
    """``call()`` for a read: None when GitHub answers 404 for the object; a setup problem (bad
    token, no permission) is a UsageError, any other GitHub failure ``failure(message)``."""
    from github import UnknownObjectException

    try:
        return call()
    except UnknownObjectException:
        return None
    except Exception as exc:
        if not is_github_error(exc):
            raise
        message = explain(exc, doing)
        raise (UsageError(message) if is_auth_problem(exc) else failure(message)) from None


def explain(exc: BaseException, doing: str) -> str:
    """One line for a person: what failed while ``doing``, and what to check. Token-masked."""
    import requests

    status = status_of(exc)
    if isinstance(exc, RateLimitWaitTooLong):
        text = f"{doing}: {exc}"
    elif isinstance(exc, requests.exceptions.RetryError):
        text = f"{doing}: GitHub kept failing (server errors or rate limits) after every retry"
    elif isinstance(exc, requests.exceptions.Timeout | TimeoutError):
        text = f"{doing}: GitHub did not answer in time"
    elif isinstance(exc, requests.exceptions.ConnectionError | ConnectionError):
        text = f"{doing}: cannot reach GitHub ({_short(exc)})"
    elif status == 401:
        text = f"{doing}: GitHub says the token is not valid (401 Bad credentials)"
    elif status == 403 and "rate limit" not in message_of(exc).lower():
        text = (f"{doing}: GitHub refused (403 {message_of(exc)}); the token needs write access "
                "(workflow permissions 'contents: write'; a fork's pull request gets a read-only token)")
    elif status == 404:
        text = (f"{doing}: not found on GitHub (404); check the repository name and that the "
                "token can see it")
    elif status is not None:
        text = f"{doing}: GitHub answered {status}: {message_of(exc)}"
    else:
        text = f"{doing}: {type(exc).__name__}: {_short(exc)}"
    return mask(" ".join(text.split()))


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:200] + "..."


# -- token masking ----------------------------------------------------------------------------
_SECRETS: set[str] = set()


def mask(text: str, secrets: set[str] | None = None) -> str:
    """``text`` with every known secret replaced by ``***``."""
    for secret in sorted(secrets if secrets is not None else _SECRETS, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def _masked_record_factory(factory: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if _SECRETS:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: leave the record as it is
                return record
            masked = mask(message)
            if masked != message:
                record.msg, record.args = masked, None
        return record

    make.os_tooling_mask = True  # type: ignore[attr-defined]
    return make


def install_token_mask(*secrets: str) -> None:
    """Mask these secrets in every log record, whatever logger or handler it goes through.

    Done at record creation (a LogRecord factory), so handlers added later (``basicConfig``,
    pytest's capture) and records propagated from child loggers are covered too.
    """
    _SECRETS.update(s for s in secrets if s and len(s) >= 4)
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "os_tooling_mask", False):
        logging.setLogRecordFactory(_masked_record_factory(factory))
