"""Webhook signatures (pure): HMAC-SHA256 over the timestamp and the body.

The header is `Aggregator-Signature: t=<unix seconds>,v1=<hex digest>`, the digest being
HMAC-SHA256 with the webhook's secret over `<t>.` followed by the raw request body. A receiver
recomputes it, compares in constant time, and refuses a timestamp more than `REPLAY_WINDOW`
seconds from its own clock.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Aggregator-Signature"
REPLAY_WINDOW = 300  # seconds


def signature(secret: str, body: bytes, timestamp: int) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def verify(
    secret: str, body: bytes, header: str, now: float, window: float = REPLAY_WINDOW
) -> bool:
    """Does `header` sign `body` with `secret`, within `window` seconds of `now`?"""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > window:
        return False
    expected = signature(secret, body, timestamp)
    return hmac.compare_digest(expected, fields.get("v1", ""))
