"""A fault farm: real servers on 127.0.0.1 that misbehave in every way a feed server can.

`FaultServer({path: Reply(...)})` is a threaded HTTP server whose replies can drip, stream past
a cap, or hang up half-way; `TLSServer` speaks TLS with a self-signed certificate made at test
time (openssl CLI), or, without openssl, is a plain HTTP port spoken to as https:// (which fails
the handshake too). `farm_routes` is the full set the fault test polls at once.
"""

from __future__ import annotations

import gzip
import shutil
import ssl
import subprocess
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from tests.support.server import LocalServer

Mode = Literal["whole", "drip", "cut", "stream"]
RSS = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = RSS
    headers: tuple[tuple[str, str], ...] = ()
    mode: Mode = "whole"  # drip: 1 byte/s; cut: hang up half-way; stream: no length, until close
    repeat: int = 1  # stream: send `body` this many times


def rss(name: str, count: int, *, title_suffix: str = "") -> bytes:
    items = "".join(
        f"<item><title>{name} item {i}{title_suffix}</title>"
        f"<link>https://{name}.example.org/news/{i}</link><guid>{name}-{i}</guid>"
        f"<pubDate>Mon, 0{1 + i % 9} Dec 2025 10:00:00 GMT</pubDate>"
        f"<description>Story {i} from {name}</description></item>"
        for i in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>https://{name}.example.org/</link>{items}</channel></rss>"
    ).encode()


def redirect(status: int, location: str) -> Reply:
    return Reply(status, b"", "text/plain", (("Location", location),))


@cache
def gzip_bomb(size: int = 20 * 1024 * 1024) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


HTML_PAGE = b"<!doctype html><html><body><p>News</p></body></html>"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
INVALID_XML = (  # broken before the first item, so nothing can be recovered from it
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</channel>'
    b"<item><title>a</title></item></rss>"
)
WRONG_CHARSET_TITLE = "Café training – £5 for carers"
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1 if n > 1 else "") + ";") * 10}">'.encode()
        for n in range(1, 10)
    )
    + b']><rss version="2.0"><channel><title>&lol9;</title>'
    b"<item><title>laughs &lol9;</title><link>https://laughs.example.org/1</link>"
    b"<guid>laughs-1</guid></item></channel></rss>"
)


def wrong_charset_feed() -> bytes:
    """windows-1252 bytes, declared so in the document, served as UTF-8 by a misconfigured host."""
    return (
        '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel>'
        "<title>Charset</title><link>https://charset.example.org/</link>"
        f"<item><title>{WRONG_CHARSET_TITLE}</title><link>https://charset.example.org/1</link>"
        "<guid>charset-1</guid></item></channel></rss>"
    ).encode("windows-1252")


def farm_routes(max_bytes: int) -> dict[str, Reply]:
    """Every fault (and a few healthy feeds) the fault test polls, by path."""
    big = b"<rss>" + b"x" * 65536
    routes = {
        "/robots.txt": Reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/healthy-a.xml": Reply(body=rss("healthy-a", 3)),
        "/healthy-b.xml": Reply(body=rss("healthy-b", 2)),
        "/drip.xml": Reply(body=rss("drip", 5), mode="drip"),
        "/too-big.xml": Reply(body=big, mode="stream", repeat=2 * max_bytes // len(big) + 1),
        "/gzip-bomb.xml": Reply(body=gzip_bomb(), headers=(("Content-Encoding", "gzip"),)),
        "/loop-a": redirect(302, "/loop-b"),
        "/loop-b": redirect(302, "/loop-a"),
        "/page.html": Reply(body=HTML_PAGE, content_type="text/html; charset=utf-8"),
        "/report.pdf": Reply(body=PDF, content_type="application/pdf"),
        "/invalid.xml": Reply(body=INVALID_XML),
        "/charset.xml": Reply(body=wrong_charset_feed()),
        "/storm.xml": Reply(503, b"busy", "text/plain", (("Retry-After", "120"),)),
        "/limited.xml": Reply(429, b"slow down", "text/plain", (("Retry-After", "300"),)),
        "/old-301.xml": redirect(301, "/new-301.xml"),
        "/new-301.xml": Reply(body=rss("moved-301", 2)),
        "/old-308.xml": redirect(308, "/new-308.xml"),
        "/new-308.xml": Reply(body=rss("moved-308", 2)),
        "/gone.xml": Reply(410, b"gone", "text/plain"),
        "/cut.xml": Reply(body=rss("cut", 20), mode="cut"),
        "/private/feed.xml": Reply(body=rss("private", 1)),
        "/laughs.xml": Reply(body=BILLION_LAUGHS),
    }
    routes.update({f"/chain/{n}": redirect(302, f"/chain/{n + 1}") for n in range(12)})
    return routes


@dataclass
class FaultServer(LocalServer):
    routes: dict[str, Reply] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        self._hits: Counter[str] = Counter()
        self._stopping = threading.Event()
        self.serve(self.tls)

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def close(self) -> None:
        self._stopping.set()
        super().close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path
        with self._lock:
            self._hits[path] += 1
        reply = self.routes.get(path)
        send(request, reply or Reply(404, b"not found", "text/plain"), self._stopping)


def send(handler: BaseHTTPRequestHandler, reply: Reply, stopping: threading.Event) -> None:
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.content_type)
    for name, value in reply.headers:
        handler.send_header(name, value)
    if reply.mode == "whole":
        handler.send_header("Content-Length", str(len(reply.body)))
    elif reply.mode == "cut":
        handler.send_header("Content-Length", str(len(reply.body) * 2))
    handler.send_header("Connection", "close")
    handler.end_headers()
    if reply.mode == "whole":
        handler.wfile.write(reply.body)
    elif reply.mode == "cut":
        handler.wfile.write(reply.body[: len(reply.body) // 2])
    elif reply.mode == "stream":
        for _ in range(reply.repeat):
            handler.wfile.write(reply.body)
    else:
        for byte in reply.body:
            if stopping.wait(1.0):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
    handler.close_connection = True


@cache
def self_signed_context() -> ssl.SSLContext | None:
    """A server context with a fresh self-signed certificate; None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="faultfarm-tls-"))
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def tls_server(routes: dict[str, Reply]) -> tuple[FaultServer, str]:
    """A server whose https:// URL fails the TLS handshake of a verifying client, and its base."""
    context = self_signed_context()
    server = FaultServer(routes, tls=context)
    host, port = "127.0.0.1", server.port
    return server, f"https://{host}:{port}"


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
