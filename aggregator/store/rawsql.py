"""Ingest's hot statements, run on the driver's cursor, inside the session's transaction.

Building, caching, expanding and executing a SQLAlchemy statement cost several times what the
database took for ingest's small, frequent reads and writes. These few statements are spelled
out per dialect instead, and values pass through the columns' own SQLAlchemy type processors
(or faster, equal ones: aggregator.store.binders), so what is stored (and read back) is exactly
what the ORM stores (and reads). Driver errors are raised as SQLAlchemy raises them.

Writes wait in a queue: a write joins the latest run of its statement when everything queued
since commutes with it, and each run goes out as one executemany (on PostgreSQL an INSERT run
is one statement of arrays). Every read, and `flush` (due before the commit), sends what waits
first, so reads see every earlier write.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Dialect, Table
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from aggregator.store.binders import Convert, Processor, bind_processor
from aggregator.store.queries import chunks

_NEXT_IDS = (
    "SELECT %s::int, nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s::int)"
)
_SESSION_KEY = "aggregator.rawsql"
# Every statement here finds rows by an index (keys, ids, (source_id, source_key)). Without
# statistics (a new database: autovacuum has not analysed the tables yet) the planner takes
# `key = ANY(...)` for most of the table and scans it all, on every call, however large.
_INDEX_PLANS = "SELECT set_config('enable_seqscan', 'off', true)"


@dataclass(frozen=True)
class _Write:
    table: str
    kind: str  # insert, update (by id, never of a key column), delete
    sql: str  # one row
    # PostgreSQL: the INSERT of many rows as one statement taking one array per column (its
    # executemany is a statement per row); "" where rows may not go together (DO UPDATE).
    arrays: str = ""

    def commutes(self, other: _Write) -> bool:
        """Either order stores the same: other tables, one an UPDATE that moves no key (an
        INSERT's foreign key finds the row it needs, an UPDATE finds its row, either way)."""
        return self.table != other.table and "update" in (self.kind, other.kind)


_SPELLINGS: weakref.WeakKeyDictionary[Dialect, _Spelling] = weakref.WeakKeyDictionary()


def table_of(model: type[Any]) -> Table:
    """A declarative model's Table."""
    return cast(Table, model.__table__)


class _Spelling:
    """One dialect's statements and value processors, made once per (table, columns)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.mark = "%s" if dialect.name == "postgresql" else "?"
        self.quote = dialect.identifier_preparer.quote
        self._made: dict[tuple[Any, ...], Any] = {}

    def _once(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = make()
        return found

    def binders(self, table: Table, names: tuple[str, ...]) -> list[tuple[int, Convert]]:
        """(position, bind processor) of the columns that have one."""

        def make() -> list[tuple[int, Convert]]:
            found = [bind_processor(table.c[name].type, self.dialect) for name in names]
            return [(n, process) for n, process in enumerate(found) if process is not None]

        return cast(list[tuple[int, Convert]], self._once(("bind", table.name, names), make))

    def readers(self, table: Table, names: tuple[str, ...]) -> tuple[Processor, ...]:
        def make() -> tuple[Processor, ...]:
            types = [table.c[name].type.dialect_impl(self.dialect) for name in names]
            return tuple(kind.result_processor(self.dialect, None) for kind in types)

        return cast(tuple[Processor, ...], self._once(("read", table.name, names), make))

    def insert(self, table: Table, names: tuple[str, ...], tail: str) -> _Write:
        def make() -> _Write:
            columns = ", ".join(self.quote(name) for name in names)
            head = f"INSERT INTO {self.quote(table.name)} ({columns})"
            one = f"{head} VALUES ({', '.join([self.mark] * len(names))}) {tail}"
            if self.dialect.name != "postgresql" or (tail and not tail.endswith("DO NOTHING")):
                return _Write(table.name, "insert", one)
            types = [table.c[name].type.compile(dialect=self.dialect) for name in names]
            arrays = ", ".join(f"%b::{kind}[]" for kind in types)  # binary: no escaping
            ordered = f"unnest({arrays}) WITH ORDINALITY AS u({columns}, u_n) ORDER BY u_n"
            return _Write(
                table.name, "insert", one, f"{head} SELECT {columns} FROM {ordered} {tail}"
            )

        return cast(_Write, self._once(("insert", table.name, names, tail), make))

    def update(self, table: Table, names: tuple[str, ...]) -> _Write:
        def make() -> _Write:
            assignments = ", ".join(f"{self.quote(name)} = {self.mark}" for name in names)
            where = f"WHERE id = {self.mark}"
            sql = f"UPDATE {self.quote(table.name)} SET {assignments} {where}"
            return _Write(table.name, "update", sql)

        return cast(_Write, self._once(("update", table.name, names), make))


def _spelling(dialect: Dialect) -> _Spelling:
    found = _SPELLINGS.get(dialect)
    if found is None:
        found = _SPELLINGS[dialect] = _Spelling(dialect)
    return found


class Raw:
    """Driver-level statements on a session's connection (one Raw per session: `of`)."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()  # begins the transaction (SQLite: BEGIN IMMEDIATE)
        self.transaction = connection.get_transaction()
        self.dialect = connection.dialect
        self.dbapi = connection.connection
        self.postgres = self.dialect.name == "postgresql"
        self.spelling = _spelling(self.dialect)
        self.mark = self.spelling.mark
        self.quote = self.spelling.quote
        self._waiting: list[tuple[_Write, list[tuple[Any, ...]]]] = []
        self.locked_keys: set[str] = set()  # lookup keys this transaction holds (keylock)
        # One cursor for the transaction: psycopg's cursor costs more than a small statement.
        self._cursor = self.dbapi.cursor()
        if self.postgres:
            self._run(_INDEX_PLANS, ())

    @staticmethod
    def of(session: Session) -> Raw:
        """The Raw of the session's transaction, the ORM's pending changes flushed first."""
        session.flush()
        raw = cast(Raw | None, session.info.get(_SESSION_KEY))
        if raw is None or raw.transaction is not session.connection().get_transaction():
            assert raw is None or not raw._waiting, "writes left unsent at the commit"
            raw = session.info[_SESSION_KEY] = Raw(session)
        return raw

    # --- reads (and writes whose outcome is needed now) ---

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self.flush()
        return self._run(sql, tuple(params), fetch=True)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement now, after every queued write (for writes the queue may not reorder:
        an UPDATE that moves a foreign key, a DELETE by another column)."""
        self.flush()
        self._run(sql, tuple(params))

    def where_in(self, column: str, values: Sequence[Any], array: str) -> Iterator[tuple[str, Any]]:
        """(`column` is one of `values`, its parameters), in as few statements as allowed."""
        if self.postgres:
            yield f"{column} = ANY(%b::{array}[])", [list(values)]
            return
        for part in chunks(values):
            yield f"{column} IN ({', '.join('?' * len(part))})", list(part)

    def select_in(
        self, sql: str, column: str, values: Sequence[Any], array: str, tail: str = ""
    ) -> list[Any]:
        """`sql` ("SELECT ... FROM ... WHERE") with `column` in `values`, then `tail`."""
        found: list[Any] = []
        for condition, params in self.where_in(column, values, array):
            found.extend(self.rows(f"{sql} {condition} {tail}", params))
        return found

    def read(self, table: Table, names: tuple[str, ...], rows: Sequence[Any]) -> list[list[Any]]:
        """Rows of `names` columns of `table`, as the ORM would hand the values over."""
        readers = self.spelling.readers(table, names)
        return [
            [v if read is None else read(v) for read, v in zip(readers, row, strict=True)]
            for row in rows
        ]

    def new_ids(self, count: int, *tables: Table) -> list[list[int]]:
        """For each table, the ids its next `count` inserts would get, taken now (one query).

        SQLite gives a new row max(id) + 1 (no AUTOINCREMENT) and our writers hold the write
        lock from BEGIN; PostgreSQL hands them out from the column's sequence.
        """
        if self.postgres:
            found: list[list[int]] = [[] for _ in tables]
            sql = " UNION ALL ".join([_NEXT_IDS] * len(tables))
            params = [value for n, table in enumerate(tables) for value in (n, table.name, count)]
            for n, value in self.rows(sql, params):
                found[n].append(value)
            return [sorted(ids) for ids in found]
        tops = ", ".join(f"(SELECT max(id) FROM {self.quote(table.name)})" for table in tables)
        starts = [(top or 0) + 1 for top in self.rows(f"SELECT {tops}")[0]]
        return [list(range(start, start + count)) for start in starts]

    def insert_returning_id(
        self, table: Table, values: Mapping[str, Any], tail: str = ""
    ) -> int | None:
        """INSERT one row now; its id, or None when `tail` (ON CONFLICT DO NOTHING) skipped it."""
        names = tuple(values)
        sql = f"{self.spelling.insert(table, names, tail).sql} RETURNING id"
        (params,) = self.bind(table, names, [list(values.values())], sql)
        found = self.rows(sql, params)
        return int(found[0][0]) if found else None

    # --- writes, queued ---

    def insert(
        self, table: Table, names: tuple[str, ...], rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> None:
        """INSERT every row (values in `names` order); `tail`: ON CONFLICT ..."""
        if rows:
            write = self.spelling.insert(table, names, tail)
            self._queue(write, self.bind(table, names, rows, write.sql))

    def update(self, table: Table, row_id: int, values: Mapping[str, Any]) -> None:
        """UPDATE one row (by id) to `values`: never its id nor a foreign key (see _Write)."""
        names = (*values, "id")
        write = self.spelling.update(table, names[:-1])
        self._queue(write, self.bind(table, names, [[*values.values(), row_id]], write.sql))

    def delete(self, table: Table, row_id: int) -> None:
        sql = f"DELETE FROM {self.quote(table.name)} WHERE id = {self.mark}"
        self._queue(_Write(table.name, "delete", sql), [(row_id,)])

    def flush(self) -> None:
        """Send every queued write, in order: a run of one statement as one executemany, or on
        PostgreSQL (where executemany is a statement per row) an INSERT run as one statement."""
        waiting, self._waiting = self._waiting, []
        for write, rows in waiting:
            if len(rows) == 1:
                self._run(write.sql, rows[0])
            elif write.arrays:  # rows in order: serial ids (audit) as one by one
                columns = [list(column) for column in zip(*rows, strict=True)]
                self._run(write.arrays, columns)
            else:
                self._run(write.sql, rows, many=True)

    def _run(self, sql: str, params: Any, many: bool = False, fetch: bool = False) -> list[Any]:
        """Execute on the driver's cursor (and read every row when `fetch`); driver errors,
        stepping through rows included, become SQLAlchemy's DBAPIError."""
        try:
            if many:
                self._cursor.executemany(sql, params)
            else:
                self._cursor.execute(sql, params)
            return list(self._cursor.fetchall()) if fetch else []
        except self.dialect.loaded_dbapi.Error as exc:
            base = self.dialect.loaded_dbapi.Error
            raise DBAPIError.instance(sql, params, exc, base, dialect=self.dialect) from exc

    def _queue(self, write: _Write, rows: list[tuple[Any, ...]]) -> None:
        """Join the latest run of the same statement if every write since commutes with it
        (a changed item: its sighting's UPDATE, then the item's, item after item)."""
        for waiting, waiting_rows in reversed(self._waiting):
            if waiting == write:
                waiting_rows.extend(rows)
                return
            if not waiting.commutes(write):
                break
        self._waiting.append((write, rows))

    def bind(
        self, table: Table, names: tuple[str, ...], rows: Sequence[Sequence[Any]], sql: str
    ) -> list[tuple[Any, ...]]:
        """Rows as the driver takes them; a refused value (a naive datetime) is reported as
        SQLAlchemy reports it, a StatementError."""
        active = self.spelling.binders(table, names)
        if not active:
            return list(map(tuple, rows))
        if not rows:
            return []
        columns: list[Any] = list(zip(*rows, strict=True))  # a column at a time: C-level loops
        try:
            for n, process in active:
                columns[n] = list(map(process, columns[n]))
        except (ValueError, TypeError) as exc:
            raise StatementError(str(exc), sql, None, exc) from exc
        return list(zip(*columns, strict=True))
