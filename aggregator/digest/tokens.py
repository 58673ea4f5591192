"""Signed links (pure): a confirmation carries the whole request and expires; an unsubscribe
link names one subscription and works until it is used."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

CONFIRM_SECONDS = 7 * 86400


@dataclass(frozen=True)
class Request:
    """What a confirmation link subscribes."""

    email: str
    feeds: tuple[str, ...]
    frequency: str


def sign(key: bytes, payload: dict[str, object]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(key, body)}"


def unsign(key: bytes, token: str) -> dict[str, object] | None:
    body, _, mac = token.partition(".")
    if not mac or not token.isascii() or not hmac.compare_digest(mac, _mac(key, body)):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def confirm_token(key: bytes, request: Request, now: float) -> str:
    payload: dict[str, object] = {"a": "confirm", "m": request.email, "f": list(request.feeds)}
    payload.update({"q": request.frequency, "e": int(now + CONFIRM_SECONDS)})
    return sign(key, payload)


def read_confirm(key: bytes, token: str, now: float) -> Request | None:
    """The request a confirmation link carries; None when forged or expired."""
    payload = unsign(key, token)
    if payload is None or payload.get("a") != "confirm":
        return None
    email, feeds, frequency, expires = (payload.get(k) for k in ("m", "f", "q", "e"))
    if not isinstance(expires, int) or expires <= now:
        return None
    if not isinstance(email, str) or not isinstance(frequency, str) or not _strings(feeds):
        return None
    assert isinstance(feeds, list)
    return Request(email, tuple(feeds), frequency)


def unsubscribe_token(key: bytes, subscriber_id: int, email: str) -> str:
    return sign(key, {"a": "unsubscribe", "i": subscriber_id, "m": email})


def read_unsubscribe(key: bytes, token: str) -> tuple[int, str] | None:
    payload = unsign(key, token)
    if payload is None or payload.get("a") != "unsubscribe":
        return None
    subscriber_id, email = payload.get("i"), payload.get("m")
    if not isinstance(subscriber_id, int) or not isinstance(email, str):
        return None
    return subscriber_id, email


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
