"""Published documents kept in the store, so every web node serves the same bytes and ETag.

Mixed into the Storage facade. The publisher saves every output after writing `feeds/`;
a row is rewritten only when its bytes changed, so `updated_at` is the document's real
Last-Modified on every node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aggregator.store.engine import run_read, run_write
from aggregator.store.ingest.apply import dialect_insert
from aggregator.store.schema import PublishedDocumentRow


@dataclass(frozen=True)
class StoredDocument:
    name: str
    body: bytes
    content_type: str
    sha256: str
    updated_at: datetime


def changed_documents(
    docs: Mapping[str, tuple[bytes, str]], stored_hashes: Mapping[str, str]
) -> dict[str, tuple[bytes, str, str]]:
    """name -> (body, content type, sha256) of the documents whose bytes differ from the store."""
    changed: dict[str, tuple[bytes, str, str]] = {}
    for name, (body, content_type) in docs.items():
        digest = hashlib.sha256(body).hexdigest()
        if stored_hashes.get(name) != digest:
            changed[name] = (body, content_type, digest)
    return changed


def _save(session: Session, docs: Mapping[str, tuple[bytes, str]], now: datetime) -> list[str]:
    query = select(PublishedDocumentRow.name, PublishedDocumentRow.sha256)
    stored = {name: digest for name, digest in session.execute(query)}
    changed = changed_documents(docs, stored)
    for name, (body, content_type, digest) in sorted(changed.items()):
        values = {
            "name": name,
            "body": body,
            "content_type": content_type,
            "sha256": digest,
            "updated_at": now,
        }
        statement = dialect_insert(session, PublishedDocumentRow).values(values)
        updates = {key: statement.excluded[key] for key in values if key != "name"}
        session.execute(statement.on_conflict_do_update(index_elements=["name"], set_=updates))
    return sorted(changed)


class DocumentStore:
    """Storage methods for `published_documents`; needs `self.engine`."""

    engine: Engine

    def save_documents(self, docs: Mapping[str, tuple[bytes, str]], *, now: datetime) -> list[str]:
        """Store name -> (body, content type), writing only changed ones; return their names."""
        if not docs:
            return []
        return run_write(self.engine, "saving published documents", lambda s: _save(s, docs, now))

    def document(self, name: str) -> StoredDocument | None:
        def read(session: Session) -> StoredDocument | None:
            row = session.get(PublishedDocumentRow, name)
            if row is None:
                return None
            return StoredDocument(row.name, row.body, row.content_type, row.sha256, row.updated_at)

        return run_read(self.engine, f"reading published document {name}", read)

    def document_names(self) -> list[str]:
        query = select(PublishedDocumentRow.name).order_by(PublishedDocumentRow.name)
        return run_read(
            self.engine, "listing published documents", lambda s: list(s.scalars(query))
        )
