"""HTTP fetching: request building (conditional GET), response handling (caps, status, redirects).

`fetch` follows redirects itself so every hop is judged: loops and long chains fail, a permanent
redirect is reported. The body is read in small pieces and decompressed here, so the size cap
counts decompressed bytes (a gzip bomb stops at `max_bytes`) and the total deadline is checked
between pieces (a server dripping bytes is cut off). Unless private networks are allowed, the
address each connection actually reached is checked (no DNS-rebinding window).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
from requests.utils import check_header_validity, resolve_proxies, select_proxy

from aggregator import USER_AGENT
from aggregator.config.types import Settings, SourceConfig
from aggregator.errors import FetchError, SourceGone
from aggregator.fetch.httpmeta import (
    describe_network_error,
    max_age,
    retry_after,
    short_error,
    split_content_type,
)
from aggregator.fetch.netguard import (
    RefusedAddress,
    Watchdog,
    check_literal_host,
    check_proxied_target,
    deadline_passed,
    forbidden_address,
    guard,
    new_session,
)
from aggregator.models import FetchResult, SourceState

__all__ = [
    "FetchPolicy",
    "RefusedAddress",
    "build_headers",
    "build_request",
    "fetch",
    "forbidden_address",
    "max_age",
    "new_session",
    "retry_after",
    "split_content_type",
]

ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, application/json;q=0.8, "
    "application/feed+json;q=0.8, text/html;q=0.7, */*;q=0.1"
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
CHUNK = 16 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class FetchPolicy:
    timeout: tuple[float, float] = (10.0, 20.0)  # (connect, read) seconds per socket operation
    deadline: float = 60.0  # total seconds per fetch, redirects and body included
    max_bytes: int = 10 * 1024 * 1024  # decompressed
    user_agent: str = USER_AGENT
    allow_private_networks: bool = False
    max_redirects: int = 5

    @classmethod
    def from_config(cls, settings: Settings, source: SourceConfig | None = None) -> FetchPolicy:
        # Sources carry no fetch overrides yet; `source` is accepted so they can be added here.
        del source
        return cls(
            timeout=(min(10.0, settings.timeout), settings.timeout),
            deadline=settings.deadline,
            max_bytes=settings.max_bytes,
            allow_private_networks=settings.allow_private_networks,
        )


# --- request building ---


def build_headers(url: str, state: SourceState, policy: FetchPolicy) -> dict[str, str]:
    return _static_headers(policy.user_agent) | conditional_headers(url, state)


def _static_headers(user_agent: str) -> dict[str, str]:
    return {"User-Agent": user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}


def conditional_headers(url: str, state: SourceState) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last poll of this very URL."""
    headers = {}
    if state.url == url:
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    return headers


def build_request(url: str, state: SourceState, policy: FetchPolicy) -> requests.PreparedRequest:
    """The conditional GET: a copy of the URL's prepared template with this poll's headers
    (preparing parses and re-quotes the URL, a tenth of a 304's cost; copying is cheap)."""
    request = _template(url, policy.user_agent).copy()
    for name, value in conditional_headers(url, state).items():
        check_header_validity((name, value))  # as prepare() would: a bad stored value fails
        request.headers[name] = value
    return request


@lru_cache(maxsize=4096)
def _template(url: str, user_agent: str) -> requests.PreparedRequest:
    return requests.Request("GET", url, headers=_static_headers(user_agent)).prepare()


# --- response handling ---


@dataclass
class _Hops:
    url: str
    seen: set[str]
    permanent: str | None = None
    all_permanent: bool = True


def fetch(
    session: requests.Session, source_id: str, url: str, state: SourceState, policy: FetchPolicy
) -> FetchResult:
    """GET `url`, judged: FetchResult for 200/304, FetchError (or SourceGone) otherwise."""
    started = time.monotonic()
    request = _prepared(lambda: build_request(url, state, policy), url)
    hops = _Hops(url, {url})
    with guard(policy.allow_private_networks), Watchdog(policy.deadline) as watchdog:
        try:
            while True:
                response = _send(session, request, policy, started)
                if response.status_code not in REDIRECTS or "location" not in response.headers:
                    break
                response.close()
                request = _next_hop(request, response, hops, policy)
            with _reusable(response):
                return _result(source_id, response, state, policy, started, hops.permanent)
        except FetchError as exc:
            if watchdog.fired and not isinstance(exc, RefusedAddress):
                raise FetchError(_deadline_message(policy)) from exc
            raise


@contextmanager
def _reusable(response: requests.Response) -> Iterator[requests.Response]:
    """Hand the connection back for keep-alive once the response was read whole (a 304 has
    no body); on any error close it. requests' own close() drops a streamed connection."""
    try:
        yield response
    except BaseException:
        response.close()
        raise
    response.raw.drain_conn()
    response.raw.release_conn()


def _deadline_message(policy: FetchPolicy) -> str:
    return f"timed out: the whole fetch took over {policy.deadline:g}s"


def _prepared(prepare: Callable[[], T], url: str) -> T:
    try:
        return prepare()
    except requests.exceptions.InvalidHeader as exc:  # a stored ETag or Last-Modified
        raise FetchError(f"invalid request header: {short_error(exc)}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise FetchError(f"invalid URL {url!r}: {short_error(exc)}") from exc


def _send(
    session: requests.Session,
    request: requests.PreparedRequest,
    policy: FetchPolicy,
    started: float,
) -> requests.Response:
    url = request.url or ""
    check_literal_host(url, policy.allow_private_networks)
    remaining = policy.deadline - (time.monotonic() - started)
    if remaining <= 0:
        raise FetchError(f"deadline of {policy.deadline:g}s passed before the response")
    connect, read = policy.timeout
    timeout = (min(connect, remaining), min(read, remaining))
    try:
        return _adapter_send(session, request, timeout)
    except requests.RequestException as exc:
        raise FetchError(describe_network_error(exc, url, timeout)) from exc


def _adapter_send(
    session: requests.Session, request: requests.PreparedRequest, timeout: tuple[float, float]
) -> requests.Response:
    """Session.send without what a poll never uses: redirects (followed in `fetch`), hooks and
    the cookie jar (requests are prepared without session cookies, so the jar is never read)."""
    url = request.url or ""
    proxies = resolve_proxies(request, dict(session.proxies), session.trust_env)
    if select_proxy(url, proxies):
        check_proxied_target(url)
    response: requests.Response = session.get_adapter(url).send(
        request,
        stream=True,
        timeout=timeout,
        verify=True if session.verify is None else session.verify,
        cert=session.cert,
        proxies=proxies,
    )
    return response


def _next_hop(
    request: requests.PreparedRequest, response: requests.Response, hops: _Hops, policy: FetchPolicy
) -> requests.PreparedRequest:
    target = urljoin(hops.url, response.headers["location"].strip())
    if urlsplit(target).scheme not in ("http", "https"):
        raise FetchError(f"redirect to unsupported URL {target!r}")
    if target in hops.seen:
        raise FetchError(f"redirect loop at {target}")
    if len(hops.seen) > policy.max_redirects:
        raise FetchError(f"too many redirects (more than {policy.max_redirects})")
    hops.seen.add(target)
    hops.all_permanent = hops.all_permanent and response.status_code in PERMANENT
    if hops.all_permanent:
        hops.permanent = target
    hops.url = target
    following = request.copy()
    _prepared(lambda: following.prepare_url(target, None), target)
    if urlsplit(target).netloc != urlsplit(request.url or "").netloc:
        following.headers.pop("Authorization", None)
        following.headers.pop("Cookie", None)
    return following


def _result(
    source_id: str,
    response: requests.Response,
    state: SourceState,
    policy: FetchPolicy,
    started: float,
    permanent: str | None,
) -> FetchResult:
    status = response.status_code
    _raise_for_status(response)
    headers = response.headers
    body = None if status == 304 else read_body(response, policy, started)
    content_type, charset = split_content_type(headers.get("content-type"))
    return FetchResult(
        source_id=source_id,
        url=response.url or "",
        status=304 if status == 304 else 200,
        body=body,
        content_type=content_type,
        charset=charset,
        etag=headers.get("etag") or (state.etag if status == 304 else None),
        last_modified=headers.get("last-modified")
        or (state.last_modified if status == 304 else None),
        permanent_redirect=permanent,
        max_age=max_age(headers.get("cache-control"), headers.get("expires"), headers.get("date")),
        elapsed=time.monotonic() - started,
    )


def _raise_for_status(response: requests.Response) -> None:
    status = response.status_code
    if status == 304 or 200 <= status < 300:
        return
    reason = f"HTTP {status} {response.reason or ''}".strip()
    if status == 410:
        raise SourceGone(reason, status=status)
    if status in (429, 503):
        wait = retry_after(response.headers.get("retry-after"))
        raise FetchError(reason, status=status, retry_after=wait)
    raise FetchError(reason, status=status)


def read_body(response: requests.Response, policy: FetchPolicy, started: float) -> bytes:
    """The decompressed body, stopping past max_bytes or the deadline."""
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if declared.isdigit() and int(declared) > policy.max_bytes and encoding == "identity":
        raise FetchError(f"response too large: {declared} bytes (limit {policy.max_bytes})")
    decoder = _Decoder(encoding)
    parts: list[bytes] = []
    size = 0
    for raw in _raw_pieces(response, policy, started):
        for piece in decoder.feed(raw, policy.max_bytes + 1 - size):
            parts.append(piece)
            size += len(piece)
        if size > policy.max_bytes:
            raise FetchError(f"response too large: over {policy.max_bytes} bytes")
    return b"".join(parts)


def _raw_pieces(
    response: requests.Response, policy: FetchPolicy, started: float
) -> Iterator[bytes]:
    raw = response.raw
    while True:
        if time.monotonic() - started > policy.deadline:
            raise FetchError(_deadline_message(policy))
        try:
            piece = raw.read1(CHUNK, decode_content=False)
        except Exception as exc:  # urllib3 and socket errors while streaming
            raise FetchError(f"connection failed while reading: {short_error(exc)}") from exc
        if not piece:
            if deadline_passed():  # the watchdog's shutdown looks like a clean EOF
                raise FetchError(_deadline_message(policy))
            return
        yield piece


class _Decoder:
    """Incremental gzip/deflate decompression that never produces more than asked for."""

    def __init__(self, encoding: str) -> None:
        if encoding in ("", "identity"):
            self._inflater: Any = None
        elif encoding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS)
            self._deflate_pending = True
        else:
            raise FetchError(f"unsupported content encoding {encoding!r}")

    def feed(self, data: bytes, limit: int) -> Iterator[bytes]:
        if self._inflater is None:
            yield data
            return
        try:
            while data and limit > 0:
                out = self._inflater.decompress(data, limit)
                data = self._inflater.unconsumed_tail
                limit -= len(out)
                yield out
        except zlib.error as exc:
            if getattr(self, "_deflate_pending", False):  # raw deflate, without zlib header
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._deflate_pending = False
                yield from self.feed(data, limit)
                return
            raise FetchError(f"corrupt compressed body: {exc}") from exc
        self._deflate_pending = False
