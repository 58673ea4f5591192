"""What publishing needs from the store (`aggregator.store.Storage` is one), as Protocols:
publishing never imports the store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from aggregator.models import StoredItem


class ItemReader(Protocol):
    """What rendering needs from the store (`aggregator.store.Storage` is one)."""

    def items(
        self,
        *,
        categories: tuple[str, ...] = ...,
        review_types: tuple[str, ...] = ...,
        sources: tuple[str, ...] = ...,
        search: str | None = ...,
        include_hidden: bool = ...,
        since: datetime | None = ...,
        limit: int | None = ...,
        pinned: bool | None = ...,
        themes: tuple[str, ...] = ...,
    ) -> list[StoredItem]: ...


class PublishStore(ItemReader, Protocol):
    """What a publish run needs from the store: the items, whether they changed since the last
    run, and a place for the documents."""

    def content_version(self) -> int: ...

    def save_documents(
        self, docs: Mapping[str, tuple[bytes, str]], *, now: datetime
    ) -> list[str]: ...
