"""A webhook receiver on 127.0.0.1: records every POST (headers and raw body) and answers with
the next status of `statuses` (then 200)."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.support.server import LocalServer


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver(LocalServer):
    statuses: list[int] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.serve()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        with self._lock:
            self.posts.append(Post(request.path, dict(request.headers.items()), body))
            status = self.statuses.pop(0) if self.statuses else 200
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def events(self) -> list[str]:
        with self._lock:
            return [post.headers.get("Aggregator-Event", "") for post in self.posts]
