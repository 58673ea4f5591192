"""Bind processors for rawsql: what the columns' SQLAlchemy types hand the driver, made cheaper.

Each processor here gives the driver what SQLAlchemy's own processor for that type and dialect
gives it, and refuses what it refuses. Every other type keeps SQLAlchemy's processor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Boolean, Dialect

from aggregator.store.schema import UTCDateTime

Convert = Callable[[Any], Any]
Processor = Convert | None
_encode_string = json.encoder.encode_basestring_ascii  # what json.dumps does to a str


def bind_processor(kind: Any, dialect: Dialect) -> Processor:
    """The processor for a column of type `kind` (None: values go to the driver as they are)."""
    if isinstance(kind, UTCDateTime):
        return sqlite_utc_text if dialect.name == "sqlite" else aware_utc
    processor: Processor = kind.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return None
    if isinstance(kind, Boolean):
        return _bools_as_they_are(processor)
    if isinstance(kind, JSON) and getattr(dialect, "_json_serializer", None) is None:
        return _lists_of_strings(processor, dialect)
    return processor


def sqlite_utc_text(value: datetime | None) -> str | None:
    """UTCDateTime's bind processor on SQLite (naive UTC, SQLAlchemy's text format), faster."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the store only accepts aware datetimes")
    return _utc_text(value)


@lru_cache(maxsize=4096)  # a batch repeats its `now` and each item's dates (item, sighting)
def _utc_text(value: datetime) -> str:
    """Equal instants, whatever their offsets, have the one text: the cache key may be any."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def aware_utc(value: datetime | None) -> datetime | None:
    """UTCDateTime's bind processor on PostgreSQL (the instant, in UTC), without the wrapping."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the store only accepts aware datetimes")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _bools_as_they_are(processor: Convert) -> Convert:
    """True, False and None: what the processor makes of them, known beforehand."""
    true, false = processor(True), processor(False)

    def process(value: Any) -> Any:
        if value is False:
            return false
        if value is True:
            return true
        return None if value is None else processor(value)

    return process


def _lists_of_strings(processor: Convert, dialect: Dialect) -> Convert:
    """A list of strings serialised as json.dumps does it, in one C-level pass."""
    wrap: Callable[..., Any] | None = None
    if dialect.name == "postgresql":  # SQLAlchemy hands psycopg a Json wrapper to serialise
        wrap = dialect._psycopg_Json  # type: ignore[attr-defined]

    def process(value: Any) -> Any:
        if type(value) is not list:
            return processor(value)
        try:
            text = "[" + ", ".join(map(_encode_string, value)) + "]"
        except TypeError:  # not every element a string
            return processor(value)
        return text if wrap is None else wrap(value, lambda _obj: text)

    return process
