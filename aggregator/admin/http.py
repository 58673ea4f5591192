"""A minimal request/response pair over WSGI for the admin console (no framework needed)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qs, quote
from wsgiref.types import StartResponse, WSGIEnvironment

MAX_FORM_BYTES = 256 * 1024
MAX_FIELDS = 200
REASONS = {
    200: "OK",
    303: "See Other",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
]


class FormTooLarge(Exception):
    pass


class BadRequest(Exception):
    """The request cannot be read (answered 400 with one log line)."""


@dataclass
class Request:
    """One request. Behind a proxy, waitress has already put the client's address and scheme
    into REMOTE_ADDR and wsgi.url_scheme (web.proxy); X-Forwarded-* are never read here."""

    environ: WSGIEnvironment

    @property
    def method(self) -> str:
        return str(self.environ.get("REQUEST_METHOD", "GET")).upper()

    @property
    def path(self) -> str:
        return str(self.environ.get("PATH_INFO", "")) or "/"

    @property
    def root(self) -> str:
        """Where the console is mounted, e.g. "/admin"."""
        return str(self.environ.get("SCRIPT_NAME", "")).rstrip("/")

    @cached_property
    def query(self) -> dict[str, str]:
        return _first_values(str(self.environ.get("QUERY_STRING", "")))

    @cached_property
    def form(self) -> dict[str, str]:
        if self.method != "POST":
            return {}
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_FORM_BYTES:
            raise FormTooLarge
        body = self.environ["wsgi.input"].read(length) if length > 0 else b""
        return _first_values(body.decode("utf-8", "replace"))

    @cached_property
    def cookies(self) -> dict[str, str]:
        """Every `name=value` of the Cookie header. Leniently: a pair that cannot be read is
        skipped (the standard library's parser stops at it, dropping the cookies behind it), and
        of two cookies with one name the first (the most specific path) wins."""
        jar: dict[str, str] = {}
        for pair in str(self.environ.get("HTTP_COOKIE", "")).split(";"):
            name, sep, value = pair.partition("=")
            name, value = name.strip(), value.strip()
            if sep and name:
                quoted = len(value) >= 2 and value[0] == value[-1] == '"'
                jar.setdefault(name, value[1:-1] if quoted else value)
        return jar

    @property
    def is_https(self) -> bool:
        return self.environ.get("wsgi.url_scheme") == "https"

    @property
    def address(self) -> str:
        return str(self.environ.get("REMOTE_ADDR", "unknown"))

    def url(self, path: str, **query: str) -> str:
        """A console URL (under the mount point), with an optional query string."""
        target = self.root + path
        pairs = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items() if v)
        return f"{target}?{pairs}" if pairs else target


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "text/html; charset=utf-8"

    def send(self, start_response: StartResponse) -> Iterable[bytes]:
        headers = [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            *SECURITY_HEADERS,
            *self.headers,
        ]
        start_response(f"{self.status} {REASONS.get(self.status, 'Unknown')}", headers)
        return [self.body]

    def set_cookie(
        self, name: str, value: str, *, path: str, secure: bool, max_age: int | None = None
    ) -> None:
        parts = [f"{name}={value}", f"Path={path or '/'}", "HttpOnly", "SameSite=Lax"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if secure:
            parts.append("Secure")
        self.headers.append(("Set-Cookie", "; ".join(parts)))


def redirect(location: str) -> Response:
    return Response(303, b"", [("Location", location)], "text/plain; charset=utf-8")


def text(status: int, message: str) -> Response:
    return Response(status, message.encode(), [], "text/plain; charset=utf-8")


def _first_values(encoded: str) -> dict[str, str]:
    try:
        parsed = parse_qs(encoded, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise BadRequest(f"more than {MAX_FIELDS} fields") from exc
    return {key: values[0] for key, values in parsed.items()}
