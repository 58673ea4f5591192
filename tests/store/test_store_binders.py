"""rawsql's bind processors give the driver what SQLAlchemy's own processors give it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from psycopg.types.json import Json, JsonBinaryDumper
from sqlalchemy import JSON, Boolean, Date, Dialect, String
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.dialects.sqlite import pysqlite

from aggregator.store.binders import bind_processor
from aggregator.store.schema import UTCDateTime

DIALECTS = {"sqlite": pysqlite.dialect(), "postgresql": pg_psycopg.dialect()}
LONDON = timezone(timedelta(hours=1))
VALUES: dict[str, list[Any]] = {
    "datetime": [
        None,
        datetime(2024, 3, 1, 9, 0, tzinfo=UTC),
        datetime(2024, 3, 1, 9, 0, 0, 12, tzinfo=LONDON),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-7))),
        datetime(2024, 3, 1, 9, 0),  # naive: refused
    ],
    "bool": [True, False, None, 1, 0, 1.0, 2, "yes", []],
    "json": [
        [],
        ["reviews"],
        ["é", "\u2028", '"quoted"', "back\\slash", "\x00\x1f", "🙂", "a" * 500],
        ["url:https://x.example.org/a?b=c&d", "title:domestic homicide review"],
        [1, "a"],
        [["nested"]],
        ("a", "b"),
        {"a": [1, 2]},
        "text",
        None,
        [float("nan")],
    ],
}
TYPES = {"datetime": UTCDateTime(), "bool": Boolean(), "json": JSON()}


def reference(kind: Any, dialect: Dialect) -> Any:
    """SQLAlchemy's own processor (the TypeDecorator's included)."""
    return kind.dialect_impl(dialect).bind_processor(dialect)


def outcome(process: Any, value: Any) -> Any:
    """What the driver gets (a psycopg Json wrapper as the bytes psycopg sends), or the error."""
    try:
        bound = value if process is None else process(value)
    except (TypeError, ValueError) as exc:
        return type(exc)
    if isinstance(bound, Json):
        return bytes(JsonBinaryDumper(Json).dump(bound) or b"")
    if isinstance(bound, datetime):
        return (bound, bound.utcoffset())
    return (type(bound), bound)


@pytest.mark.parametrize("dialect_name", sorted(DIALECTS))
@pytest.mark.parametrize("kind_name", sorted(TYPES))
def test_fast_processors_bind_what_sqlalchemy_binds(dialect_name: str, kind_name: str) -> None:
    dialect, kind = DIALECTS[dialect_name], TYPES[kind_name]
    fast, slow = bind_processor(kind, dialect), reference(kind, dialect)
    for value in VALUES[kind_name]:
        assert outcome(fast, value) == outcome(slow, value), value


@pytest.mark.parametrize("dialect_name", sorted(DIALECTS))
def test_other_types_keep_sqlalchemys_processor(dialect_name: str) -> None:
    dialect = DIALECTS[dialect_name]
    for kind in (String(20), Date()):
        fast, slow = bind_processor(kind, dialect), reference(kind, dialect)
        for value in (None, "x", date(2024, 3, 1)):
            if isinstance(kind, Date) and value == "x":
                continue
            assert outcome(fast, value) == outcome(slow, value)


def test_a_configured_json_serializer_is_used_as_it_is() -> None:
    dialect = pysqlite.dialect(json_serializer=lambda value: "custom")
    process = bind_processor(JSON(), dialect)
    assert process is not None and process(["a"]) == "custom"
