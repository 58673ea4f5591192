"""fetch: conditional GET, statuses, redirects, caps and the private-address guard.

Most tests mock HTTP with `responses`; the size cap, deadline and address guard also run against a
real threaded server on 127.0.0.1, because they depend on real sockets.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

import pytest
import requests
import responses

from aggregator import USER_AGENT
from aggregator.config.types import Settings, SourceConfig
from aggregator.errors import FetchError, SourceGone
from aggregator.fetch.client import (
    FetchPolicy,
    build_headers,
    build_request,
    fetch,
    max_age,
    new_session,
    retry_after,
    split_content_type,
)
from aggregator.models import FetchResult, SourceState
from tests.support.server import LocalServer

FEED_URL = "https://board.example.org/feed/"
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
OPEN = FetchPolicy(allow_private_networks=True)  # `responses` never resolves hostnames


def get(
    url: str = FEED_URL, state: SourceState | None = None, policy: FetchPolicy = OPEN
) -> FetchResult:
    return fetch(new_session(), "board", url, state or SourceState("board"), policy)


# --- request building ---


def test_policy_from_settings() -> None:
    settings = Settings(timeout=15, deadline=40, max_bytes=1000, allow_private_networks=True)
    source = SourceConfig(id="s", name="S", type="feed", url=FEED_URL)
    policy = FetchPolicy.from_config(settings, source)
    assert policy.timeout == (10, 15) and policy.deadline == 40 and policy.max_bytes == 1000
    assert policy.allow_private_networks and policy.max_redirects == 5
    assert policy.user_agent == USER_AGENT


def test_conditional_headers_only_for_the_url_they_came_from() -> None:
    state = SourceState(
        "board", url=FEED_URL, etag='W/"abc"', last_modified="Tue, 01 Jul 2025 10:00:00 GMT"
    )
    headers = build_headers(FEED_URL, state, OPEN)
    assert headers["If-None-Match"] == 'W/"abc"'
    assert headers["If-Modified-Since"] == "Tue, 01 Jul 2025 10:00:00 GMT"
    assert "gzip" in headers["Accept-Encoding"] and "rss" in headers["Accept"]
    other = build_headers("https://elsewhere.example.org/feed", state, OPEN)
    assert "If-None-Match" not in other and "If-Modified-Since" not in other


def test_requests_from_the_cached_template_do_not_leak_into_each_other() -> None:
    tagged = SourceState("board", url=FEED_URL, etag='"v1"', last_modified="Tue, 01 Jul 2025")
    first = build_request(FEED_URL, tagged, OPEN)
    second = build_request(FEED_URL, SourceState("board"), OPEN)
    assert first.headers["If-None-Match"] == '"v1"' and "If-Modified-Since" in first.headers
    assert "If-None-Match" not in second.headers and "If-Modified-Since" not in second.headers
    assert first.url == second.url == FEED_URL
    for request in (first, second):
        assert request.headers["User-Agent"] == USER_AGENT and "rss" in request.headers["Accept"]
    moved = build_request("https://board.example.org/new%20feed/", tagged, OPEN)
    assert moved.url == "https://board.example.org/new%20feed/"
    assert "If-None-Match" not in moved.headers


def test_a_stored_validator_that_is_no_header_value_is_a_fetch_error() -> None:
    state = SourceState("board", url=FEED_URL, etag='"abc"\n"injected"')
    with pytest.raises(FetchError, match="invalid request header"):
        get(state=state)


@responses.activate
def test_conditional_headers_are_sent_and_304_has_no_body() -> None:
    responses.get(FEED_URL, status=304, headers={"ETag": '"v2"'})
    state = SourceState(
        "board", url=FEED_URL, etag='"v1"', last_modified="Tue, 01 Jul 2025 10:00:00 GMT"
    )
    result = get(state=state)
    sent = responses.calls[0].request.headers
    assert sent["If-None-Match"] == '"v1"' and sent["User-Agent"] == USER_AGENT
    assert sent["If-Modified-Since"] == "Tue, 01 Jul 2025 10:00:00 GMT"
    assert result.status == 304 and result.body is None and result.not_modified
    assert result.etag == '"v2"' and result.last_modified == "Tue, 01 Jul 2025 10:00:00 GMT"


@responses.activate
def test_ok_response_is_described() -> None:
    responses.get(
        FEED_URL,
        body=RSS,
        headers={
            "Content-Type": 'Application/RSS+XML; Charset="UTF-8"',
            "ETag": '"abc"',
            "Last-Modified": "Tue, 01 Jul 2025 10:00:00 GMT",
            "Cache-Control": "public, max-age=600",
        },
    )
    result = get()
    assert (result.status, result.body, result.url) == (200, RSS, FEED_URL)
    assert (result.content_type, result.charset) == ("application/rss+xml", "utf-8")
    assert result.etag == '"abc"' and result.max_age == 600
    assert result.permanent_redirect is None and not result.not_modified


# --- statuses ---


@responses.activate
def test_410_is_gone() -> None:
    responses.get(FEED_URL, status=410)
    with pytest.raises(SourceGone) as caught:
        get()
    assert caught.value.status == 410


@responses.activate
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds(status: int) -> None:
    responses.get(FEED_URL, status=status, headers={"Retry-After": "120"})
    with pytest.raises(FetchError) as caught:
        get()
    assert caught.value.status == status and caught.value.retry_after == 120


@responses.activate
def test_retry_after_as_http_date() -> None:
    responses.get(
        FEED_URL, status=503, headers={"Retry-After": formatdate(time.time() + 3600, usegmt=True)}
    )
    with pytest.raises(FetchError) as caught:
        get()
    assert caught.value.retry_after is not None and 3590 <= caught.value.retry_after <= 3600


@responses.activate
@pytest.mark.parametrize("status", [400, 403, 404, 500, 502])
def test_other_errors_carry_their_status(status: int) -> None:
    responses.get(FEED_URL, status=status)
    with pytest.raises(FetchError, match=f"HTTP {status}") as caught:
        get()
    assert caught.value.status == status and caught.value.retry_after is None
    assert not isinstance(caught.value, SourceGone)


def test_header_helpers() -> None:
    assert retry_after("  30 ") == 30
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert retry_after("soon") is None and retry_after(None) is None
    assert max_age('no-cache, max-age="90"', None, None) == 90
    date = "Tue, 01 Jul 2025 10:00:00 GMT"
    assert max_age(None, "Tue, 01 Jul 2025 11:00:00 GMT", date) == 3600
    assert max_age(None, "0", date) == 0 and max_age(None, None, None) is None
    assert split_content_type("text/xml") == ("text/xml", None)
    assert split_content_type(None) == (None, None)


# --- redirects ---


@responses.activate
def test_permanent_redirect_is_reported() -> None:
    new = "https://www.board.example.org/feed/"
    responses.get(FEED_URL, status=301, headers={"Location": new})
    responses.get(new, body=RSS)
    result = get()
    assert result.url == new and result.permanent_redirect == new and result.body == RSS


@responses.activate
def test_temporary_redirect_is_followed_but_not_reported() -> None:
    responses.get(FEED_URL, status=302, headers={"Location": "/feed.xml"})
    responses.get("https://board.example.org/feed.xml", body=RSS)
    result = get()
    assert result.url == "https://board.example.org/feed.xml" and result.permanent_redirect is None


@responses.activate
def test_permanent_after_temporary_is_not_a_move() -> None:
    responses.get(FEED_URL, status=307, headers={"Location": "/a"})
    responses.get("https://board.example.org/a", status=308, headers={"Location": "/b"})
    responses.get("https://board.example.org/b", body=RSS)
    assert get().permanent_redirect is None


@responses.activate
def test_redirect_loop_fails() -> None:
    responses.get(FEED_URL, status=302, headers={"Location": "https://board.example.org/other"})
    responses.get("https://board.example.org/other", status=302, headers={"Location": FEED_URL})
    with pytest.raises(FetchError, match="redirect loop"):
        get()


@responses.activate
def test_redirect_chain_longer_than_the_limit_fails() -> None:
    for n in range(7):
        responses.get(
            f"https://board.example.org/{n}", status=302, headers={"Location": f"/{n + 1}"}
        )
    responses.get("https://board.example.org/7", body=RSS)
    with pytest.raises(FetchError, match="too many redirects"):
        get("https://board.example.org/0")
    assert get("https://board.example.org/2").body == RSS  # five hops are fine


@responses.activate
def test_redirect_to_a_private_address_is_refused() -> None:
    responses.get(
        FEED_URL, status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with pytest.raises(FetchError, match=r"refused: 169\.254\.169\.254"):
        get(policy=FetchPolicy())


@responses.activate
def test_redirect_to_another_scheme_fails() -> None:
    responses.get(FEED_URL, status=301, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError, match="unsupported URL"):
        get()


# --- size cap ---


@responses.activate
def test_declared_length_over_the_cap_fails() -> None:
    responses.get(FEED_URL, body=b"x" * 2000)
    with pytest.raises(FetchError, match="too large"):
        get(policy=FetchPolicy(allow_private_networks=True, max_bytes=1000))


@responses.activate
def test_gzip_body_is_decompressed() -> None:
    responses.get(FEED_URL, body=gzip.compress(RSS), headers={"Content-Encoding": "gzip"})
    assert get().body == RSS


@responses.activate
def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    assert len(bomb) < 100_000
    responses.get(FEED_URL, body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="too large"):
        get(policy=FetchPolicy(allow_private_networks=True, max_bytes=1_000_000))


# --- a real server ---

Handler = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], str]]:
    servers: list[LocalServer] = []

    def start(handle: Handler) -> str:
        servers.append(LocalServer(handle).start())
        return servers[-1].url("/feed")

    yield start
    for server in servers:
        server.close()


def send_feed(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml; charset=utf-8")
    handler.send_header("Content-Length", str(len(RSS)))
    handler.end_headers()
    handler.wfile.write(RSS)


def test_real_server_ok(serve: Callable[[Handler], str]) -> None:
    url = serve(send_feed)
    assert get(url).body == RSS


def test_private_address_is_refused_unless_allowed(serve: Callable[[Handler], str]) -> None:
    url = serve(send_feed)
    with pytest.raises(
        FetchError, match=r"refused: 127\.0\.0\.1 resolves to private address 127\.0\.0\.1"
    ):
        get(url, policy=FetchPolicy())
    by_name = url.replace("127.0.0.1", "localhost")
    with pytest.raises(FetchError, match="refused: localhost resolves to private address"):
        get(by_name, policy=FetchPolicy())
    assert get(by_name, policy=OPEN).body == RSS


def test_gzip_bomb_from_a_real_server(serve: Callable[[Handler], str]) -> None:
    bomb = gzip.compress(b"<" * 50_000_000)

    def send_bomb(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    started = time.monotonic()
    with pytest.raises(FetchError, match="too large"):
        get(serve(send_bomb), policy=FetchPolicy(allow_private_networks=True, max_bytes=2_000_000))
    assert time.monotonic() - started < 5


def test_endless_body_stops_at_the_cap(serve: Callable[[Handler], str]) -> None:
    def send_forever(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no length: the body ends when the connection does
        for _ in range(10_000):
            handler.wfile.write(b"x" * 65536)

    with pytest.raises(FetchError, match="too large"):
        get(serve(send_forever), policy=FetchPolicy(allow_private_networks=True, max_bytes=500_000))


def test_deadline_cuts_off_a_drip(serve: Callable[[Handler], str]) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.1)

    policy = FetchPolicy(allow_private_networks=True, deadline=1.0, timeout=(1.0, 5.0))
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        get(serve(drip), policy=policy)
    assert time.monotonic() - started < 2.5


def test_deadline_cuts_off_dripping_headers(serve: Callable[[Handler], str]) -> None:
    def drip_headers(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for n in range(100):
            handler.wfile.write(f"X-Drip-{n}: 1\r\n".encode())
            handler.wfile.flush()
            time.sleep(0.1)

    policy = FetchPolicy(allow_private_networks=True, deadline=1.0, timeout=(1.0, 5.0))
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out: the whole fetch took over 1s"):
        get(serve(drip_headers), policy=policy)
    assert time.monotonic() - started < 2.5


def test_read_timeout_is_reported(serve: Callable[[Handler], str]) -> None:
    def stall(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        send_feed(handler)

    policy = FetchPolicy(allow_private_networks=True, timeout=(1.0, 0.5))
    with pytest.raises(FetchError, match=r"timed out after 0.5s"):
        get(serve(stall), policy=policy)


def test_connection_refused_is_reported() -> None:
    with pytest.raises(FetchError, match="connection refused"):
        get("http://127.0.0.1:9/feed")


@pytest.mark.parametrize("url", ["not a url", "ftp://board.example.org/feed", "http://"])
def test_invalid_urls_are_fetch_errors(url: str) -> None:
    with pytest.raises(FetchError):
        get(url)


def test_unresolvable_host_is_reported() -> None:
    with pytest.raises(FetchError, match=r"DNS lookup failed for no-such-host\.invalid"):
        get("http://no-such-host.invalid/feed")


def test_session_pools_are_sized_for_concurrency() -> None:
    adapter = new_session().get_adapter("https://example.org/")
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    assert adapter._pool_maxsize == 32  # type: ignore[attr-defined]


def test_one_connection_serves_200s_and_304s(serve: Callable[[Handler], str]) -> None:
    """Keep-alive: a whole poll of one host must not pay a TCP connect per source."""
    peers: set[int] = set()

    def feed_or_304(handler: BaseHTTPRequestHandler) -> None:
        handler.protocol_version = "HTTP/1.1"  # decided per request: after parsing, too late
        handler.close_connection = False
        peers.add(handler.client_address[1])
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.end_headers()
            return
        send_feed_with_etag(handler)

    url = serve(feed_or_304)
    session = new_session()
    first = fetch(session, "board", url, SourceState("board"), OPEN)
    known = SourceState("board", url=url, etag=first.etag)
    results = [fetch(session, "board", url, known, OPEN) for _ in range(3)]
    assert first.status == 200 and [r.status for r in results] == [304, 304, 304]
    assert fetch(session, "board", url, SourceState("board"), OPEN).body == RSS
    assert len(peers) == 1


def send_feed_with_etag(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("ETag", '"v1"')
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", str(len(RSS)))
    handler.end_headers()
    handler.wfile.write(RSS)


def test_the_environment_is_read_once_unless_proxies_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = new_session()
    assert not session.trust_env and session.verify == "/etc/ssl/certs/ca-certificates.crt"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    behind_proxy = new_session()
    assert behind_proxy.trust_env  # NO_PROXY is judged per URL by requests
    assert behind_proxy.verify == "/etc/ssl/certs/ca-certificates.crt"  # the bundle still counts
