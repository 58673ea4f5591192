"""A real HTTP server on 127.0.0.1 serving documents with ETag / Last-Modified support.

Used by integration tests: `with FeedServer({"/a.xml": (body, "application/rss+xml")}) as srv:`.
Every request is recorded (path and headers) so tests can assert on conditional GETs.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass
class FeedServer:
    documents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> None:
        with self._lock:
            self.documents[path] = (body, content_type)

    def requests_for(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                record = Recorded(self.path, dict(self.headers.items()))
                with server._lock:
                    server.requests.append(record)
                    document = server.documents.get(self.path)
                record.status = respond(self, document)

        return Handler


LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


def respond(handler: BaseHTTPRequestHandler, document: tuple[bytes, str] | None) -> int:
    if document is None:
        handler.send_error(404)
        return 404
    body, content_type = document
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if handler.headers.get("If-None-Match") == etag:
        handler.send_response(304)
        handler.send_header("ETag", etag)
        handler.end_headers()
        return 304
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("ETag", etag)
    handler.send_header("Last-Modified", LAST_MODIFIED)
    handler.end_headers()
    handler.wfile.write(body)
    return 200
