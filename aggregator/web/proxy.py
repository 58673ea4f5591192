"""Proxy mode: which reverse proxy waitress believes, and the security headers every answer gets.

waitress itself rewrites the request from a trusted proxy's headers (`trusted_proxy`): the client
address becomes the entry `count` places from the right end of `X-Forwarded-For` (the ones the
trusted proxies appended; the left end is whatever the client wrote), and `wsgi.url_scheme` comes
from `X-Forwarded-Proto`. Requests from any other peer have those headers removed. The apps only
ever read `REMOTE_ADDR` and `wsgi.url_scheme`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

HSTS = ("Strict-Transport-Security", "max-age=31536000")
# The public pages: no scripts, no framing, inline styles only, no referrer to other sites.
PUBLIC_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Content-Type-Options", "nosniff"),
]


@dataclass(frozen=True)
class ProxyTrust:
    """The reverse proxy in front: its address as waitress sees it ("*": any peer) and how many
    proxies in a row append to `X-Forwarded-For`."""

    address: str = "127.0.0.1"
    count: int = 1

    def waitress_options(self) -> dict[str, object]:
        return {
            "trusted_proxy": self.address,
            "trusted_proxy_count": self.count,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True,
        }


def with_hsts(app: WSGIApplication) -> WSGIApplication:
    """Adds HSTS to every answer given over HTTPS (directly, or behind a trusted TLS proxy)."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("wsgi.url_scheme") != "https":
            return app(environ, start_response)
        return app(environ, with_headers(start_response, [HSTS]))

    return wrapped


def with_headers(start_response: StartResponse, extra: list[tuple[str, str]]) -> StartResponse:
    """`start_response` adding `extra` to every answer's headers."""

    def start(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
        return start_response(status, [*headers, *extra], exc_info)  # type: ignore[arg-type]

    return start  # type: ignore[return-value]
