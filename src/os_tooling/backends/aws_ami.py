"""AWS AMIs (providers capa, eks): an image exists when an AMI with exactly its name, owned by a
configured account, is ``available`` in every configured region (docs/backends.md).

Cost model: ONE ``DescribeImages`` call per region answers for every image of the run (the
names go into one ``name`` filter, OR-ed by EC2), regions are asked concurrently, so a gate of
hundreds of images costs about one round trip. EC2 takes at most 200 filter values per request
(``FilterLimitExceeded: The maximum number of filter values specified on a single call is 200``,
see docs/backends.md); past that, names sharing flatcar + kubernetes are covered by one
wildcard each (matched back to exact names here), and calls are split only when even that does
not fit. Near-miss hints cost one more wildcard call per region, only for missing images.

Endpoints, credentials and profiles come from boto3's own settings (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_EC2``, ``AWS_PROFILE``, ...); ``cn-*`` regions use their own owner
accounts and, optionally, their own profile (the China partition has separate credentials).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from os_tooling.backends._common import Options, rank_hints
from os_tooling.backends.base import ERROR, MISSING, PRESENT, ImageAnswer, StoreConfig
from os_tooling.core.naming import ImageRef, parse_image_name, similar_prefix

DEFAULT_REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2")
DEFAULT_OWNERS = ("706635527432",)
DEFAULT_CHINA_OWNERS = ("306934455918",)
# EC2 rejects a request with more than 200 filter values in total (FilterLimitExceeded).
FILTER_VALUE_LIMIT = 200
REGION_PATTERN = r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}"
OWNER_PATTERN = r"[0-9]{12}|self|amazon|aws-marketplace"
PROFILE_PATTERN = r"[A-Za-z0-9_.@+-]{1,128}"

DENIED_CODES = frozenset({
    "AuthFailure", "UnauthorizedOperation", "AccessDenied", "AccessDeniedException",
    "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
    "ExpiredToken", "RequestExpired", "InvalidToken", "OptInRequired",
})
THROTTLING_CODES = frozenset({
    "RequestLimitExceeded", "Throttling", "ThrottlingException", "ThrottledException",
    "TooManyRequestsException", "SlowDown", "RequestThrottled", "RequestThrottledException",
})


class RegionError(Exception):
    """Why one region could not answer; becomes the detail of its images' ``error``."""


class _DeadlineExceeded(Exception):
    pass


@dataclass
class _RegionAnswer:
    states: dict[str, str] = field(default_factory=dict)  # AMI name -> best state seen
    ids: dict[str, str] = field(default_factory=dict)  # AMI name -> image id (available ones)
    error: str | None = None


def name_values(names: Sequence[str], limit: int = FILTER_VALUE_LIMIT) -> list[str]:
    """Values for the ``name`` filter that cover ``names``: the names themselves when they fit
    in one call. Past EC2's limit, names that share flatcar and kubernetes (then: flatcar) are
    covered by one wildcard each, so one call per region still answers for all of them; the
    answer is then matched against the exact names, so a wildcard never makes anything present.
    Only when even that is too many values are the calls split (see ``chunks``)."""
    unique = list(dict.fromkeys(names))
    if len(unique) <= limit:
        return unique
    for level in ("kubernetes", "flatcar"):
        groups: dict[str, list[str]] = {}
        for name in unique:
            groups.setdefault(_cover(name, level), []).append(name)
        if len(groups) <= limit:
            return sorted(pattern if len(members) > 1 else members[0]
                          for pattern, members in groups.items())
    return unique


def _cover(name: str, level: str) -> str:
    ref = parse_image_name(name)
    if ref is None:
        return name
    if level == "kubernetes":
        return similar_prefix(ref.flatcar, ref.kubernetes) + "*"
    return f"flatcar-stable-{ref.flatcar}-kube-*"


def chunks(values: Sequence[str], size: int = FILTER_VALUE_LIMIT) -> list[list[str]]:
    """``values`` cut into lists of at most ``size`` (one DescribeImages call each)."""
    return [list(values[i:i + size]) for i in range(0, len(values), size)] if values else []


class Store:
    """The ``aws-ami`` back end. Options (all optional):

    ``regions``, ``owners``, ``chinaOwners`` (owners in ``cn-*`` regions), ``profile``,
    ``chinaProfile``, ``retryMode`` (standard|adaptive), ``maxAttempts``, ``timeout`` (total
    seconds for one region's answer, retries included).
    """

    def __init__(self, config: StoreConfig):
        opts = Options(config.provider, config.backend, config.options)
        self.provider = config.provider
        self.regions = opts.strings("regions", DEFAULT_REGIONS, pattern=REGION_PATTERN,
                                    what="an AWS region name (e.g. eu-west-1)")
        self.owners = opts.strings("owners", DEFAULT_OWNERS, pattern=OWNER_PATTERN,
                                   what="a 12-digit AWS account id")
        self.china_owners = opts.strings("chinaOwners", DEFAULT_CHINA_OWNERS,
                                         pattern=OWNER_PATTERN, what="a 12-digit AWS account id")
        self.profile = opts.string("profile", pattern=PROFILE_PATTERN, what="a profile name")
        self.china_profile = opts.string("chinaProfile", pattern=PROFILE_PATTERN,
                                         what="a profile name")
        self.retry_mode = opts.string("retryMode", "standard", pattern="standard|adaptive",
                                      what="standard or adaptive")
        self.max_attempts = int(opts.number("maxAttempts", 5, low=1, high=20))
        self.timeout = opts.number("timeout", 60.0, low=1, high=900)
        opts.done()
        self.calls: dict[str, int] = {region: 0 for region in self.regions}  # DescribeImages
        self._lock = threading.Lock()
        self._local = threading.local()
        self._clients: dict[str, Any] = {}
        self._client_errors: dict[str, str] = {}
        self._answers: dict[str, ImageAnswer] = {}

    def share_key(self) -> tuple:
        """Stores with equal keys answer alike whatever their provider (capa and eks use the same
        accounts and regions by default): the gate asks one of them for all their images, so a
        run costs one DescribeImages per region, not one per region and provider."""
        return ("aws-ami", tuple(self.regions), tuple(self.owners), tuple(self.china_owners),
                self.profile, self.china_profile, self.retry_mode, self.max_attempts, self.timeout)

    # -- configuration per region ---------------------------------------------------------
    def owners_for(self, region: str) -> tuple[str, ...]:
        return self.china_owners if region.startswith("cn-") else self.owners

    def profile_for(self, region: str) -> str | None:
        return self.china_profile if region.startswith("cn-") else self.profile

    def _whose(self, region: str) -> str:
        owners = ", ".join(self.owners_for(region))
        profile = self.profile_for(region)
        return f"owner account {owners}" + (f", profile {profile!r}" if profile else "")

    # -- clients (created once, in the calling thread: boto3 sessions are not thread-safe) --
    def _prepare_clients(self) -> None:
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        sessions: dict[str | None, Any] = {}
        config = Config(
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            connect_timeout=min(5.0, self.timeout),
            read_timeout=min(20.0, self.timeout),
            max_pool_connections=4,
            user_agent_extra="os-tooling",
        )
        for region in self.regions:
            if region in self._clients or region in self._client_errors:
                continue
            profile = self.profile_for(region)
            try:
                if profile not in sessions:
                    sessions[profile] = _session(profile)
                client = sessions[profile].client("ec2", region_name=region, config=config)
            except BotoCoreError as exc:  # e.g. ProfileNotFound
                self._client_errors[region] = f"{region}: {_one_line(exc)} ({self._whose(region)})"
                continue
            client.meta.events.register("before-send.ec2", self._check_deadline)
            self._clients[region] = client

    def _check_deadline(self, **_: object) -> None:
        deadline = getattr(self._local, "deadline", None)
        if deadline is not None and time.monotonic() > deadline:
            raise _DeadlineExceeded()

    # -- one region ---------------------------------------------------------------------------
    def _describe(self, region: str, values: Sequence[str]) -> _RegionAnswer:
        """All AMIs of this region's owners whose name matches one of ``values``."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        answer = _RegionAnswer()
        if region in self._client_errors:
            answer.error = self._client_errors[region]
            return answer
        client = self._clients[region]
        self._local.deadline = time.monotonic() + self.timeout
        try:
            for chunk in chunks(values):
                request: dict[str, Any] = {
                    "Owners": list(self.owners_for(region)),
                    "Filters": [{"Name": "name", "Values": chunk}],
                    "IncludeDeprecated": True,
                }
                while True:
                    with self._lock:
                        self.calls[region] += 1
                    page = client.describe_images(**request)
                    for image in page.get("Images", []):
                        self._note(answer, image)
                    token = page.get("NextToken")
                    if not token:
                        break
                    request["NextToken"] = token
        except _DeadlineExceeded:
            answer.error = f"{region}: no answer within {self.timeout:g}s ({self._whose(region)})"
        except NoCredentialsError:
            answer.error = (f"{region}: no AWS credentials found ({self._whose(region)}); set "
                            "AWS_PROFILE or the profile/chinaProfile option, or AWS_ACCESS_KEY_ID")
        except ClientError as exc:
            answer.error = self._client_error(region, exc)
        except BotoCoreError as exc:  # endpoint unreachable, timeouts after retries, ...
            answer.error = f"{region}: cannot reach EC2: {_one_line(exc)}"
        finally:
            self._local.deadline = None
        return answer

    def _note(self, answer: _RegionAnswer, image: dict) -> None:
        name = image.get("Name")
        if not isinstance(name, str):
            return
        state = str(image.get("State", ""))
        if answer.states.get(name) != "available":
            answer.states[name] = state
        if state == "available":
            answer.ids.setdefault(name, str(image.get("ImageId", "")))

    def _client_error(self, region: str, exc: Exception) -> str:
        error = getattr(exc, "response", {}).get("Error", {})
        code = str(error.get("Code", "")) or "error"
        message = _one_line(error.get("Message", ""))
        if code in DENIED_CODES:
            return (f"{region}: credentials denied ({code}: {message}) while listing AMIs of "
                    f"{self._whose(region)}")
        if code in THROTTLING_CODES:
            return (f"{region}: EC2 still throttling ({code}) after {self.max_attempts} "
                    f"attempts ({self._whose(region)})")
        return f"{region}: {code}: {message} ({self._whose(region)})"

    def _all_regions(self, values: Sequence[str]) -> dict[str, _RegionAnswer]:
        self._prepare_clients()
        with ThreadPoolExecutor(max_workers=len(self.regions),
                                thread_name_prefix="aws-ami") as pool:
            futures = {region: pool.submit(self._describe, region, values)
                       for region in self.regions}
            return {region: future.result() for region, future in futures.items()}

    # -- the ImageStore interface -------------------------------------------------------------
    def lookup(self, refs: Sequence[ImageRef]) -> dict[str, ImageAnswer]:
        names = list(dict.fromkeys(ref.name for ref in refs))
        if not names:
            return {}
        answers = self._all_regions(name_values(names))
        result = {name: self._verdict(name, answers) for name in names}
        self._answers.update(result)
        return result

    def _verdict(self, name: str, answers: dict[str, _RegionAnswer]) -> ImageAnswer:
        errors = [a.error for a in answers.values() if a.error]
        missing: list[str] = []
        for region, answer in answers.items():
            if answer.error:
                continue
            state = answer.states.get(name)
            if state is None:
                missing.append(region)
            elif state != "available":
                missing.append(f"{region} (state {state})")
        if missing:
            detail = "missing in " + ", ".join(missing)
            if errors:
                detail += "; not checked: " + "; ".join(errors)
            found = tuple(r for r, a in answers.items()
                          if not a.error and a.states.get(name) == "available")
            lacking = tuple(r for r, a in answers.items()
                            if not a.error and a.states.get(name) != "available") if found else ()
            return ImageAnswer(name, MISSING, detail, found_in=found, lacking=lacking)
        if errors:
            return ImageAnswer(name, ERROR, "; ".join(errors))
        locations = tuple(f"{region}:{answers[region].ids[name]}" for region in self.regions)
        return ImageAnswer(name, PRESENT, f"in {len(self.regions)} region(s)", locations)

    def similar(self, refs: Sequence[ImageRef]) -> dict[str, list[str]]:
        wanted = [ref for ref in dict.fromkeys(refs)
                  if self._answers.get(ref.name, None) is None
                  or self._answers[ref.name].status != PRESENT]
        if not wanted:
            return {}
        prefixes = {ref.name: similar_prefix(ref.flatcar, ref.kubernetes) for ref in wanted}
        patterns = sorted({prefix + "*" for prefix in prefixes.values()})
        answers = self._all_regions(patterns)
        answered = [a for a in answers.values() if not a.error]
        if not answered:
            return {ref.name: [] for ref in wanted}
        # every image available in at least one region: one in some regions only is a hint too
        # (its answer, kept for ``known``, says which regions it lacks)
        somewhere = set().union(*(
            {name for name, state in a.states.items() if state == "available"} for a in answered))
        for name in somewhere:
            self._answers.setdefault(name, self._verdict(name, answers))
        return {name: rank_hints((n for n in somewhere if n.startswith(prefix)), exclude=name)
                for name, prefix in prefixes.items()}

    def known(self, names: Sequence[str]) -> dict[str, ImageAnswer]:
        """What earlier lookups and hint queries of this store saw; never a new call."""
        return {name: self._answers[name] for name in names if name in self._answers}


_loader_lock = threading.Lock()
_shared_loader: Any = None


def _session(profile: str | None) -> Any:
    """A new boto3 session (credentials and config read afresh) that shares botocore's parsed
    service models with earlier ones: parsing the EC2 model again costs ~0.1-0.3 s."""
    import boto3
    import botocore.session

    global _shared_loader
    core = botocore.session.get_session()
    with _loader_lock:
        if _shared_loader is None:
            _shared_loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", _shared_loader)
    return boto3.session.Session(botocore_session=core, profile_name=profile)


def _one_line(value: object, limit: int = 300) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit] + "..."
