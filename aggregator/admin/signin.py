"""Checking a sign-in: limits per client address, slowing down per name, few hashes at once.

- Per client address, across all names: at most `limit` attempts in `window` seconds (a
  successful one is taken back); counted atomically in the database, so every thread and every
  process shares the count.
- Per user name: after `limit` failures in the window, the name's password is checked at most
  once per delay (0.5 s doubling, at most `NAME_DELAY_CAP`); attempts in between are answered
  "slow down" at once, without a check, and nothing sleeps on a server thread. The name is never
  locked, and a browser that has signed in as it before (its signed device cookie,
  `device_cookie`) is not slowed at all, so an attacker elsewhere cannot keep a real admin out.
- At most `slots` password checks run at once in a process (argon2 costs tens of milliseconds
  of CPU and memory each); further sign-ins are answered "busy" at once, so a flood of them
  never takes the threads that serve feeds.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aggregator.admin.auth import Signer, verify_password
from aggregator.store import Storage
from aggregator.store.users import User

NAME_DELAY_CAP = 8.0
DEVICE_SECONDS = 180 * 86400


class Verdict(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # wrong name or password
    BLOCKED = "blocked"  # too many attempts from this address
    BUSY = "busy"  # too many password checks at once
    SLOWED = "slowed"  # this name failed often: its next check is not due yet


@dataclass(frozen=True)
class Attempt:
    name: str
    password: str
    address: str
    known_device: bool = False  # the browser has signed in as `name` before


def device_cookie(signer: Signer, name: str, now: float) -> str:
    """The device cookie a browser gets on signing in as `name`."""
    return signer.sign({"d": name.lower(), "e": now + DEVICE_SECONDS})


def known_device(signer: Signer, cookie: str | None, name: str, now: float) -> bool:
    payload = signer.unsign(cookie or "")
    if payload is None or payload.get("d") != name.lower():
        return False
    expires = payload.get("e")
    return isinstance(expires, int | float) and expires > now


@dataclass
class SignInGuard:
    limit: int = 5
    window: float = 300.0
    slots: int = 2
    verify: Callable[[str | None, str], bool] = verify_password
    _slots: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.slots)

    def check(self, storage: Storage, attempt: Attempt, now: float) -> tuple[Verdict, User | None]:
        address_key, name_key = f"address:{attempt.address}", f"name:{attempt.name.lower()[:200]}"
        if storage.count_attempt(address_key, now, self.window) > self.limit:
            return Verdict.BLOCKED, None
        if not attempt.known_device:
            delay = self.delay(storage.attempts(name_key, now, self.window))
            if delay and not storage.claim_check(f"next-check:{name_key}", now, delay):
                return Verdict.SLOWED, None
        with self._slot() as free:
            if not free:
                storage.uncount_attempt(address_key)
                return Verdict.BUSY, None
            user = storage.user(attempt.name) if attempt.name else None
            if not self.verify(user.password_hash if user else None, attempt.password):
                storage.count_attempt(name_key, now, self.window)
                return Verdict.WRONG, None
        storage.uncount_attempt(address_key)
        storage.clear_attempts(name_key)
        return Verdict.OK, user

    def delay(self, name_failures: int) -> float:
        """Seconds between password checks for a name with this many recent failures."""
        over = name_failures - self.limit
        return 0.0 if over < 0 else min(NAME_DELAY_CAP, 0.5 * 2.0**over)

    @contextmanager
    def _slot(self) -> Iterator[bool]:
        free = self._slots.acquire(blocking=False)
        try:
            yield free
        finally:
            if free:
                self._slots.release()
