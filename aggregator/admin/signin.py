"""Checking a sign-in: limits per client address, slowing down per name, few hashes at once.

- Per client address, across all names: at most `limit` attempts in `window` seconds (a
  successful one is taken back); counted atomically in the database, so every thread and every
  process shares the count.
- Per user name: after `limit` failures in the window, each further attempt waits longer first
  (0.5 s doubling, at most `NAME_DELAY_CAP`); the name is never locked, so nobody can lock a real
  admin out from addresses of their own.
- At most `slots` password checks run at once in a process (argon2 costs tens of milliseconds
  of CPU and memory each); further sign-ins are answered "busy" at once, so a flood of them
  never takes the threads that serve feeds.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aggregator.admin.auth import verify_password
from aggregator.store import Storage
from aggregator.store.users import User

NAME_DELAY_CAP = 8.0


class Verdict(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # wrong name or password
    BLOCKED = "blocked"  # too many attempts from this address
    BUSY = "busy"  # too many password checks at once


@dataclass
class SignInGuard:
    limit: int = 5
    window: float = 300.0
    slots: int = 2
    sleep: Callable[[float], None] = time.sleep
    verify: Callable[[str | None, str], bool] = verify_password
    _slots: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.slots)

    def check(
        self, storage: Storage, name: str, password: str, address: str, now: float
    ) -> tuple[Verdict, User | None]:
        address_key, name_key = f"address:{address}", f"name:{name.lower()[:200]}"
        if storage.count_attempt(address_key, now, self.window) > self.limit:
            return Verdict.BLOCKED, None
        with self._slot() as free:
            if not free:
                storage.uncount_attempt(address_key)
                return Verdict.BUSY, None
            self.sleep(self.delay(storage.attempts(name_key, now, self.window)))
            user = storage.user(name) if name else None
            if not self.verify(user.password_hash if user else None, password):
                storage.count_attempt(name_key, now, self.window)
                return Verdict.WRONG, None
        storage.uncount_attempt(address_key)
        storage.clear_attempts(name_key)
        return Verdict.OK, user

    def delay(self, name_failures: int) -> float:
        """Seconds to wait before checking a password for a name with this many failures."""
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
