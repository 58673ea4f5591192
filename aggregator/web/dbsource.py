"""Documents served from the store (`aggregator serve --from-db`): any web node, same bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aggregator.store.documents import StoredDocument
from aggregator.web.static import Document, is_safe_name


class DocumentReader(Protocol):
    """What serving needs from the store (`aggregator.store.Storage` is one)."""

    def document(self, name: str) -> StoredDocument | None: ...

    def document_names(self) -> list[str]: ...


@dataclass(frozen=True)
class DatabaseSource:
    """A DocumentSource over `published_documents`; the version is the body's sha256."""

    store: DocumentReader

    def get(self, name: str) -> Document | None:
        if not is_safe_name(name):
            return None
        stored = self.store.document(name)
        if stored is None:
            return None
        mtime = stored.updated_at.timestamp()
        return Document(stored.body, mtime, stored.content_type, stored.sha256)

    def names(self) -> list[str]:
        return [name for name in self.store.document_names() if is_safe_name(name)]
