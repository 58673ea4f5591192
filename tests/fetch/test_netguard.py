"""The SSRF guard where the connected peer is not the target: behind HTTP_PROXY/HTTPS_PROXY the
socket goes to the proxy, so the target host itself must be resolved and judged first. And the
address set: only globally routable addresses, whatever IPv6 form wraps an IPv4 one."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from aggregator.errors import FetchError
from aggregator.fetch import netguard
from aggregator.fetch.client import FetchPolicy, RefusedAddress, fetch, new_session
from aggregator.fetch.netguard import check_literal_host, forbidden_address
from aggregator.models import SourceState
from tests.support.server import LocalServer

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
GUARDED = FetchPolicy(timeout=(3.0, 3.0), deadline=5.0, allow_private_networks=False)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class ForwardProxy(LocalServer):
    """A forward proxy that would fetch anything: it answers every GET with a feed."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        self.seen.append(request.path)
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(RSS)))
        request.end_headers()
        request.wfile.write(RSS)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy, base = self, super()._handler_class()

        class Handler(base):  # type: ignore[valid-type, misc]
            def do_CONNECT(self) -> None:
                proxy.seen.append(self.path)
                self.send_error(502)

        return Handler


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with ForwardProxy() as server:
        monkeypatch.setenv("HTTP_PROXY", server.base)
        monkeypatch.setenv("HTTPS_PROXY", server.base)
        yield server


def get(url: str, policy: FetchPolicy = GUARDED) -> object:
    return fetch(new_session(), "s", url, SourceState("s"), policy)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/feed.xml",
        "http://2130706433/feed.xml",  # 127.0.0.1 as one decimal number
        "http://127.1/feed.xml",
        "http://0x7f.0.0.1/feed.xml",
        "https://localhost/feed.xml",  # through CONNECT
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed.xml",
    ],
)
def test_behind_an_environment_proxy_private_targets_are_refused_before_the_proxy(
    proxy: ForwardProxy, url: str
) -> None:
    with pytest.raises(RefusedAddress, match="private address"):
        get(url)
    assert proxy.seen == []


def test_behind_an_environment_proxy_allowed_private_targets_still_go_through_it(
    proxy: ForwardProxy,
) -> None:
    result = get("http://localhost:9/feed.xml", FetchPolicy(allow_private_networks=True))
    assert result.body == RSS  # type: ignore[attr-defined]
    assert proxy.seen == ["http://localhost:9/feed.xml"]


def test_a_target_the_proxy_is_bypassed_for_is_checked_on_its_socket(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    with LocalServer(lambda request: request.send_error(404)) as target:
        for url in (
            target.url("/feed.xml"),
            target.url("/feed.xml").replace("127.0.0.1", "localhost"),
        ):
            with pytest.raises(RefusedAddress):
                get(url)
    assert proxy.seen == []


def test_a_target_that_does_not_resolve_is_not_handed_to_the_proxy(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "feeds.example.org":  # no DNS query leaves the test
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(netguard.socket, "getaddrinfo", resolve)
    with pytest.raises(FetchError, match="resolve"):
        get("http://feeds.example.org/feed.xml")
    assert proxy.seen == []


# --- which addresses are private: only globally routable ones may be fetched ---


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",  # carrier-grade NAT (shared address space)
        "100.100.100.200",  # a cloud metadata service inside it
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "2002:a00:1::",  # 6to4 wrapping 10.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 wrapping 169.254.169.254
        "64:ff9b::a9fe:a9fe",  # NAT64 wrapping 169.254.169.254
        "64:ff9b::c0a8:101",  # NAT64 wrapping 192.168.1.1
        "64:ff9b:1::a00:1",  # local-use NAT64
        "::ffff:10.0.0.1",
        "198.18.0.1",  # benchmarking
        "192.0.2.1",  # documentation
        "240.0.0.1",
        "224.0.0.1",
        "ff02::1",
        "fe80::1%eth0",
        "fc00::1",
    ],
)
def test_addresses_that_are_not_globally_routable_are_refused(address: str) -> None:
    assert forbidden_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:4700::1111", "2002:5db8:d822::1", "64:ff9b::5db8:d822"]
)
def test_public_addresses_and_forms_wrapping_them_are_allowed(address: str) -> None:
    assert not forbidden_address(address)


@pytest.mark.parametrize(
    "url", ["http://100.100.100.200/latest/meta-data/", "http://[2002:a9fe:a9fe::]/"]
)
def test_literal_hosts_in_those_ranges_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(RefusedAddress):
        check_literal_host(url, allow_private=False)
    check_literal_host(url, allow_private=True)
