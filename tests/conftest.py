"""Shared database fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL comes from $AGGREGATOR_TEST_PG_URL (default: the local trust-auth server, db
`test`); each test gets a schema of its own (`t_<random>`), selected through the libpq
`options=-csearch_path=...` parameter in the URL query, and dropped afterwards. When the
server cannot be reached the PostgreSQL half is skipped with a loud reason, unless
$AGGREGATOR_REQUIRE_PG is set, in which case it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import jsonschema
import psycopg
import pytest
from sqlalchemy import make_url

from aggregator.store import Storage
from tests.support.validation import json_feed_schema, publish_tricky

PG_URL_ENV = "AGGREGATOR_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]


def pg_base_url() -> str:
    return os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psycopg.connect wants it (no +driver)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@cache
def pg_unreachable(url: str) -> str | None:
    """None when the server answers; otherwise why not."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__


def require_pg(url: str | None = None) -> str:
    """Skip (or fail under $AGGREGATOR_REQUIRE_PG) when PostgreSQL is not reachable."""
    url = url or pg_base_url()
    error = pg_unreachable(url)
    if error is not None:
        reason = f"PostgreSQL unreachable at {url}: {error} — storage tests ran on SQLite only"
        if os.environ.get("AGGREGATOR_REQUIRE_PG"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


def schema_url(base_url: str, schema: str) -> str:
    """`base_url` with every connection's search_path set to `schema`."""
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def fresh_pg_schema(base_url: str | None = None) -> Iterator[str]:
    """Create an empty schema, yield a URL that uses it, drop it afterwards.

    Close every Storage opened on the URL before the block ends.
    """
    base_url = require_pg(base_url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(base_url), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(base_url, schema)
    finally:
        with psycopg.connect(libpq_url(base_url), autocommit=True) as admin:
            admin.execute("SET lock_timeout = '10s'")
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL on a fresh, empty schema of its own (skips when unreachable)."""
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once per backend: a SQLite file, a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'aggregator.sqlite'}"
        return
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture
def storage(db_url: str) -> Iterator[Storage]:
    """A migrated Storage on each backend."""
    opened = Storage.open(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """feeds/ after one poll of the tricky sources (shared: the tests only read it)."""
    return publish_tricky(tmp_path_factory.mktemp("published"))


@pytest.fixture(scope="module")
def json_feed_validator() -> jsonschema.Draft202012Validator:
    return json_feed_schema()
