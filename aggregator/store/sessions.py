"""Admin console sessions kept server-side, so that they can be ended (mixed into Storage).

A row per signed-in browser, keyed by the SHA-256 of the session id its cookie carries (a copy
of the table does not sign anyone in). Sign-out, a password change and removing the user delete
rows; a session also ends when idle too long or past its absolute lifetime. Times are seconds
since the epoch from the console's clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from aggregator.errors import NotFound
from aggregator.store.engine import run_read, run_write
from aggregator.store.schema import AdminSessionRow, UserRow

TOUCH_SECONDS = 60.0  # `seen_at` is written at most this often per session


@dataclass(frozen=True)
class SessionLimits:
    idle: float
    lifetime: float


class SessionStore:
    """Storage methods for `admin_sessions`; needs `self.engine`."""

    engine: Engine

    def start_session(self, key: str, user: str, now: float) -> None:
        """A new session of `user` (NotFound when there is no such user)."""

        def write(session: Session) -> None:
            user_id = session.scalar(select(UserRow.id).where(UserRow.name == user))
            if user_id is None:
                raise NotFound(f"no user {user!r}")
            session.add(AdminSessionRow(key=key, user_id=user_id, created_at=now, seen_at=now))

        run_write(self.engine, f"starting a session of {user}", write)

    def session_user(self, key: str, now: float, limits: SessionLimits) -> str | None:
        """The user whose live session this is; None when ended, idle or too old."""
        found = run_read(self.engine, "reading a session", lambda s: _session_row(s, key))
        if found is None:
            return None
        row, name = found
        if now - row.seen_at > limits.idle or now - row.created_at > limits.lifetime:
            self.end_session(key)
            return None
        if now - row.seen_at > TOUCH_SECONDS:
            statement = update(AdminSessionRow).where(AdminSessionRow.key == key)
            run_write(
                self.engine,
                "touching a session",
                lambda s: s.execute(statement.values(seen_at=now)),
            )
        return name

    def end_session(self, key: str) -> None:
        statement = delete(AdminSessionRow).where(AdminSessionRow.key == key)
        run_write(self.engine, "ending a session", lambda s: s.execute(statement))

    def end_sessions(self, user: str) -> None:
        """End every session of `user` (a password change, a removal)."""
        run_write(
            self.engine, f"ending the sessions of {user}", lambda s: end_user_sessions(s, user)
        )


def end_user_sessions(session: Session, user: str) -> None:
    ids = select(UserRow.id).where(UserRow.name == user).scalar_subquery()
    session.execute(delete(AdminSessionRow).where(AdminSessionRow.user_id == ids))


def _session_row(session: Session, key: str) -> tuple[AdminSessionRow, str] | None:
    statement = (
        select(AdminSessionRow, UserRow.name)
        .join(UserRow, UserRow.id == AdminSessionRow.user_id)
        .where(AdminSessionRow.key == key)
    )
    found = session.execute(statement).first()
    if found is None:
        return None
    session.expunge(found[0])
    return found[0], found[1]
