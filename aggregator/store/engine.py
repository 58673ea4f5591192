"""Engine set-up (SQLite pragmas, PostgreSQL), Alembic migrations, error wrapping, retries."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from aggregator.errors import NotFound, StorageError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

DEFAULT_URL = "sqlite:///db/aggregator.sqlite"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SCHEMA_HEAD = "0012"  # the newest migration's revision; a test holds it to alembic's head
WRITE_OPTION = "aggregator_write"  # execution option: SQLite takes the write lock at BEGIN
SQLITE_BUSY_TIMEOUT_MS = 30_000
_MIGRATION_LOCK_ID = 7_240_311  # PostgreSQL advisory lock serialising concurrent upgrades
_TRANSIENT_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
_RETRIES = 5

T = TypeVar("T")


@contextmanager
def storage_errors(operation: str) -> Iterator[None]:
    """Re-raise every driver/ORM/migration error as StorageError, keeping the cause."""
    try:
        yield
    except StorageError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"{operation} failed: {exc}") from exc
    except Exception as exc:
        if not _from_psycopg(exc) and not _from_alembic(exc):
            raise
        raise StorageError(f"{operation} failed: {exc}") from exc


def _from_psycopg(exc: Exception) -> bool:
    """A psycopg error; psycopg is not imported here: SQLAlchemy loads it for PostgreSQL URLs
    only, and a SQLite process is ~10 MB smaller without it."""
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def _from_alembic(exc: Exception) -> bool:
    """An alembic error; alembic is loaded only when the schema needs migrating (see migrate)."""
    util = sys.modules.get("alembic.util")
    return util is not None and isinstance(exc, util.CommandError)


def make_engine(url: str, engine_options: Mapping[str, Any] | None = None) -> Engine:
    parsed = make_url(url)
    options = dict(engine_options or {})
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, options)
    options.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **options)


def _sqlite_engine(url: URL, options: dict[str, Any]) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory:
        options.setdefault("poolclass", StaticPool)
        options.setdefault("connect_args", {"check_same_thread": False})
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: BEGIN is issued by _sqlite_on_begin instead, so
    # transactions (DDL included) mean what they say.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # Writers take the lock up front: a deferred transaction that reads then writes fails
    # with SQLITE_BUSY (no waiting) when another writer got in between.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head", *, downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the schema in one transaction, one migrator at a time."""
    with storage_errors("migration"), writer(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
            )
        if not downgrade and revision == "head" and schema_version(connection) == SCHEMA_HEAD:
            return  # current: alembic, ~11 MB of a ~100 MB process, need not be loaded
        from alembic import command

        config = alembic_config(connection)
        if downgrade:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def schema_version(connection: Connection) -> str | None:
    """The revision alembic recorded, None before the first migration."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    version: str | None = connection.execute(
        text("SELECT version_num FROM alembic_version")
    ).scalar()
    return version


def writer(engine: Engine) -> Engine:
    return engine.execution_options(**{WRITE_OPTION: True})


def is_transient(exc: DBAPIError) -> bool:
    """Deadlocks and lock time-outs: the whole transaction may simply be tried again."""
    if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


def run_write(engine: Engine, operation: str, work: Callable[[Session], T]) -> T:
    """Run `work` in one write transaction; retry it whole after a deadlock."""
    for attempt in range(_RETRIES):
        try:
            with storage_errors(operation), Session(writer(engine)) as session, session.begin():
                return work(session)
        except StorageError as exc:
            cause = exc.__cause__
            last_try = attempt == _RETRIES - 1
            if isinstance(exc, NotFound) or last_try or not isinstance(cause, DBAPIError):
                raise
            if not is_transient(cause):
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def run_read(engine: Engine, operation: str, work: Callable[[Session], T]) -> T:
    with storage_errors(operation), Session(engine) as session, session.begin():
        return work(session)
