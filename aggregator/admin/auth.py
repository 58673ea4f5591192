"""Passwords (argon2), signed session cookies, CSRF tokens and the sign-in rate limit.

Sessions are stateless: the cookie carries {user, csrf, expiry} signed with HMAC-SHA256 under
a key kept in the database (`app_secrets`), so every node accepts every other node's cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SESSION_SECRET_NAME = "admin-session-key"
SESSION_SECONDS = 8 * 3600
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps timing the same either way.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    return None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    user: str | None  # None: an anonymous session (it only carries the sign-in form's CSRF token)
    csrf: str
    expires: float

    @classmethod
    def new(cls, user: str | None, now: float, lifetime: float = SESSION_SECONDS) -> Session:
        return cls(user, secrets.token_urlsafe(24), now + lifetime)


@dataclass(frozen=True)
class Signer:
    """HMAC-SHA256 over a JSON payload: `<base64 payload>.<base64 mac>`."""

    key: bytes

    def sign(self, payload: dict[str, object]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(body)}"

    def unsign(self, token: str) -> dict[str, object] | None:
        body, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())

    def session_cookie(self, session: Session) -> str:
        return self.sign({"u": session.user, "c": session.csrf, "e": session.expires})

    def read_session(self, cookie: str | None, now: float) -> Session | None:
        """The session in a cookie; None when absent, forged or expired."""
        payload = self.unsign(cookie or "")
        if payload is None:
            return None
        user, csrf, expires = payload.get("u"), payload.get("c"), payload.get("e")
        if not isinstance(csrf, str) or not isinstance(expires, int | float) or expires <= now:
            return None
        if user is not None and not isinstance(user, str):
            return None
        return Session(user, csrf, float(expires))


def csrf_ok(session: Session | None, submitted: str | None) -> bool:
    if session is None or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode())


@dataclass
class RateLimiter:
    """At most `limit` failed sign-ins per (user, address) within `window` seconds."""

    limit: int = 5
    window: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked(self, user: str, address: str) -> bool:
        with self._lock:
            return len(self._recent((user.lower(), address))) >= self.limit

    def failed(self, user: str, address: str) -> None:
        with self._lock:
            self._recent((user.lower(), address)).append(self.clock())

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user.lower(), address), None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        cutoff = self.clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if len(self._failures) > 10_000:  # forget idle keys so memory stays bounded
            for idle in [k for k, v in self._failures.items() if not v and k != key]:
                del self._failures[idle]
        return times


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
