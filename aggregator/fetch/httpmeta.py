"""What a response's headers and a failed request tell a poll: the media type and charset,
how long to wait (Retry-After), how long a body stays fresh (Cache-Control, Expires), and a
short human reason for a network error."""

from __future__ import annotations

import socket
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests


def split_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, param_value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = param_value.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait, from a Retry-After of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def max_age(cache_control: str | None, expires: str | None, date: str | None) -> float | None:
    for directive in (cache_control or "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip().strip('"').isdigit():
            return float(value.strip().strip('"'))
    if not expires:
        return None
    try:
        expiry = parsedate_to_datetime(expires).timestamp()
        base = parsedate_to_datetime(date).timestamp() if date else time.time()
    except (TypeError, ValueError):
        return 0.0  # an invalid Expires means "already expired"
    return max(0.0, expiry - base)


def describe_network_error(exc: Exception, url: str, timeout: tuple[float, float]) -> str:
    """A short human reason for a failed request."""
    host = urlsplit(url).hostname or url
    chain = _causes(exc)
    names = {type(e).__name__ for e in chain}
    if isinstance(exc, requests.ConnectTimeout) or "ConnectTimeoutError" in names:
        return f"timed out after {timeout[0]:g}s connecting to {host}"
    if isinstance(exc, requests.Timeout):
        return f"timed out after {timeout[1]:g}s"
    if "NameResolutionError" in names or any(isinstance(e, socket.gaierror) for e in chain):
        return f"DNS lookup failed for {host}"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {short_error(chain[-1])}"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return f"connection refused by {host}"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return f"invalid URL {url!r}"
    return f"connection failed to {host}: {short_error(chain[-1])}"


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        reason = getattr(current, "reason", None)
        nested = reason if isinstance(reason, BaseException) else None
        if nested is None and current.args and isinstance(current.args[0], BaseException):
            nested = current.args[0]
        current = nested or current.__cause__ or current.__context__
    return chain


def short_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
