"""Webhook signatures: the recipe in the README, computed here independently of the code."""

from __future__ import annotations

import hashlib
import hmac

from aggregator.notify.signing import REPLAY_WINDOW, header_value, verify

SECRET = "a-shared-secret-of-some-length"
BODY = b'{"event":"publish","files":["all.atom"]}'


def recipe(secret: str, body: bytes, timestamp: int) -> str:
    """README: HMAC-SHA256 with the secret over "<t>." followed by the raw body, hex."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_the_header_carries_the_timestamp_and_the_recipe_digest() -> None:
    assert header_value(SECRET, BODY, 1_800_000_000) == (
        f"t=1800000000,v1={recipe(SECRET, BODY, 1_800_000_000)}"
    )


def test_verify_accepts_the_signed_body_within_the_window() -> None:
    header = header_value(SECRET, BODY, 1_800_000_000)
    assert verify(SECRET, BODY, header, now=1_800_000_000 + REPLAY_WINDOW)
    assert verify(SECRET, BODY, header, now=1_800_000_000 - REPLAY_WINDOW)


def test_verify_refuses_replays_tampering_and_other_secrets() -> None:
    header = header_value(SECRET, BODY, 1_800_000_000)
    assert not verify(SECRET, BODY, header, now=1_800_000_000 + REPLAY_WINDOW + 1)
    assert not verify(SECRET, BODY + b" ", header, now=1_800_000_000)
    assert not verify("another-secret-entirely", BODY, header, now=1_800_000_000)
    assert not verify(SECRET, BODY, "t=soon,v1=00", now=1_800_000_000)
    assert not verify(SECRET, BODY, "", now=1_800_000_000)
