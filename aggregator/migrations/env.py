"""Alembic environment: migrations run on the connection aggregator.store hands over.

Run them through `Storage.open(url)` (or `aggregator.store.engine.migrate`), not the alembic
command line: the connection arrives in `config.attributes["connection"]`, already inside the
transaction (and, on PostgreSQL, holding the advisory lock) that makes the upgrade atomic.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

connection = context.config.attributes.get("connection")


def run_on(conn: object) -> None:
    context.configure(connection=conn, render_as_batch=True)  # type: ignore[arg-type]
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run_on(connection)
else:  # an explicit URL (alembic -x url=...), for an administrator's one-off use
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass -x url=... or run Storage.open(url)")
    with create_engine(url).begin() as conn:
        run_on(conn)
