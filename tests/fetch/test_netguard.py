"""The SSRF guard where the connected peer is not the target: behind HTTP_PROXY/HTTPS_PROXY the
socket goes to the proxy, so the target host itself must be resolved and judged first."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from aggregator.errors import FetchError
from aggregator.fetch import netguard
from aggregator.fetch.client import FetchPolicy, RefusedAddress, fetch, new_session
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
