"""A real HTTP server on 127.0.0.1 serving documents with ETag / Last-Modified support.

Used by integration tests: `with FeedServer({"/a.xml": (body, "application/rss+xml")}) as srv:`.
Every request is recorded (path and headers) so tests can assert on conditional GETs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

from tests.support.server import LocalServer


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass
class FeedServer(LocalServer):
    documents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.serve()

    def set(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> None:
        with self._lock:
            self.documents[path] = (body, content_type)

    def requests_for(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        record = Recorded(request.path, dict(request.headers.items()))
        with self._lock:
            self.requests.append(record)
            document = self.documents.get(request.path)
        record.status = respond(request, document)


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
