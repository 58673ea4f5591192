"""Passwords (argon2), signed session cookies and CSRF tokens (sign-in limits: admin/signin.py).

The cookie carries {user, session id, csrf, expiry} signed with HMAC-SHA256 under a key kept in
the database (`app_secrets`), so every node accepts every other node's cookies. A signed-in
session also lives in the database (store/sessions.py, keyed by the SHA-256 of its id) and is
checked on every request, so sign-out, a password change and removing the user end it, as do
`SESSION_IDLE_SECONDS` without a request and `SESSION_SECONDS` after sign-in. Sessions before
sign-in (they only carry the sign-in form's CSRF token) are not stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from aggregator.store.sessions import SessionLimits

SESSION_SECRET_NAME = "admin-session-key"
SESSION_SECONDS = 8 * 3600  # absolute lifetime of a signed-in session
SESSION_IDLE_SECONDS = 3600
SESSION_LIMITS = SessionLimits(idle=SESSION_IDLE_SECONDS, lifetime=SESSION_SECONDS)
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
    sid: str | None = None  # a signed-in session's id; the store knows it by `key`

    @classmethod
    def new(cls, user: str | None, now: float, lifetime: float = SESSION_SECONDS) -> Session:
        sid = secrets.token_urlsafe(32) if user is not None else None
        return cls(user, secrets.token_urlsafe(24), now + lifetime, sid)

    @property
    def key(self) -> str | None:
        return None if self.sid is None else hashlib.sha256(self.sid.encode()).hexdigest()


@dataclass(frozen=True)
class Signer:
    """HMAC-SHA256 over a JSON payload: `<base64 payload>.<base64 mac>`."""

    key: bytes

    def sign(self, payload: dict[str, object]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(body)}"

    def unsign(self, token: str) -> dict[str, object] | None:
        body, _, mac = token.partition(".")
        if not mac or not token.isascii() or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())

    def session_cookie(self, session: Session) -> str:
        return self.sign(
            {"u": session.user, "s": session.sid, "c": session.csrf, "e": session.expires}
        )

    def read_session(self, cookie: str | None, now: float) -> Session | None:
        """The session in a cookie; None when absent, forged or expired."""
        payload = self.unsign(cookie or "")
        if payload is None:
            return None
        user, sid, csrf, expires = (payload.get(k) for k in ("u", "s", "c", "e"))
        if not isinstance(csrf, str) or not isinstance(expires, int | float) or expires <= now:
            return None
        if not (user is None or isinstance(user, str)) or not (sid is None or isinstance(sid, str)):
            return None
        return Session(user, csrf, float(expires), sid)


def csrf_ok(session: Session | None, submitted: str | None) -> bool:
    if session is None or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
