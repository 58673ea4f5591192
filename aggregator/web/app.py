"""The WSGI application: published feeds, an index page with autodiscovery, health checks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from aggregator.web.index import feed_title, render_index
from aggregator.web.proxy import PUBLIC_HEADERS, with_headers, with_hsts
from aggregator.web.static import (
    CORS_NAMES,
    DirectorySource,
    Document,
    DocumentSource,
    RepresentationCache,
    accepts_gzip,
    http_date,
    is_safe_name,
    none_match,
    not_modified_since,
)

log = logging.getLogger(__name__)

Health = Callable[[], dict[str, object]]
Ready = Callable[[], tuple[bool, dict[str, object]]]
Headers = list[tuple[str, str]]
ALLOWED_METHODS = ("GET", "HEAD")
STATUS_LINES = {
    200: "200 OK",
    304: "304 Not Modified",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    500: "500 Internal Server Error",
    503: "503 Service Unavailable",
}


def create_app(
    feeds_dir: Path,
    *,
    health: Health | None = None,
    ready: Ready | None = None,
    source: DocumentSource | None = None,
    max_age: int = 300,
    mounts: Mapping[str, WSGIApplication] | None = None,
) -> WSGIApplication:
    """The WSGI app serving `feeds_dir` (or `source`, e.g. documents held in the database).

    `mounts` hands whole path prefixes (e.g. `{"/admin": admin_app}`) to other WSGI apps, with
    SCRIPT_NAME/PATH_INFO shifted; they choose their own methods.
    """
    app = FeedApp(source or DirectorySource(feeds_dir), health, ready, max_age)
    app.mounts.update(mounts or {})
    return with_hsts(app)


@dataclass
class FeedApp:
    source: DocumentSource
    health: Health | None = None
    ready: Ready | None = None
    max_age: int = 300
    cache: RepresentationCache = field(default_factory=RepresentationCache)
    mounts: dict[str, WSGIApplication] = field(default_factory=dict)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        mounted = self._mounted(environ)
        if mounted is not None:
            return mounted(environ, start_response)
        start_response = with_headers(start_response, PUBLIC_HEADERS)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method not in ALLOWED_METHODS:
            headers = [("Allow", ", ".join(ALLOWED_METHODS))]
            return _text(start_response, 405, "method not allowed\n", headers)
        status, headers, body = self.route(environ)
        start_response(STATUS_LINES[status], headers)
        return [] if method == "HEAD" else [body]

    def route(self, environ: WSGIEnvironment) -> tuple[int, Headers, bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path == "/":
            return self.index(environ)
        if path == "/healthz":
            return self.healthz()
        if path == "/readyz":
            return self.readyz()
        name = path[1:]  # PATH_INFO is already percent-decoded by the server
        if "/" not in name and is_safe_name(name):
            doc = self.source.get(name)
            if doc is not None:
                return self.document(environ, name, doc, self._extra_headers(name))
        return _plain(404, "not found\n")

    def document(
        self, environ: WSGIEnvironment, name: str, doc: Document, extra: Headers
    ) -> tuple[int, Headers, bytes]:
        want_gzip = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
        rep = self.cache.representation(name, doc, want_gzip)
        headers: Headers = [
            ("ETag", rep.etag),
            ("Last-Modified", http_date(doc.mtime)),
            ("Cache-Control", f"public, max-age={self.max_age}"),
            ("Vary", "Accept-Encoding"),
            *extra,
        ]
        if _is_fresh(environ, rep.etag, doc.mtime):
            return 304, headers, b""
        headers += [("Content-Type", doc.content_type), ("Content-Length", str(len(rep.body)))]
        if rep.gzipped:
            headers.append(("Content-Encoding", "gzip"))
        return 200, headers, rep.body

    def index(self, environ: WSGIEnvironment) -> tuple[int, Headers, bytes]:
        names = self.source.names()
        feeds = {n: d for n in names if n.endswith(".atom") and (d := self.source.get(n))}
        body = render_index(names, {n: feed_title(d.body) for n, d in feeds.items()})
        newest = max((d.mtime for d in feeds.values()), default=0.0)
        doc = Document(body.encode("utf-8"), newest, "text/html; charset=utf-8", body)
        return self.document(environ, "/", doc, [])

    def healthz(self) -> tuple[int, Headers, bytes]:
        payload: dict[str, object] = {"status": "ok"}
        if self.health is not None:
            try:
                payload.update(self.health())
            except Exception:
                log.exception("health check failed")
                return _json(503, {"status": "error"})
        return _json(200, payload)

    def readyz(self) -> tuple[int, Headers, bytes]:
        if self.ready is not None:
            try:
                is_ready, details = self.ready()
            except Exception:
                log.exception("readiness check failed")
                is_ready, details = False, {"error": "readiness check failed"}
        else:
            feeds = sum(1 for n in self.source.names() if n.endswith(".atom"))
            is_ready, details = feeds > 0, {"feeds": feeds}
        payload: dict[str, object] = {"status": "ready" if is_ready else "not ready", **details}
        return _json(200 if is_ready else 503, payload)

    def _mounted(self, environ: WSGIEnvironment) -> WSGIApplication | None:
        path = environ.get("PATH_INFO", "")
        for prefix, app in self.mounts.items():
            if path == prefix or path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix) :]
                return app
        return None

    def _extra_headers(self, name: str) -> Headers:
        return [("Access-Control-Allow-Origin", "*")] if name in CORS_NAMES else []


def _is_fresh(environ: WSGIEnvironment, etag: str, mtime: float) -> bool:
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return none_match(if_none_match, etag)
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    return if_modified_since is not None and not_modified_since(if_modified_since, mtime)


def _json(status: int, payload: dict[str, object]) -> tuple[int, Headers, bytes]:
    body = (json.dumps(payload, default=str, sort_keys=True) + "\n").encode("utf-8")
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    return status, headers, body


def _plain(status: int, text: str, extra: Headers | None = None) -> tuple[int, Headers, bytes]:
    body = text.encode("utf-8")
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        *(extra or []),
    ]
    return status, headers, body


def _text(start_response: StartResponse, status: int, text: str, extra: Headers) -> Iterable[bytes]:
    status, headers, body = _plain(status, text, extra)
    start_response(STATUS_LINES[status], headers)
    return [body]
