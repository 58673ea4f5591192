"""Sign-in attempt counters shared by every process (mixed into Storage).

One row per key (a client address, or a user name), counting attempts in a fixed window that
starts at the first attempt after the previous window ended; for a "next-check:" key,
window_start is instead the time before which that name's password is not checked again.
Counting is one INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so concurrent attempts (threads
or processes) each see their own count and no more than the limit get through.
"""

from __future__ import annotations

from sqlalchemy import Engine, case, delete, select, update
from sqlalchemy.orm import Session

from aggregator.store.engine import run_read, run_write
from aggregator.store.ingest.apply import dialect_insert
from aggregator.store.schema import SignInAttemptRow

Row = SignInAttemptRow


class SignInStore:
    """Storage methods for `signin_attempts`; needs `self.engine`."""

    engine: Engine

    def count_attempt(self, key: str, now: float, window: float) -> int:
        """Count one attempt for `key`; the number of attempts in its window, this one included."""

        def write(session: Session) -> int:
            session.execute(delete(Row).where(Row.window_start <= now - window, Row.key != key))
            expired = Row.window_start <= now - window
            statement = (
                dialect_insert(session, Row)
                .values(key=key, window_start=now, count=1)
                .on_conflict_do_update(
                    index_elements=["key"],
                    set_={
                        "count": case((expired, 1), else_=Row.count + 1),
                        "window_start": case((expired, now), else_=Row.window_start),
                    },
                )
                .returning(Row.count)
            )
            return int(session.execute(statement).scalar_one())

        return run_write(self.engine, "counting a sign-in attempt", write)

    def uncount_attempt(self, key: str) -> None:
        """Take back one attempt (a sign-in that succeeded, or was never tried)."""
        statement = update(Row).where(Row.key == key, Row.count > 0).values(count=Row.count - 1)
        run_write(self.engine, "taking back a sign-in attempt", lambda s: s.execute(statement))

    def attempts(self, key: str, now: float, window: float) -> int:
        """How many attempts `key` has in its current window."""
        statement = select(Row.count).where(Row.key == key, Row.window_start > now - window)
        count = run_read(self.engine, "reading sign-in attempts", lambda s: s.scalar(statement))
        return int(count or 0)

    def claim_check(self, key: str, now: float, delay: float) -> bool:
        """Whether `key`'s next check is due (then the one after is `delay` seconds away); one
        statement, so of concurrent claims exactly one wins."""

        def write(session: Session) -> bool:
            statement = (
                dialect_insert(session, Row)
                .values(key=key, window_start=now + delay, count=0)
                .on_conflict_do_update(
                    index_elements=["key"],
                    set_={"window_start": now + delay},
                    where=Row.window_start <= now,
                )
                .returning(Row.key)
            )
            return session.execute(statement).first() is not None

        return run_write(self.engine, "claiming a password check", write)

    def clear_attempts(self, key: str) -> None:
        statement = delete(Row).where(Row.key == key)
        run_write(self.engine, "clearing sign-in attempts", lambda s: s.execute(statement))
