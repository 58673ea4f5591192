"""HTTP hardening of the web server over real sockets: a request carrying both Content-Length and
Transfer-Encoding closes its connection once answered (RFC 9112: it may be an attempt to smuggle
a second request); the public pages send a Content-Security-Policy, framing and referrer rules."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.web import create_app
from aggregator.web.server import WebServer, make_server
from tests.support.nginx import HttpsClient

SMUGGLED = (
    b"GET /all.atom HTTP/1.1\r\nHost: feeds\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    b"GET /all.atom HTTP/1.1\r\nHost: feeds\r\n\r\n"
)
PIPELINED = (
    b"GET /all.atom HTTP/1.1\r\nHost: feeds\r\n\r\nGET /all.atom HTTP/1.1\r\nHost: feeds\r\n"
    b"Connection: close\r\n\r\n"
)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[WebServer]:
    (tmp_path / "all.atom").write_text("<feed/>")
    server = make_server(create_app(tmp_path), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server
    server.close()
    thread.join(timeout=10)


def exchange(server: WebServer, data: bytes) -> tuple[bytes, bool]:
    """Everything the server answers to `data`, and whether it then closed the connection
    (rather than waiting for more)."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            return received, False
        return received, True


def test_content_length_with_transfer_encoding_gets_one_answer_then_the_connection_closes(
    web: WebServer,
) -> None:
    received, closed = exchange(web, SMUGGLED)
    assert closed, "the connection was left open for the smuggled request"
    assert received.count(b"HTTP/1.1 200 OK") == 1
    assert b"\r\nConnection: close\r\n" in received


def test_a_plain_keep_alive_connection_still_serves_pipelined_requests(web: WebServer) -> None:
    received, closed = exchange(web, PIPELINED)
    assert closed and received.count(b"HTTP/1.1 200 OK") == 2


@pytest.mark.parametrize("path", ["/", "/all.atom", "/nowhere"])
def test_public_pages_forbid_framing_scripts_and_leaking_referrers(
    web: WebServer, path: str
) -> None:
    answer = HttpsClient(web.port).get(path)
    policy = answer.headers["Content-Security-Policy"] or ""
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Strict-Transport-Security"] is None  # plain HTTP: no HSTS
